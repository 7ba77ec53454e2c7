"""Reading the register inside a scope, without HTTP."""

from __future__ import annotations

from datetime import date

import pytest

from server.access.masks import mask_phone
from server.access.scope import Scope
from server.demo.seed import BUILDING_GRID, COMMUNITY_ID, GRID_IDS, STORY_DOORS, STORY_RESIDENT_IDS, demo_uuid
from server.places import services
from server.places.tables import Household, Resident

TODAY = date(2026, 11, 28)
ADMIN = Scope(community_id=COMMUNITY_ID, grid_ids=None)
GRID2 = Scope(community_id=COMMUNITY_ID, grid_ids=(GRID_IDS[1],))  # building 2 (张大爷, 侯奶奶) is in grid 2
GRID1 = Scope(community_id=COMMUNITY_ID, grid_ids=(GRID_IDS[0],))
NO_GRID = Scope(community_id=COMMUNITY_ID, grid_ids=())
OTHER_COMMUNITY = Scope(community_id=demo_uuid("community", "elsewhere"), grid_ids=None)


def test_ages_count_birthdays():
    assert services.age_on(date(1950, 11, 28), TODAY) == 76
    assert services.age_on(date(1950, 11, 29), TODAY) == 75
    assert services.age_on(None, TODAY) is None
    assert services.elderly_cutoff(date(2024, 2, 29)) == date(1964, 2, 29)
    assert services.elderly_cutoff(date(2026, 11, 28)) == date(1966, 11, 28)


def test_phone_masking_keeps_the_ends():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone(None) is None


@pytest.mark.parametrize(
    ("typed", "door"),
    [
        ("2-1-301", "2-1-301"),
        ("2号楼1单元301", "2-1-301"),
        ("２栋１单元３０１室", "2-1-301"),
        ("2号楼", "2"),
        ("张国强", None),
        ("13812341234", None),
    ],
)
def test_doors_are_read_the_ways_people_write_them(typed, door):
    assert services.door_from_query(services.normalize_query(typed)) == door


async def test_admin_sees_every_grid_with_counts_that_add_up():
    summary = await services.community_summary(ADMIN, TODAY)
    assert summary.name == "铁北社区"
    assert [g.number for g in summary.grids] == [1, 2, 3, 4, 5, 6]
    assert summary.totals["households"] == await Household.count().where(Household.community == COMMUNITY_ID)
    assert summary.totals["residents"] == await Resident.count().where(
        (Resident.community == COMMUNITY_ID) & (Resident.status == "living")
    )
    assert 30 <= summary.totals["elderly_alone"] <= 80
    assert all(g.worker_name for g in summary.grids)


async def test_grid_worker_summary_holds_only_their_grid():
    summary = await services.community_summary(GRID2, TODAY)
    assert [g.id for g in summary.grids] == [GRID_IDS[1]]
    assert summary.grids[0].worker_name == "李雪敏"
    assert (await services.community_summary(NO_GRID, TODAY)).grids == []


async def test_elderly_living_alone_counts_the_story_people():
    """侯奶奶 lives alone in building 2 (grid 2); adding a living relative takes her off the count."""
    before = (await services.community_summary(GRID2, TODAY)).grids[0].elderly_alone
    household = demo_uuid("household", STORY_DOORS["侯秀兰"])
    visitor = Resident(
        community=COMMUNITY_ID,
        household=household,
        name="侯测试",
        sex="F",
        relation="child",
        status="living",
        birth_date=date(1980, 1, 1),
    )
    await visitor.save()
    try:
        after = (await services.community_summary(GRID2, TODAY)).grids[0].elderly_alone
        assert after == before - 1
    finally:
        await visitor.remove()


