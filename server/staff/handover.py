"""A grid handed to a colleague: what goes with it, said on the confirm step before the admin hands it over (issue 16:
one tap moved a grid, its round and its cards, with nothing said first), and the handover itself. Here, above places,
errands and the register, because it counts their rows (docs/decisions/0030). Knows nothing of HTTP."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from server.access.scope import CurrentUser
from server.accounts.services import sessions_changed
from server.accounts.tables import GridCover, GridHandover, User
from server.db import write_transaction
from server.errands import rules
from server.errands.tables import Errand
from server.errors import DomainError
from server.places.tables import Grid
from server.register.tables import ElderProfile, FollowUp


@dataclass(frozen=True, slots=True)
class HandoverLoad:
    in_round: int  # elderly residents called every day
    open_cards: int  # errand cards not finished
    follow_ups: int  # go-and-look cards open


async def handover_load(grid_id: uuid.UUID) -> HandoverLoad:
    return HandoverLoad(
        in_round=await ElderProfile.count().where(
            ElderProfile.in_round.eq(True) & (ElderProfile.resident.household.building.grid == grid_id)
        ),
        open_cards=await Errand.count().where((Errand.grid == grid_id) & Errand.state.not_in(list(rules.FINISHED))),
        follow_ups=await FollowUp.count().where((FollowUp.grid == grid_id) & (FollowUp.status == "open")),
    )


class HandoverError(DomainError):
    """ "not_found": no such grid in the admin's community; any other refusal ("not_allowed", "not_a_worker") is a
    403, as the handover page answers it."""

    default_status = 403


async def hand_over_grid(admin: CurrentUser, grid_id: uuid.UUID, to_user: uuid.UUID, now: datetime) -> None:
    """An admin hands a grid (its residents, today's round, its open task cards: all follow the grid) to another
    grid worker of the community; handing it to its own grid worker again ends the cover."""
    if admin.role != "admin":
        raise HandoverError("not_allowed")
    if not await Grid.exists().where((Grid.id == grid_id) & (Grid.community == admin.community_id)):
        raise HandoverError("not_found")
    worker = (
        await User.select(User.id, User.grid)
        .where((User.id == to_user) & (User.community == admin.community_id) & (User.role == "grid_worker"))
        .first()
    )
    if worker is None:
        raise HandoverError("not_a_worker")
    async with write_transaction():
        await record_handover(grid_id, to_user, admin.id, now)
        await GridCover.delete().where(GridCover.grid == grid_id)
        if worker["grid"] != grid_id:
            await GridCover.insert(GridCover(grid=grid_id, user=to_user, since=now, by=admin.id))
        await sessions_changed()  # sessions kept carry the grids they answered for


async def record_handover(grid_id: uuid.UUID, to_user: uuid.UUID | None, by: uuid.UUID | None, now: datetime) -> None:
    """Keep who answered for the grid until now, and since when, before it passes to `to_user` (nothing when it is
    theirs already): their calls made before now, sent later from a phone without signal, are still theirs to record
    (docs/decisions/0034). Call it in the transaction that moves the grid."""
    cover = await GridCover.select(GridCover.user, GridCover.since).where(GridCover.grid == grid_id).first()
    own = await User.select(User.id).where((User.grid == grid_id) & User.is_active.eq(True)).first()
    holder = cover["user"] if cover else own["id"] if own else None
    if holder == to_user:
        return
    since = cover["since"] if cover else None
    if cover is None and holder is not None:
        # Their own grid: held since it was last handed back to them, if that was kept.
        back = (
            await GridHandover.select(GridHandover.at)
            .where((GridHandover.grid == grid_id) & (GridHandover.to_user == holder))
            .order_by(GridHandover.at, ascending=False)
            .first()
        )
        since = back["at"] if back else None
    await GridHandover.insert(
        GridHandover(grid=grid_id, from_user=holder, held_since=since, to_user=to_user, at=now, by=by)
    )
