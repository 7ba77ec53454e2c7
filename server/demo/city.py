"""A synthetic city for benchmarks and tests (issue 18): `python -m server demo-city --communities N` makes N
communities the size and shape of 铁北社区 (its 42 buildings, 2,657 doors, ~8,300 people, six grids, an admin and
six grid workers each) in up to three subdistricts of the demo's district, beside the demo community.

Deterministic: community k's rows have the same ids and contents on every machine and whatever N is (its people come
from a random generator seeded with k), so N = 3 after N = 2 adds community 3 alone, and running it again adds
nothing. Each community is written in one transaction: whole, or not at all. Demo mode only: its accounts have the
demo password.
"""

from __future__ import annotations

import random
import uuid

import anyio.to_thread
from piccolo.table import Table

from server.accounts.passwords import hash_password
from server.accounts.tables import User
from server.db import insert_in_chunks, write_transaction
from server.demo.names import demo_uuid
from server.demo.seed import (
    _KINDS,  # the demo's mix of households
    ADMIN_NAME,
    BUILDINGS,
    CITY,
    DEMO_PASSWORD,
    DISTRICT_ID,
    DISTRICT_NAME,
    GRID_NAMES,
    GRID_WORKER_NAMES,
    RANDOM_SEED,
    SEEDED_AT,
    VOLUNTEER_NAMES,
    Home,
    _Maker,
)
from server.places.search_index import index_residents
from server.places.tables import Building, Community, District, Grid, Household, Resident, Subdistrict, Unit

NAMESPACE = uuid.UUID("3c0e6f4a-1d2b-5e8f-9a7c-4b6d2e1f0a93")
SUBDISTRICTS = ["兴华街道", "和平街道", "杜儿坪街道"]  # of 万柏林区, beside the demo's 千峰街道
CITY_TABLES: list[type[Table]] = [Subdistrict, Community, Grid, Building, Unit, Household, Resident, User]


def city_uuid(community: int, kind: str, key: str = "") -> uuid.UUID:
    """The fixed id of a row of the city's community `community` (1 to N)."""
    return uuid.uuid5(NAMESPACE, f"{community}/{kind}:{key}")


def subdistrict_of(community: int) -> tuple[uuid.UUID, str]:
    """Communities 1, 2, 3 in each of the three subdistricts, then round again: a city of N >= 3 communities lies in
    three, whatever N (community k's subdistrict does not depend on it)."""
    name = SUBDISTRICTS[(community - 1) % len(SUBDISTRICTS)]
    return demo_uuid("subdistrict", name), name


def admin_phone(community: int) -> str:
    """Community k's admin logs in with 136kkkk0000; its grid worker g with 136kkkk000g."""
    return f"136{community:04d}0000"


def homes_of(community: int) -> list[Home]:
    """Every door of community k with its people, as the demo makes them (no story households). Pure."""
    maker = _Maker(random.Random(RANDOM_SEED + community), {ADMIN_NAME, *GRID_WORKER_NAMES, *VOLUNTEER_NAMES})
    kinds, weights = [kind for kind, _ in _KINDS], [weight for _, weight in _KINDS]
    homes = []
    for number, _grid, shape in BUILDINGS:
        for unit in range(1, shape.units + 1):
            for floor in range(1, shape.floors + 1):
                for door in range(1, shape.doors_on(floor) + 1):
                    home = Home(building=number, unit=unit, floor=floor, room=f"{floor}{door:02d}", kind="")
                    home.kind = maker.rng.choices(kinds, weights)[0]
                    home.people = maker.household(home.kind)
                    maker.send_some_away(home.people)
                    homes.append(home)
    return homes


