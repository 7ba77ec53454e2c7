"""The missing list the way a grid worker works through it: by building, then door, one building at a time.

A test point that closes early leaves a hundred or more people missing; one card each is a list nobody can find
their place in on a phone. Grouped by building and door (a household is called and visited together) with counts,
buildings collapsed, one open a page of doors at a time, and a filter of those with no reason recorded yet, the
list can be finished door by door. Pure functions over a result's missing people (already in walking order).
"""

from __future__ import annotations

import uuid

import msgspec

from server.reconcile.schemas import MissingBuilding, MissingDoor, MissingList, Person

WHOLE_UP_TO = 20  # people: a list this short is shown whole, every building open, as before
DOORS_PER_PAGE = 20  # of an open building: a few screens of cards, a small page even for a tall tower


def group(missing: list[Person]) -> list[MissingBuilding]:
    """Every building with someone missing, each with all its doors, in the order given (the walking order)."""
    buildings: dict[uuid.UUID | None, MissingBuilding] = {}
    doors: dict[uuid.UUID, MissingDoor] = {}
    for p in missing:
        building = buildings.get(p.building_id)
        if building is None:
            building = buildings[p.building_id] = MissingBuilding(
                building_id=p.building_id, name=p.building, missing=0, todo=0, door_count=0, doors=[]
            )
        door = doors.get(p.household_id)
        if door is None:
            door = doors[p.household_id] = MissingDoor(
                household_id=p.household_id, door=p.door, people=[], missing=0, todo=0
            )
            building.doors.append(door)
            building.door_count += 1
        door.people.append(p)
        door.missing += 1
        building.missing += 1
        if not p.reason:
            door.todo += 1
            building.todo += 1
    return list(buildings.values())


def _shown_doors(building: MissingBuilding, todo_only: bool) -> list[MissingDoor]:
    if not todo_only:
        return building.doors
    doors = [msgspec.structs.replace(d, people=[p for p in d.people if not p.reason]) for d in building.doors]
    return [d for d in doors if d.people]


def _pages(doors: int) -> int:
    return max(1, -(-doors // DOORS_PER_PAGE))


def missing_list(
    missing: list[Person], *, open_id: uuid.UUID | None = None, todo_only: bool = False, page: int = 1
) -> MissingList:
    """The buildings with their counts; the one asked for open at one page of its doors (a page past the end
    gives the last). With the filter, only people with no reason yet; a list short enough is shown whole."""
    groups = group(missing)
    todo = sum(b.todo for b in groups)
    whole = (todo if todo_only else len(missing)) <= WHOLE_UP_TO
    shown: list[MissingBuilding] = []
    opened = None
    for building in groups:
        if todo_only and not building.todo:
            continue
        doors = _shown_doors(building, todo_only)
        pages = _pages(len(doors))
        building = msgspec.structs.replace(building, door_count=len(doors))
        if whole:
            building = msgspec.structs.replace(building, doors=doors)
        elif building.building_id == open_id:
            opened = open_id
            at = min(max(page, 1), pages)
            start = (at - 1) * DOORS_PER_PAGE
            building = msgspec.structs.replace(
                building, doors=doors[start : start + DOORS_PER_PAGE], page=at, pages=pages
            )
        else:
            building = msgspec.structs.replace(building, doors=[], pages=pages)
        shown.append(building)
    return MissingList(
        missing=len(missing), todo=todo, todo_only=todo_only, buildings=shown, whole=whole, open_id=opened
    )


def find_door(groups: list[MissingBuilding], household_id: uuid.UUID) -> tuple[MissingBuilding, MissingDoor] | None:
    for building in groups:
        for door in building.doors:
            if door.household_id == household_id:
                return building, door
    return None


def page_of(building: MissingBuilding, household_id: uuid.UUID, todo_only: bool) -> int:
    """The page of the open building where this door is (or, filtered out now, where it was): after a reason is
    recorded without JavaScript, the page comes back where she was."""
    before = 0
    for door in building.doors:
        if door.household_id == household_id:
            break
        if not todo_only or door.todo:
            before += 1
    return before // DOORS_PER_PAGE + 1
