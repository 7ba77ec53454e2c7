"""Which floors the claim form proposes (free_floors.py): pure, no database."""

from __future__ import annotations

import uuid

from server.sweeps.free_floors import PROPOSED_DOORS, free_floors, next_free
from server.sweeps.schemas import BuildingProgress, ClaimRow, FreeFloors, Progress, UnitProgress

ME, OTHER = uuid.uuid4(), uuid.uuid4()


def floors(doors: dict[int, int], visited: dict[int, int] | None = None) -> dict[int, Progress]:
    """Floor -> progress with `doors` doors, `visited[floor]` of them found nobody home."""
    visited = visited or {}
    return {k: Progress(total=n, revisit=visited.get(k, 0)) for k, n in doors.items()}


def held(first: int, last: int, who: uuid.UUID = OTHER) -> ClaimRow:
    return ClaimRow(
        id=uuid.uuid4(), holder_id=who, holder_name="someone", floor_from=first, floor_to=last, minutes_left=90
    )


def test_a_walk_up_is_proposed_whole():
    assert free_floors(6, floors(dict.fromkeys(range(1, 7), 2)), []) == FreeFloors(floor_from=1, floor_to=6, doors=12)


def test_held_and_visited_floors_are_skipped_and_a_tower_is_shared_out():
    tower = floors(dict.fromkeys(range(1, 26), 4), visited={4: 4, 5: 1})
    proposal = free_floors(25, tower, [held(1, 3)])
    # Floor 4 was climbed (every door nobody home); floor 5 has 3 doors nobody reached; then 4 a floor up to 24.
    assert proposal == FreeFloors(floor_from=5, floor_to=10, doors=23)
    assert proposal.doors <= PROPOSED_DOORS
    assert free_floors(25, tower, [held(1, 3), held(8, 9)]) == FreeFloors(floor_from=5, floor_to=7, doors=11)


def test_floors_without_doors_in_the_sweep_neither_start_nor_stop_a_run():
    revisit = floors({2: 1, 9: 1, 14: 2})  # a revisit sweep of a few doors
    assert free_floors(18, revisit, []) == FreeFloors(floor_from=2, floor_to=14, doors=4)
    assert free_floors(18, revisit, [held(5, 6)]) == FreeFloors(floor_from=2, floor_to=2, doors=1)
    assert free_floors(18, revisit, [held(1, 3)]) == FreeFloors(floor_from=9, floor_to=14, doors=3)


def test_nothing_is_proposed_when_every_floor_is_held_or_visited():
    assert free_floors(6, floors(dict.fromkeys(range(1, 7), 2), visited={1: 2, 2: 2}), [held(3, 6)]) is None


def test_a_volunteer_is_offered_the_stairwell_they_are_in_first():
    def unit(number: int, claims: list[ClaimRow]) -> UnitProgress:
        by_floor = floors(dict.fromkeys(range(1, 7), 2))
        return UnitProgress(
            unit_id=uuid.uuid4(),
            number=number,
            floors=6,
            progress=Progress(),
            claims=claims,
            free=free_floors(6, by_floor, claims),
        )

    building = BuildingProgress(
        building_id=uuid.uuid4(),
        name="2号楼",
        progress=Progress(),
        units=[unit(1, [held(1, 2)]), unit(2, [held(1, 2, ME)]), unit(3, [])],
    )
    offered = next_free([building], ME)
    assert (offered.unit, offered.free.floor_from, [c.floor_from for c in offered.mine]) == (2, 3, [1])
    assert next_free([building], uuid.uuid4()).unit == 1  # anyone else: the first in walking order
