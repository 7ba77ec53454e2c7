"""The demo seed: 铁北社区 as the stories need it, written once however often it runs.

The database is the one the test harness configured and migrated; it may already hold the demo community from
other tests. These tests expect the demo community's register to be as seeded: tests that change a register
should do it in a community of their own.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date

import pytest

from server.accounts.passwords import verify_password
from server.accounts.tables import User
from server.demo import seed
from server.demo.seed import (
    BUILDING_2_LIVING,
    COMMUNITY_ID,
    DEMO_PASSWORD,
    DEMO_PHONES,
    GRID_IDS,
    GRID_NAMES,
    GRID_WORKER_NAMES,
    GRID_WORKER_PHONES,
    REFERENCE_DATE,
    RESIDENT_PHONE,
    STORY_DOORS,
    STORY_RESIDENT_IDS,
    STREET_HOUSEHOLDS,
    TOTAL_HOUSEHOLDS,
    TOWER_NUMBER,
    age_on,
    build_register,
    demo_uuid,
    id_check_digit,
    seed_demo,
)
from server.places.tables import Building, Community, Grid, Household, Resident


async def _row_counts() -> dict[str, int]:
    return {table._meta.tablename: await table.count() for table in seed.SEEDED_TABLES}


@pytest.fixture(scope="module")
async def seeded() -> None:
    await seed_demo()  # the harness seeds too; this makes the module stand on its own


async def test_seeding_again_inserts_nothing(seeded):
    before = await _row_counts()
    inserted = await seed_demo()
    assert inserted == {name: 0 for name in before}
    assert await _row_counts() == before


async def test_community_and_grids(seeded):
    community = await Community.objects().get(Community.id == COMMUNITY_ID)
    assert community.name == "铁北社区"
    assert community.address == "太原市万柏林区千峰街道铁北社区"
    grids = await Grid.select(Grid.id, Grid.number, Grid.name).where(Grid.community == COMMUNITY_ID)
    assert sorted((g["number"], g["name"], g["id"]) for g in grids) == [
        (n, name, grid_id) for n, (name, grid_id) in enumerate(zip(GRID_NAMES, GRID_IDS, strict=True), start=1)
    ]


async def test_buildings_and_households(seeded):
    buildings = await Building.select(Building.number, Building.name).where(Building.community == COMMUNITY_ID)
    numbers = sorted(b["number"] for b in buildings)
    assert numbers == list(range(1, len(numbers) + 1))
    assert all(b["name"] == f"{b['number']}号楼" for b in buildings)

    households = await Household.select(
        Household.door, Household.floor, Household.room, Household.building.number, Household.building.grid
    ).where(Household.community == COMMUNITY_ID)
    assert len(households) == TOTAL_HOUSEHOLDS == STREET_HOUSEHOLDS + 392
    assert len({h["door"] for h in households}) == TOTAL_HOUSEHOLDS
    per_grid: dict[str, int] = defaultdict(int)
    for h in households:
        building, _unit, room = h["door"].split("-")
        assert int(building) == h["building.number"]
        assert room == h["room"] == f"{h['floor']}{room[-2:]}"
        if h["building.number"] != TOWER_NUMBER:
            per_grid[h["building.grid"]] += 1
    assert sorted(per_grid) == sorted(GRID_IDS)
    assert all(350 <= count <= 400 for count in per_grid.values()), per_grid  # the street, as in the source


async def test_the_tower_has_392_doors_on_33_floors_for_big_building_sweeps(seeded):
    """Issue 14: one tower of about 400 doors, 12 a floor (8 beside the lobby), with people at its doors."""
    doors = await Household.select(Household.floor, Household.door).where(
        Household.building == demo_uuid("building", str(TOWER_NUMBER))
    )
    per_floor: dict[int, int] = defaultdict(int)
    for door in doors:
        per_floor[door["floor"]] += 1
    assert len(doors) == 392 and per_floor == {1: 8, **{floor: 12 for floor in range(2, 34)}}
    assert {d["door"] for d in doors} >= {f"{TOWER_NUMBER}-1-2501", f"{TOWER_NUMBER}-1-3312", f"{TOWER_NUMBER}-1-108"}
    tower_id = demo_uuid("building", str(TOWER_NUMBER))  # by id: a test's city has buildings of that number too
    tower = await Building.select(Building.grid, Building.name).where(Building.id == tower_id).first()
    assert tower == {"grid": GRID_IDS[5], "name": f"{TOWER_NUMBER}号楼"}
    people = await Resident.count().where(Resident.household.building == tower_id)
    assert 2.5 * 392 < people < 3.5 * 392


async def test_each_grid_has_one_grid_worker(seeded):
    workers = await User.select(User.phone, User.name, User.grid).where(User.role == "grid_worker")
    by_grid = {w["grid"]: w for w in workers if w["grid"] in GRID_IDS}
    assert len(by_grid) == 6
    for phone, name, grid_id in zip(GRID_WORKER_PHONES, GRID_WORKER_NAMES, GRID_IDS, strict=True):
        assert (by_grid[grid_id]["phone"], by_grid[grid_id]["name"]) == (phone, name)


async def test_demo_accounts(seeded):
    users = await User.select().where(User.phone.is_in(DEMO_PHONES))
    assert len(users) == len(DEMO_PHONES) == 13
    assert all(u["is_demo"] and u["is_active"] and u["community"] == COMMUNITY_ID for u in users)
    roles = defaultdict(int)
    for u in users:
        roles[u["role"]] += 1
    assert roles == {"admin": 1, "grid_worker": 6, "volunteer": 5, "resident": 1}
    assert len({u["password_hash"] for u in users}) == 1
    assert verify_password(users[0]["password_hash"], DEMO_PASSWORD)
    resident_user = next(u for u in users if u["phone"] == RESIDENT_PHONE)
    assert resident_user["resident"] == STORY_RESIDENT_IDS["郝振华"]


async def _residents() -> list[dict]:
    return await Resident.select(
        Resident.id,
        Resident.name,
        Resident.sex,
        Resident.birth_date,
        Resident.phone,
        Resident.id_number,
        Resident.relation,
        Resident.status,
        Resident.household,
        Resident.household.door,
        Resident.household.building.number,
    ).where(Resident.community == COMMUNITY_ID)


async def test_residents(seeded):
    residents = await _residents()
    street = [r for r in residents if r["household.building.number"] != TOWER_NUMBER]
    assert 6900 <= len(street) <= 7200  # "7,000+ residents" in the source; the tower's come on top
    statuses = defaultdict(int)
    for r in residents:
        statuses[r["status"]] += 1
    assert set(statuses) == {"living", "away", "moved_out"}
    assert statuses["living"] > 0.9 * len(residents)
    assert {r["relation"] for r in residents} == {"head", "spouse", "child", "parent", "grandchild", "other"}

    phones = [r["phone"] for r in residents if r["phone"]]
    assert len(set(phones)) == len(phones)
    for phone in phones:
        assert re.fullmatch(r"1[35789]\d{9}", phone), phone
        assert not phone.startswith(("1380000000", "1390000000")), phone
    story_adults = [r for r in residents if r["name"] in STORY_DOORS and age_on(r["birth_date"], REFERENCE_DATE) >= 18]
    assert all(r["phone"] for r in story_adults)  # they are called every day

    id_numbers = [r["id_number"] for r in residents]
    assert len(set(id_numbers)) == len(id_numbers)
    for r in residents:
        number = r["id_number"]
        assert number[:6] == "140109"
        assert number[6:14] == r["birth_date"].strftime("%Y%m%d")
        assert int(number[16]) % 2 == (1 if r["sex"] == "M" else 0)
        assert number[17] == id_check_digit(number[:17])


async def test_elderly_living_alone_and_building_2(seeded):
    by_household: dict[str, list[dict]] = defaultdict(list)
    for r in await _residents():
        by_household[r["household"]].append(r)
    living_alone = 0
    empty_nests = 0
    for people in by_household.values():
        living = [p for p in people if p["status"] == "living"]
        if len(living) == 1 and age_on(living[0]["birth_date"], REFERENCE_DATE) >= 60:
            living_alone += 1
        if len(living) == 2 and all(age_on(p["birth_date"], REFERENCE_DATE) >= 60 for p in living):
            empty_nests += 1
    assert 30 <= living_alone <= 60
    assert empty_nests >= 100

    building_2 = [r for r in await _residents() if r["household.building.number"] == 2 and r["status"] == "living"]
    assert len(building_2) == BUILDING_2_LIVING == 332


async def test_story_people(seeded):
    residents = await _residents()
    by_name = defaultdict(list)
    for r in residents:
        by_name[r["name"]].append(r)
    for name, door in STORY_DOORS.items():
        assert len(by_name[name]) == 1, f"{name} should be the only one of that name"
        person = by_name[name][0]
        assert person["household.door"] == door
        assert person["id"] == STORY_RESIDENT_IDS[name]

    def household_of(name: str) -> list[dict]:
        household = by_name[name][0]["household"]
        return [r for r in residents if r["household"] == household]

    def age(name: str) -> int:
        return age_on(by_name[name][0]["birth_date"], REFERENCE_DATE)

    # 1. 刘爷爷 and his wife, building 1, children elsewhere.
    liu = household_of("刘建国")
    assert by_name["刘建国"][0]["household.building.number"] == 1
    assert age("刘建国") == 78 and by_name["刘建国"][0]["sex"] == "M"
    assert len(liu) == 2 and all(age_on(p["birth_date"], REFERENCE_DATE) >= 60 for p in liu)
    assert {p["relation"] for p in liu} == {"head", "spouse"}
    # 2, 4, 9. 侯奶奶, 郭爷爷, 郝大爷 live alone in buildings 2, 3, 5.
    for name, building, years, sex in [("侯秀兰", 2, 81, "F"), ("郭德胜", 3, 76, "M"), ("郝振华", 5, 72, "M")]:
        person = by_name[name][0]
        assert (person["household.building.number"], age(name), person["sex"]) == (building, years, sex)
        assert [p["name"] for p in household_of(name) if p["status"] == "living"] == [name]
    assert by_name["郝振华"][0]["phone"] == RESIDENT_PHONE
    # 5. 吴大娘, building 4.
    assert by_name["吴桂芝"][0]["household.building.number"] == 4
    assert age("吴桂芝") == 67 and by_name["吴桂芝"][0]["sex"] == "F"
    # 7. 张大爷 and his wife at 2-1-301 with their son's family and a small grandson.
    zhang = household_of("张国强")
    assert by_name["张国强"][0]["household.door"] == by_name["李秀英"][0]["household.door"] == "2-1-301"
    assert (age("张国强"), age("李秀英")) == (73, 71)
    relations = sorted(p["relation"] for p in zhang)
    assert relations == ["child", "grandchild", "head", "other", "spouse"]
    grandson = next(p for p in zhang if p["relation"] == "grandchild")
    assert grandson["sex"] == "M" and age_on(grandson["birth_date"], REFERENCE_DATE) < 10


def test_ids_and_check_digits():
    assert demo_uuid("household", "2-1-301") == demo_uuid("household", "2-1-301")
    assert demo_uuid("household", "2-1-301") != demo_uuid("household", "2-1-302")
    # Published examples of GB 11643 check characters.
    assert id_check_digit("11010519491231002") == "X"
    assert id_check_digit("44052418800101001") == "4"
    assert age_on(date(1944, 3, 12), date(2022, 11, 20)) == 78
    assert age_on(date(2004, 11, 21), date(2022, 11, 20)) == 17


def test_register_is_deterministic():
    def snapshot():
        return [(home.door, [vars(person) for person in home.people]) for home in build_register()]

    assert snapshot() == snapshot()
