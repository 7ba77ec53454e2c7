"""Who a resident calls: the grid worker of their building's grid (whoever covers it while its own is away), on
every page of theirs, one tap from a call (issue 16, defect 5). Knows nothing of HTTP."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from server.accounts.tables import GridCover, User
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
