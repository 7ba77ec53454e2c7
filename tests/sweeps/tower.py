"""A tall building made by a test, not by the demo seed: `python -c "...add_tower()"` on an e2e server's own
database file, or awaited in a route test. No residents: a sweep of households needs doors only."""

from __future__ import annotations

import uuid

from server.db import insert_in_chunks, write_transaction
from server.demo.seed import COMMUNITY_ID, GRID_IDS
from server.places.tables import Building, Household, Unit

NAMESPACE = uuid.UUID("1d7c8e52-5a0b-4f43-9b35-7c0f6e2a9d11")


async def add_tower(number: int = 77, grid: int = 2, units: int = 4, floors: int = 25, doors: int = 4) -> uuid.UUID:
    """Building `number` (named "77号楼"), units x floors x doors households ("77-1-2503"). Again: adds nothing."""
    building_id = uuid.uuid5(NAMESPACE, f"building:{number}")
    async with write_transaction():
        if await Building.exists().where(Building.id == building_id):
            return building_id
        grid_id = GRID_IDS[grid - 1]
        await Building.insert(
            Building(id=building_id, community=COMMUNITY_ID, grid=grid_id, number=number, name=f"{number}号楼")
        )
        unit_rows, homes = [], []
        for u in range(1, units + 1):
            unit_id = uuid.uuid5(NAMESPACE, f"unit:{number}-{u}")
            unit_rows.append(Unit(id=unit_id, building=building_id, number=u, floors=floors))
            for f in range(1, floors + 1):
                for d in range(1, doors + 1):
                    room = f"{f}{d:02d}"
                    homes.append(
                        Household(
                            id=uuid.uuid5(NAMESPACE, f"household:{number}-{u}-{room}"),
                            community=COMMUNITY_ID,
                            building=building_id,
                            unit=unit_id,
                            floor=f,
                            room=room,
                            door=f"{number}-{u}-{room}",
                        )
                    )
        await insert_in_chunks(Unit, unit_rows)
        await insert_in_chunks(Household, homes)
    return building_id
