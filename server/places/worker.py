"""Who a resident calls: the grid worker of their building's grid (whoever covers it while its own is away), on
every page of theirs, one tap from a call (issue 16, defect 5). Knows nothing of HTTP."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from server.access.scope import CurrentUser
from server.accounts.tables import GridCover, GridHandover, User
from server.db import as_datetime
from server.places.tables import Resident


@dataclass(frozen=True, slots=True)
class GridWorker:
    name: str
    phone: str  # whole: the worker's number is there to be called by the grid's residents


async def grid_worker_of(resident_id: uuid.UUID | None) -> GridWorker | None:
    if resident_id is None:
        return None
    home = await Resident.select(Resident.household.building.grid.as_alias("grid")).where(Resident.id == resident_id)
    if not home:
        return None
    grid = home[0]["grid"]
    cover = await GridCover.select(GridCover.user).where(GridCover.grid == grid).first()
    who = (User.id == cover["user"]) if cover else (User.grid == grid)
    row = await User.select(User.name, User.phone).where(who & User.is_active.eq(True)).first()
    return GridWorker(name=row["name"], phone=row["phone"]) if row else None


async def grid_holders(grid_ids: list[uuid.UUID]) -> dict[uuid.UUID, GridWorker]:
    """Who answers for each of these grids now (whoever covers it, else its own grid worker): two small queries."""
    if not grid_ids:
        return {}
    covers = {
        row["grid"]: row["user"]
        for row in await GridCover.select(GridCover.grid, GridCover.user).where(GridCover.grid.is_in(grid_ids))
    }
    people = await User.select(User.id, User.grid, User.name, User.phone).where(
        (User.grid.is_in(grid_ids) | User.id.is_in(list(covers.values()) or [uuid.UUID(int=0)]))
        & User.is_active.eq(True)
    )
    by_id = {row["id"]: GridWorker(name=row["name"], phone=row["phone"]) for row in people}
    own = {row["grid"]: by_id[row["id"]] for row in people if row["grid"] in grid_ids}
    holders = {}
    for grid in grid_ids:
        holder = by_id.get(covers[grid]) if grid in covers else own.get(grid)
        if holder is not None:
            holders[grid] = holder
    return holders


async def standing_in_for(community_id: uuid.UUID, phone: str) -> GridWorker | None:
    """Who answers now for the grid of the grid worker with this phone, while it is handed to a colleague; None when
    the number is no grid worker's of the community or their grid is theirs. A guide names its writer to call: on
    its shared link and its printed sheet, the colleague covering is called (a stranger's walk of issue 16: the
    sheet on 郝大爷's fridge named the worker who was off sick)."""
    own = (
        await User.select(User.grid)
        .where((User.phone == phone) & (User.community == community_id) & (User.role == "grid_worker"))
        .first()
    )
    if own is None or own["grid"] is None:
        return None
    cover = (
        await GridCover.select(GridCover.user.name.as_alias("name"), GridCover.user.phone.as_alias("phone"))
        .where((GridCover.grid == own["grid"]) & GridCover.user.is_active.eq(True))
        .first()
    )
    return GridWorker(name=cover["name"], phone=cover["phone"]) if cover else None


@dataclass(frozen=True, slots=True)
class Cover:
    name: str  # the colleague answering for the grid
    since: datetime


async def covered_by(grid_id: uuid.UUID | None) -> Cover | None:
    """Who answers for a grid handed over for a while (its own grid worker is ill or away); None if nobody does."""
    if grid_id is None:
        return None
    row = (
        await GridCover.select(GridCover.since, GridCover.user.name.as_alias("name"))
        .where(GridCover.grid == grid_id)
        .first()
    )
    return Cover(name=row["name"], since=as_datetime(row["since"])) if row else None


async def own_grid_covered(user: CurrentUser) -> Cover | None:
    """A grid worker whose own grid is handed to a colleague (ill, away): who answers for it now, to be said where the
    grid's work was (home, the round), not that they have no grid or nobody to call."""
    if user.role != "grid_worker" or user.grid_id is None or user.grid_id in user.grid_ids:
        return None
    return await covered_by(user.grid_id)


@dataclass(frozen=True, slots=True)
class Held:
    """A time a grid worker answered for a grid, ended by a hand-over."""

    since: datetime | None  # None: their own grid, from before any hand-over kept
    until: datetime

    def covers(self, moment: datetime) -> bool:
        return (self.since is None or self.since <= moment) and moment < self.until


async def held_before(user_id: uuid.UUID, grid_ids: list[uuid.UUID], handed_on_after: datetime) -> dict:
    """The times this user answered for these grids that a hand-over ended after `handed_on_after`: grid id -> [Held]
    (docs/decisions/0034). One small query on the hand-overs of one person."""
    if not grid_ids:
        return {}
    rows = await GridHandover.select(GridHandover.grid, GridHandover.held_since, GridHandover.at).where(
        (GridHandover.from_user == user_id) & GridHandover.grid.is_in(grid_ids) & (GridHandover.at >= handed_on_after)
    )
    held: dict[uuid.UUID, list[Held]] = {}
    for row in rows:
        since = as_datetime(row["held_since"]) if row["held_since"] is not None else None
        held.setdefault(row["grid"], []).append(Held(since=since, until=as_datetime(row["at"])))
    return held