def community_rows(community: int, password_hash: str) -> dict[type[Table], list[Table]]:
    k = community
    community_id = city_uuid(k, "community")
    grids = [city_uuid(k, "grid", str(number)) for number in range(1, len(GRID_NAMES) + 1)]
    name = f"城{k:02d}社区"
    rows: dict[type[Table], list[Table]] = {table: [] for table in CITY_TABLES}  # Subdistrict: by seed_city
    rows[Community].append(Community(id=community_id, subdistrict=subdistrict_of(k)[0], name=name, address=name))
    rows[Grid] = [
        Grid(id=grid_id, community=community_id, number=number, name=grid_name)
        for number, (grid_id, grid_name) in enumerate(zip(grids, GRID_NAMES, strict=True), start=1)
    ]
    for number, grid, shape in BUILDINGS:
        building_id = city_uuid(k, "building", str(number))
        rows[Building].append(
            Building(
                id=building_id,
                community=community_id,
                grid=grids[grid - 1],
                number=number,
                name=f"{number}号楼",
                address=f"{name}{number}号楼",
            )
        )
        for unit in range(1, shape.units + 1):
            unit_id = city_uuid(k, "unit", f"{number}-{unit}")
            rows[Unit].append(Unit(id=unit_id, building=building_id, number=unit, floors=shape.floors))
    for home in homes_of(k):
        household_id = city_uuid(k, "household", home.door)
        rows[Household].append(
            Household(
                id=household_id,
                community=community_id,
                building=city_uuid(k, "building", str(home.building)),
                unit=city_uuid(k, "unit", f"{home.building}-{home.unit}"),
                floor=home.floor,
                room=home.room,
                door=home.door,
            )
        )
        for index, person in enumerate(home.people):
            rows[Resident].append(
                Resident(
                    id=city_uuid(k, "resident", f"{home.door}/{index}"),
                    community=community_id,
                    household=household_id,
                    name=person.name,
                    sex=person.sex,
                    birth_date=person.birth_date,
                    phone=person.phone,
                    id_number=person.id_number,
                    relation=person.relation,
                    status=person.status,
                    created_at=SEEDED_AT,
                    updated_at=SEEDED_AT,
                )
            )
    accounts = [(admin_phone(k), f"{name}管理员", "admin", None)]
    accounts += [
        (f"{admin_phone(k)[:-1]}{g}", f"{name}网格员{g}", "grid_worker", grid) for g, grid in enumerate(grids, start=1)
    ]
    rows[User] = [
        User(
            id=city_uuid(k, "user", phone),
            community=community_id,
            phone=phone,
            name=person,
            role=role,
            grid=grid,
            password_hash=password_hash,
            is_demo=True,
            created_at=SEEDED_AT,
        )
        for phone, person, role, grid in accounts
    ]
    return rows


async def seed_city(communities: int) -> dict[str, int]:
    """Write the communities 1 to N that are missing (and their register of elderly residents). Rows per table."""
    from server.register.seed import seed_register

    if not 1 <= communities <= 9999:
        raise ValueError("communities: 1 to 9999")
    inserted = {table._meta.tablename: 0 for table in CITY_TABLES} | {"elder_profile": 0}
    password_hash = None
    for k in range(1, communities + 1):
        community_id = city_uuid(k, "community")
        if not await Community.exists().where(Community.id == community_id):
            if password_hash is None:  # argon2 is slow by design: once, off the event loop
                password_hash = await anyio.to_thread.run_sync(hash_password, DEMO_PASSWORD)
            rows = community_rows(k, password_hash)
            subdistrict_id, subdistrict_name = subdistrict_of(k)
            async with write_transaction():
                if not await District.exists().where(District.id == DISTRICT_ID):  # a city with no demo community
                    await District.insert(District(id=DISTRICT_ID, city=CITY, name=DISTRICT_NAME))
                if not await Subdistrict.exists().where(Subdistrict.id == subdistrict_id):
                    rows[Subdistrict] = [Subdistrict(id=subdistrict_id, district=DISTRICT_ID, name=subdistrict_name)]
                for table in CITY_TABLES:
                    inserted[table._meta.tablename] += await insert_in_chunks(table, rows[table])
                await index_residents([row.id for row in rows[Resident]])
        # Every time, for every community: it adds nothing where profiles exist, and makes them for a community whose
        # places were written by a run that stopped before this step.
        inserted["elder_profile"] += await seed_register(community_id, SEEDED_AT, {})
    return inserted
