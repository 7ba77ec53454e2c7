"""The door screen of a 400-door building (the demo's tower, 42号楼: 33 floors of 12 doors), as a volunteer opens it
floor by floor: server time p50 and p99 against /healthz (goal: 10x or less)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import msgspec

from bench.common import client, log_in, percentile, timed_each
from server.access.scope import Scope
from server.accounts.services import user_for_token
from server.demo.seed import COMMUNITY_ID, TOWER, demo_uuid
from server.places.tables import Household, Unit
from server.sweeps import team
from server.sweeps.schemas import SweepCreate
from server.sweeps.services import create_sweep
from server.sweeps.tables import Sweep

ADMIN = "13800000000"  # 王磊, who makes the sweep of the tower (in grid 6)
VOLUNTEER = "13900000001"
ROUNDS = 200
TOWER_NUMBER, _, SHAPE = TOWER
UNITS, FLOORS = SHAPE.units, SHAPE.floors


async def door_screen() -> str:
    """Prints the figures; returns the URL of one floor, for the first-visit benchmark."""
    building_id = demo_uuid("building", str(TOWER_NUMBER))  # seeded with the demo: 1 unit x 33 floors x 12 doors
    async with client() as worker_browser:
        await log_in(worker_browser, ADMIN)
        worker = await user_for_token(worker_browser.cookies["gc_session"])
        sweep = await create_sweep(
            worker,
            Scope(COMMUNITY_ID, None),
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
    print(f"door screen of a {SHAPE.households}-door building, as a volunteer ({ROUNDS} floors of up to 12 doors):")
    print(f"  /healthz p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms (the baseline)")
    print(f"  floor screen p50 {s50 / p50:.1f} x baseline p50, p99 {s99 / p99:.1f} x baseline p99 (goal <= 10x)")
    print(f"  (floor screen p50 {s50 * 1000:.1f} ms, p99 {s99 * 1000:.1f} ms: a faster /healthz raises the ratio)")
    return floors[len(floors) // 2]