async def test_building_shows_units_and_floors_from_the_top():
    building = demo_uuid("building", "2")
    detail = await services.get_building(GRID2, building)
    assert detail.building.residents == 332  # story 7: 332 people expected
    first_unit = detail.units[0]
    assert first_unit.floors[0].floor > first_unit.floors[-1].floor == 1
    assert sum(c.households for u in detail.units for c in u.floors) == detail.building.households


async def test_out_of_scope_ids_are_not_found():
    building = demo_uuid("building", "2")
    household = demo_uuid("household", "2-1-301")
    assert await services.get_building(GRID1, building) is None
    assert await services.get_floor(GRID1, building, 1, 3) is None
    assert await services.get_household(GRID1, household, TODAY) is None
    assert await services.list_buildings(GRID1, GRID_IDS[1]) is None
    assert await services.get_household(OTHER_COMMUNITY, household, TODAY) is None
    assert await services.get_household(NO_GRID, household, TODAY) is None


async def test_floor_lists_its_doors_and_who_lives_there():
    detail = await services.get_floor(GRID2, demo_uuid("building", "2"), 1, 3)
    doors = {h.door: h for h in detail.households}
    assert "2-1-301" in doors
    assert {"张国强", "李秀英"} <= set(doors["2-1-301"].names)
    assert await services.get_floor(GRID2, demo_uuid("building", "2"), 1, 99) is None
    assert await services.get_floor(GRID2, demo_uuid("building", "2"), 9, 1) is None


async def test_household_lists_residents_head_first():
    detail = await services.get_household(GRID2, demo_uuid("household", "2-1-301"), TODAY)
    assert detail.door == "2-1-301" and detail.building.number == 2
    names = [r.name for r in detail.residents]
    assert names[0] == "张国强" and "李秀英" in names
    assert all(r.age is None or r.age >= 0 for r in detail.residents)


@pytest.mark.parametrize("query", ["张国强", "2-1-301", "2号楼1单元301", "２－１－３０１"])
async def test_search_finds_by_name_or_door(query):
    hits = await services.search_residents(GRID2, query, TODAY)
    assert "张国强" in [h.name for h in hits]
    assert all(h.phone_masked is None or "****" in h.phone_masked for h in hits)


async def test_search_by_phone_digits_however_they_are_typed():
    zhang = await Resident.select(Resident.phone).where(Resident.id == STORY_RESIDENT_IDS["张国强"]).first()
    phone = zhang["phone"]
    for typed in (phone[-8:], f"{phone[:3]} {phone[3:7]} {phone[7:]}", f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}"):
        hits = await services.search_residents(GRID2, typed, TODAY)
        assert [h.name for h in hits] == ["张国强"], typed


async def test_a_building_search_does_not_find_buildings_that_start_alike():
    hits = await services.search_residents(ADMIN, "1号楼", TODAY)
    assert hits and {h.door.split("-")[0] for h in hits} == {"1"}


async def test_a_bare_room_number_finds_that_room():
    hits = [h for h in await services.search_residents(GRID2, "301", TODAY) if h.status == "living"]
    assert hits[0].door == "2-1-301"  # building 2 is the first in grid 2
    at_room = [h.door.endswith("-301") for h in hits]
    assert at_room == sorted(at_room, reverse=True)  # rooms first, then phone numbers containing 301


async def test_search_stays_inside_the_scope():
    assert await services.search_residents(GRID1, "张国强", TODAY) == []
    assert await services.search_residents(NO_GRID, "张", TODAY) == []
    assert await services.search_residents(OTHER_COMMUNITY, "张国强", TODAY) == []
    hits = await services.search_residents(GRID1, "王", TODAY)
    grid1_buildings = {n for n, g in BUILDING_GRID.items() if g == 1}
    assert hits and all(int(h.door.split("-")[0]) in grid1_buildings for h in hits)


@pytest.mark.parametrize("query", ["", "   ", "%", "_", "x" * 41])
async def test_search_ignores_empty_wildcard_and_overlong_queries(query):
    assert await services.search_residents(ADMIN, query, TODAY) == []
