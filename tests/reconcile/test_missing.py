"""The missing list as a grid worker works through it: by building, then door, a building at a time, with a filter
of whom she has not asked yet. On SQLite and PostgreSQL (the order comes from the register's units and floors)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from server.access.scope import Scope
from server.demo.seed import COMMUNITY_ID, GRID_IDS, STORY_RESIDENT_IDS, demo_uuid
from server.reconcile import actions, missing, results, schemas, services
from server.reconcile.tables import ExpectedResident
from tests.reconcile.files import user

TODAY = date(2022, 11, 24)
GRID2 = Scope(community_id=COMMUNITY_ID, grid_ids=(GRID_IDS[1],))
GRID1 = Scope(community_id=COMMUNITY_ID, grid_ids=(GRID_IDS[0],))


def walking_key(door: str) -> tuple[int, int, int, int]:
    building, unit, room = (int(part) for part in door.split("-"))
    return building, unit, room // 100, room % 100


async def test_missing_people_are_grouped_by_building_then_door_in_walking_order(closed_early):
    rec_id, gone = closed_early
    result = await results.get_result(GRID2, rec_id, TODAY)
    assert {p.resident_id for p in result.missing} == {p["id"] for p in gone}
    groups = missing.group(result.missing)
    assert [(b.name, b.missing, b.todo) for b in groups] == [("2号楼", 12, 12), ("14号楼", 5, 5), ("16号楼", 44, 44)]
    # Building 2: by unit, then floor, then room (as text, "2-1-1202" would come before "2-1-301").
    assert [d.door for d in groups[0].doors] == ["2-1-301", "2-1-1202", "2-2-101"]
    assert [d.door for d in groups[2].doors] == sorted((d.door for d in groups[2].doors), key=walking_key)
    assert groups[2].doors[0].door == "16-1-101" and groups[2].door_count == 16
    # A household together, the head first: 张国强 and his family at 2-1-301.
    zhang = groups[0].doors[0]
    assert (zhang.missing, zhang.people[0].resident_id) == (5, STORY_RESIDENT_IDS["张国强"])
    assert {p.household_id for p in zhang.people} == {demo_uuid("household", "2-1-301")}
    assert sum(d.missing for b in groups for d in b.doors) == len(result.missing) == 61


async def test_a_long_list_shows_buildings_collapsed_and_opens_one(closed_early):
    rec_id, _ = closed_early
    result = await results.get_result(GRID2, rec_id, TODAY)
    collapsed = missing.missing_list(result.missing)
    assert (collapsed.missing, collapsed.todo, collapsed.whole, collapsed.open_id) == (61, 61, False, None)
    assert [b.doors for b in collapsed.buildings] == [[], [], []]
    building_16 = demo_uuid("building", "16")
    opened = missing.missing_list(result.missing, open_id=building_16)
    assert opened.open_id == building_16
    assert [bool(b.doors) for b in opened.buildings] == [False, False, True]
    first_page = opened.buildings[2]
    assert (first_page.page, first_page.door_count) == (1, 16)
    assert sum(len(d.people) for d in first_page.doors) <= missing.PEOPLE_PER_PAGE
    # Another grid's building, or none of this result's: nothing opens.
    for other in (demo_uuid("building", "1"), uuid.uuid4()):
        assert missing.missing_list(result.missing, open_id=other).open_id is None


async def test_the_filter_and_the_counts_follow_the_reasons_recorded(closed_early):
    rec_id, _ = closed_early
    worker = await user("13800000002")
    # She phones 2-1-301: the whole household is away; then 张国强 says he will come after all.
    assert await actions.record_door_reason(worker, GRID2, rec_id, demo_uuid("household", "2-1-301"), "away")
    assert await actions.record_reason(worker, GRID2, rec_id, STORY_RESIDENT_IDS["张国强"], "will_come")
    result = await results.get_result(GRID2, rec_id, TODAY)
    groups = missing.group(result.missing)
    assert [(b.missing, b.todo) for b in groups] == [(12, 7), (5, 5), (44, 44)]
    door = groups[0].doors[0]
    assert (door.door, door.missing, door.todo) == ("2-1-301", 5, 0)
    assert [p.reason for p in door.people] == ["will_come"] + ["away"] * 4

    todo = missing.missing_list(result.missing, todo_only=True, open_id=demo_uuid("building", "2"))
    assert (todo.missing, todo.todo) == (61, 56)
    assert [d.door for d in todo.buildings[0].doors] == ["2-1-1202", "2-2-101"]  # 2-1-301 is done
    assert all(not p.reason for b in todo.buildings for d in b.doors for p in d.people)
    # Everyone of building 2 asked: with the filter on, the building leaves the list.
    for door_id in ("2-1-1202", "2-2-101"):
        await actions.record_door_reason(worker, GRID2, rec_id, demo_uuid("household", door_id), "hospital")
    result = await results.get_result(GRID2, rec_id, TODAY)
    todo = missing.missing_list(result.missing, todo_only=True)
    assert [(b.name, b.todo) for b in todo.buildings] == [("14号楼", 5), ("16号楼", 44)]
    # Tapping a door's reason away clears everyone's there.
    assert await actions.record_door_reason(worker, GRID2, rec_id, demo_uuid("household", "2-1-301"), "")
    reasons = await ExpectedResident.select(ExpectedResident.reason).where(
        (ExpectedResident.reconciliation == rec_id) & (ExpectedResident.household == demo_uuid("household", "2-1-301"))
    )
    assert {r["reason"] for r in reasons} == {""}


async def test_a_door_reason_stays_inside_its_scope_and_its_result(closed_early):
    rec_id, _ = closed_early
    other = await user("13800000001")
    door = demo_uuid("household", "2-1-301")
    assert not await actions.record_door_reason(other, GRID1, rec_id, door, "away")  # another grid's worker
    worker = await user("13800000002")
    assert not await actions.record_door_reason(worker, GRID2, rec_id, demo_uuid("household", "2-1-302"), "away")
    assert not await actions.record_door_reason(worker, GRID2, uuid.uuid4(), door, "away")
    assert await results.get_result(GRID1, rec_id, TODAY) is None
    with pytest.raises(services.ReconcileError):
        await actions.record_door_reason(worker, GRID2, rec_id, door, "asleep")
    assert not await ExpectedResident.exists().where(
        (ExpectedResident.reconciliation == rec_id) & (ExpectedResident.reason != "")
    )


def person(building: int, door: str, reason: str = "") -> schemas.Person:
    return schemas.Person(
        resident_id=uuid.uuid4(),
        household_id=demo_uuid("household", door),
        name="某人",
        door=door,
        age=None,
        phone_masked=None,
        status="living",
        reason=reason,
        building_id=demo_uuid("building", str(building)),
        building=f"{building}号楼",
    )


def test_an_open_building_is_shown_a_page_of_doors_at_a_time():
    doors = [f"5-1-{floor}0{n}" for floor in range(1, 12) for n in (1, 2, 3)]  # 33 doors
    people = [person(5, door, "away" if n % 3 == 0 else "") for n, door in enumerate(doors)]
    building = demo_uuid("building", "5")
    first = missing.missing_list(people, open_id=building).buildings[0]
    assert (first.page, first.pages, len(first.doors)) == (1, 2, missing.PEOPLE_PER_PAGE)
    last = missing.missing_list(people, open_id=building, page=9).buildings[0]  # past the end: the last page
    assert (last.page, [d.door for d in last.doors]) == (2, doors[missing.PEOPLE_PER_PAGE :])
    # With the filter, the doors whose people all have a reason are left out of the pages.
    todo = missing.missing_list(people, open_id=building, todo_only=True).buildings[0]
    assert (todo.pages, todo.door_count, len(todo.doors)) == (2, 22, 20)
    # After a reason, the page of a door, also when the filter has just hidden it.
    groups = missing.group(people)
    assert missing.page_of(groups[0], demo_uuid("household", doors[25]), todo_only=False) == 2
    assert missing.page_of(groups[0], demo_uuid("household", doors[25]), todo_only=True) == 1  # 16 doors before it


def test_a_page_holds_about_twenty_people_and_never_splits_a_household():
    doors = [f"14-2-{floor}0{n}" for floor in range(1, 6) for n in (1, 2)]  # 10 doors of 3 people each
    people = [person(14, door) for door in doors for _ in range(3)]
    building = demo_uuid("building", "14")
    pages = [missing.missing_list(people, open_id=building, page=n).buildings[0] for n in (1, 2)]
    assert [[d.door for d in p.doors] for p in pages] == [doors[:6], doors[6:]]  # 18 people, then 12
    assert [(p.first_door, p.door_count, p.pages) for p in pages] == [(1, 10, 2), (7, 10, 2)]
    assert missing.page_of(missing.group(people)[0], demo_uuid("household", doors[6]), todo_only=False) == 2


def test_a_short_list_is_shown_whole():
    people = [person(2, "2-1-301"), person(2, "2-1-301"), person(14, "14-1-101", "away")]
    whole = missing.missing_list(people)
    assert whole.whole and [len(b.doors) for b in whole.buildings] == [1, 1]
    assert [d.missing for b in whole.buildings for d in b.doors] == [2, 1]


def test_one_building_is_always_open():
    """A sweep of one unit reconciled: 30 missing, all in 2号楼; no building to choose, its doors are shown."""
    people = [person(2, f"2-1-{floor}0{n}") for floor in range(1, 11) for n in (1, 2, 3)]
    alone = missing.missing_list(people)
    assert (alone.whole, alone.collapsible, alone.open_id) == (False, False, demo_uuid("building", "2"))
    assert len(alone.buildings[0].doors) == missing.PEOPLE_PER_PAGE
    two = missing.missing_list([*people, person(14, "14-1-101")])
    assert two.collapsible and two.open_id is None
