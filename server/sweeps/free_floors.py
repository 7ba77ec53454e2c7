"""Which floors the claim form proposes: the next ones nobody holds and nobody has reached yet. Pure: it reads the
progress the sweep page has already counted, so a tower of 100 floors costs no query more."""

from __future__ import annotations

import uuid

from server.sweeps.schemas import BuildingProgress, ClaimRow, FreeFloors, NextFree, Progress

# Free floors are proposed up to about this many unvisited doors: what one volunteer knocks on in a claim's two
# hours (docs/decisions/0005), so that a tower is shared out rather than held whole by whoever came first.
PROPOSED_DOORS = 24


def free_floors(unit_floors: int, floors: dict[int, Progress], claims: list[ClaimRow]) -> FreeFloors | None:
    """The lowest run of floors that nobody holds and that still has doors nobody reached, up to PROPOSED_DOORS
    of them. A floor without doors in this sweep (a revisit of a few doors) neither starts nor stops the run;
    a held floor, or one where every door was reached, stops it."""
    held = {k for c in claims for k in range(c.floor_from, c.floor_to + 1)}
    start = end = None
    doors = 0
    for k in range(1, unit_floors + 1):
        if k in held:
            if start is not None:
                break
            continue
        progress = floors.get(k)
        if progress is None:
            continue
        if not progress.not_visited:
            if start is not None:
                break
            continue
        if start is None:
            start = k
        elif doors + progress.not_visited > PROPOSED_DOORS:
            break
        end = k
        doors += progress.not_visited
    return FreeFloors(floor_from=start, floor_to=end, doors=doors) if start is not None else None


def next_free(buildings: list[BuildingProgress], user_id: uuid.UUID) -> NextFree | None:
    """The unit whose free floors a volunteer is offered first: one where they hold floors already (they are in
    that stairwell), else the first in walking order."""
    found = []
    for b in buildings:
        for u in b.units:
            if u.free is None:
                continue
            mine = [c for c in u.claims if c.holder_id == user_id]
            found.append(
                NextFree(
                    building_id=b.building_id,
                    building_name=b.name,
                    unit_id=u.unit_id,
                    unit=u.number,
                    floors=u.floors,
                    free=u.free,
                    mine=sorted(mine, key=lambda c: c.floor_from),
                )
            )
    return next((f for f in found if f.mine), found[0] if found else None)
