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
PEOPLE_PER_PAGE = 20  # of an open building, about: a few screens of cards, whole doors (a household is not split)


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


def _paged(doors: list[MissingDoor]) -> list[list[MissingDoor]]:
    """Doors in pages of about PEOPLE_PER_PAGE people shown; a door is never split over two pages."""
    pages: list[list[MissingDoor]] = [[]]
    people = 0
    for door in doors:
        if pages[-1] and people + len(door.people) > PEOPLE_PER_PAGE:
            pages.append([])
            people = 0
        pages[-1].append(door)
        people += len(door.people)
    return pages


def missing_list(
    missing: list[Person], *, open_id: uuid.UUID | None = None, todo_only: bool = False, page: int = 1
) -> MissingList:
    """The buildings with their counts; the one asked for (or the only one) open at one page of its doors (a page
    past the end gives the last). With the filter, only people with no reason yet; a list short enough is shown
    whole."""
    groups = group(missing)
    todo = sum(b.todo for b in groups)
    whole = (todo if todo_only else len(missing)) <= WHOLE_UP_TO
    listed = [b for b in groups if b.todo or not todo_only]
    if len(listed) == 1:  # one building (a sweep of one unit, say): nothing to choose, it is open
        open_id = listed[0].building_id
    shown: list[MissingBuilding] = []
    opened = None
    for building in listed:
        doors = _shown_doors(building, todo_only)
        building = msgspec.structs.replace(building, door_count=len(doors))
        if whole:
            building = msgspec.structs.replace(building, doors=doors)
        elif building.building_id == open_id:
            opened = open_id
            pages = _paged(doors)
            at = min(max(page, 1), len(pages))
            building = msgspec.structs.replace(
                building,
                doors=pages[at - 1],
                page=at,
                pages=len(pages),
                first_door=sum(len(p) for p in pages[: at - 1]) + 1,
            )
        else:
            building = msgspec.structs.replace(building, doors=[])
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
    recorded without JavaScript, the page comes back where she was. building: as group() gives it."""
    position = {door.household_id: n for n, door in enumerate(building.doors)}
    at = position.get(household_id, 0)
    pages = _paged(_shown_doors(building, todo_only))
    for number, doors in enumerate(pages, start=1):
        if doors and position[doors[-1].household_id] >= at:
            return number
    return len(pages)
