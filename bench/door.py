"""The door screen of a 400-door building (4 units x 25 floors x 4 doors), as a volunteer opens it floor by floor:
server time p50 and p99 against /healthz (goal: 10x or less)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime

import msgspec

from bench.common import client, log_in, percentile, timed_each
from server.accounts.services import Scope, user_for_token
from server.demo.seed import COMMUNITY_ID, GRID_IDS
from server.places.tables import Building, Household, Resident, Unit
from server.sweeps import team
from server.sweeps.schemas import SweepCreate
from server.sweeps.services import create_sweep
from server.sweeps.tables import Sweep

UNITS, FLOORS, DOORS_PER_FLOOR = 4, 25, 4
WORKER = "13800000002"  # 李雪敏, grid 2: the building goes in her grid
VOLUNTEER = "13900000001"
ROUNDS = 200
SURNAMES = "王李张刘陈杨赵黄周吴"


async def make_building() -> uuid.UUID:
    """A tall building of 400 doors with 1 to 4 residents each, in grid 2 of the demo community."""
    rng = random.Random(400)
    building = Building(community=COMMUNITY_ID, grid=GRID_IDS[1], number=400, name="400号楼", address="bench")
    await building.save()
    units, households, residents = [], [], []
    now = datetime.now(UTC)
    for u in range(1, UNITS + 1):
        unit = Unit(building=building.id, number=u, floors=FLOORS)
        units.append(unit)
        for floor in range(1, FLOORS + 1):
            for d in range(1, DOORS_PER_FLOOR + 1):
                room = f"{floor}{d:02d}"
                household = Household(
                    community=COMMUNITY_ID,
                    building=building.id,
                    unit=unit.id,
                    floor=floor,
                    room=room,
                    door=f"400-{u}-{room}",
                )
                households.append(household)
                for n in range(rng.randint(1, 4)):
                    residents.append(
                        Resident(
                            community=COMMUNITY_ID,
                            household=household.id,
                            name=rng.choice(SURNAMES) + "某某",
                            sex="MF"[n % 2],
                            relation="head" if n == 0 else "spouse",
                            created_at=now,
                            updated_at=now,
                        )
                    )
    await Unit.insert(*units)
    for start in range(0, len(households), 200):
        await Household.insert(*households[start : start + 200])
    for start in range(0, len(residents), 200):
        await Resident.insert(*residents[start : start + 200])
    return building.id


async def door_screen() -> str:
    """Prints the figures; returns the URL of one floor, for the first-visit benchmark."""
    building_id = await make_building()
    async with client() as worker_browser:
        await log_in(worker_browser, WORKER)
        worker = await user_for_token(worker_browser.cookies["gc_session"])
        sweep = await create_sweep(
            worker,
            Scope(COMMUNITY_ID, (GRID_IDS[1],)),
            SweepCreate(name="400", day=date(2022, 11, 24), building_ids=[building_id]),
        )
        # Half the building already ticked: the screens show states, and the sweep holds ticks.
        doors = await Household.select(Household.id).where(Household.building == building_id)
        writes = [
            {
                "id": str(uuid.uuid4()),
                "kind": "sweep.tick",
                "device_time": datetime.now(UTC).isoformat(),
                "payload": {"sweep_id": str(sweep), "household_id": str(d["id"]), "outcome": "done"},
            }
            for d in doors[::2]
        ]
        answer = await worker_browser.post(
            "/api/v1/sync",
            content=msgspec.json.encode({"writes": writes}),
            headers={"x-csrftoken": worker_browser.cookies["gc_csrf"], "content-type": "application/json"},
        )
        assert {a["status"] for a in answer.json()["answers"]} == {"accepted"}
    async with client() as browser:
        await log_in(browser, VOLUNTEER)
        volunteer = await user_for_token(browser.cookies["gc_session"])
        sweep_row = await Sweep.select().where(Sweep.id == sweep).first()
        for unit in await Unit.select(Unit.id).where(Unit.building == building_id):  # the volunteer holds it all
            await team.claim(volunteer, sweep_row, unit["id"], 1, FLOORS, datetime.now(UTC), 120)
        base = f"/sweeps/{sweep}/buildings/{building_id}/units"
        floors = [f"{base}/{u}/floors/{f}" for u in range(1, UNITS + 1) for f in range(1, FLOORS + 1)]
        await timed_each(browser, ["/healthz", floors[0]])  # warm caches (templates, statements)
        healthz, screens = [], []
        for n in range(ROUNDS):  # in turn, so that both see the same machine
            healthz += await timed_each(browser, ["/healthz"])
            screens += await timed_each(browser, [floors[n % len(floors)]])
    p50, p99 = percentile(healthz, 50), percentile(healthz, 99)
    s50, s99 = percentile(screens, 50), percentile(screens, 99)
    print(f"door screen of a {UNITS * FLOORS * DOORS_PER_FLOOR}-door building, as a volunteer ({ROUNDS} floors):")
    print(f"  /healthz p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms (the baseline)")
    print(f"  floor screen p50 {s50 / p50:.1f} x baseline p50, p99 {s99 / p99:.1f} x baseline p99 (goal <= 10x)")
    print(f"  (floor screen p50 {s50 * 1000:.1f} ms, p99 {s99 * 1000:.1f} ms: a faster /healthz raises the ratio)")
    return floors[len(floors) // 2]
