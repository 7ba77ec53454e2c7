"""A community as big as the sweep form allows (issue 18): 200 buildings of 5 units each (1,000 units), made with
bulk inserts by a test, not by the demo seed. Two grids, an admin and a grid worker for each grid, one resident at
each building's first door (a person sweep needs someone to expect). Again: adds nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio.to_thread

from server.accounts.passwords import hash_password
from server.accounts.tables import User
from server.db import insert_in_chunks, write_transaction
from server.demo.seed import DEMO_PASSWORD, SUBDISTRICT_ID
from server.places.tables import Building, Community, Grid, Household, Resident, Unit

NAMESPACE = uuid.UUID("5b1f0d7e-2c55-4b7a-9a61-0e4d8f3c2a18")
BUILDINGS = 200  # the most whole buildings the form takes
UNITS = 5  # 1,000 units in all: the most single units the form takes
FLOORS = 2
DOORS = 2  # per floor and unit: 4,000 doors in all
ADMIN = "13820000000"
GRID_WORKERS = ["13820000001", "13820000002"]


@dataclass(frozen=True)
class Big:
    community: uuid.UUID
    grids: list[uuid.UUID]
    buildings: list[uuid.UUID]  # by number, 1 to 200; odd numbers in grid 1, even in grid 2
    units: list[uuid.UUID]  # building by building, unit by unit

    def door(self, building: int, unit: int = 1, floor: int = 1, door: int = 1) -> uuid.UUID:
        return _id(f"household:{building}-{unit}-{floor}{door:02d}")

    def resident(self, building: int) -> uuid.UUID:
        return _id(f"resident:{building}")


def _id(key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, key)


def big() -> Big:
    numbers = range(1, BUILDINGS + 1)
    return Big(
        community=_id("community"),
        grids=[_id("grid:1"), _id("grid:2")],
        buildings=[_id(f"building:{n}") for n in numbers],
        units=[_id(f"unit:{n}-{u}") for n in numbers for u in range(1, UNITS + 1)],
    )


async def add_big_community() -> Big:
    shape = big()
    if await Community.exists().where(Community.id == shape.community):
        return shape
    password_hash = await anyio.to_thread.run_sync(hash_password, DEMO_PASSWORD)
    now = datetime.now(UTC)
    community = shape.community
    buildings, units, homes, people = [], [], [], []
    for n, building_id in enumerate(shape.buildings, start=1):
        grid = shape.grids[(n - 1) % 2]
        buildings.append(Building(id=building_id, community=community, grid=grid, number=n, name=f"{n}号楼"))
        for u in range(1, UNITS + 1):
            unit_id = _id(f"unit:{n}-{u}")
            units.append(Unit(id=unit_id, building=building_id, number=u, floors=FLOORS))
            for f in range(1, FLOORS + 1):
                for d in range(1, DOORS + 1):
                    room = f"{f}{d:02d}"
                    homes.append(
                        Household(
                            id=shape.door(n, u, f, d),
                            community=community,
                            building=building_id,
                            unit=unit_id,
                            floor=f,
                            room=room,
                            door=f"{n}-{u}-{room}",
                        )
                    )
        people.append(
            Resident(
                id=shape.resident(n),
                community=community,
                household=shape.door(n),
                name=f"住户{n}",
                sex="F",
                created_at=now,
                updated_at=now,
            )
        )
    accounts = [
        User(id=_id("user:admin"), community=community, phone=ADMIN, name="大管理", role="admin"),
        *(
            User(
                id=_id(f"user:{phone}"), community=community, phone=phone, name=f"大网格{i}", role="grid_worker", grid=g
            )
            for i, (phone, g) in enumerate(zip(GRID_WORKERS, shape.grids, strict=True), start=1)
        ),
    ]
    for account in accounts:
        account.password_hash = password_hash
        account.created_at = now
    async with write_transaction():
        await Community.insert(Community(id=community, subdistrict=SUBDISTRICT_ID, name="大社区", address="大社区"))
        await Grid.insert(
            *(Grid(id=g, community=community, number=i, name=f"大{i}网格") for i, g in enumerate(shape.grids, 1))
        )
        for table, rows in (
            (Building, buildings),
            (Unit, units),
            (Household, homes),
            (Resident, people),
            (User, accounts),
        ):
            await insert_in_chunks(table, rows)
    return shape
