"""The sweep page of a big sweep (issue 14): ten buildings, one of them a 400-door tower, a quarter of the doors
recorded, as the community admin watches it (every door folded into building > unit > floor), against the page of a
one-building sweep and /healthz. The page reads the doors once: the figures grow with doors, not with queries."""

from __future__ import annotations

import statistics
import uuid
from datetime import UTC, datetime

import msgspec

from bench.common import ADMIN, client, log_in, timed_gets
from server.demo.seed import demo_uuid
from server.places.tables import Household
from tests.sweeps.tower import add_tower

ROUNDS = 30


async def _sweep(browser, name: str, buildings: list[uuid.UUID]) -> str:
    answer = await browser.post(
        "/sweeps/",
        data={
            "_csrf_token": browser.cookies["gc_csrf"],
            "name": name,
            "day": "2022-11-24",
            "building_ids": [str(b) for b in buildings],
        },
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


async def sweep_page() -> None:
    tower = await add_tower(number=88)
    big = [tower, *(demo_uuid("building", str(n)) for n in range(1, 10))]
    async with client() as browser:
        await log_in(browser, ADMIN)
        one = await _sweep(browser, "bench: one building", big[1:2])
        ten = await _sweep(browser, "bench: ten buildings", big)
        doors = await Household.select(Household.id).where(Household.building.is_in(big))
        outcomes = ("done", "nobody_home", "done", "needs_help")
        writes = [
            {
                "id": str(uuid.uuid4()),
                "kind": "sweep.tick",
                "device_time": datetime.now(UTC).isoformat(),
                "payload": {
                    "sweep_id": ten.rsplit("/", 1)[1],
                    "household_id": str(d["id"]),
                    "outcome": outcomes[i % 4],
                    **({"help_needed": "药"} if outcomes[i % 4] == "needs_help" else {}),
                },
            }
            for i, d in enumerate(doors[::4])
        ]
        for start in range(0, len(writes), 400):
            answer = await browser.post(
                "/api/v1/sync",
                content=msgspec.json.encode({"writes": writes[start : start + 400]}),
                headers={"x-csrftoken": browser.cookies["gc_csrf"], "content-type": "application/json"},
            )
            assert {a["status"] for a in answer.json()["answers"]} == {"accepted"}, answer.text
        baseline = statistics.median(await timed_gets(browser, "/healthz", ROUNDS))
        small = statistics.median(await timed_gets(browser, one, ROUNDS))
        large = statistics.median(await timed_gets(browser, ten, ROUNDS))
        size = len((await browser.get(ten)).content)
    print(f"sweep page as the admin ({len(doors)} doors in 10 buildings, {len(writes)} recorded), median of {ROUNDS}:")
    print(f"  one building (36 doors) {small / baseline:6.1f} x /healthz")
    print(f"  ten buildings           {large / baseline:6.1f} x /healthz ({large / small:.1f} x one building)")
    print(f"  ({large * 1000:.0f} ms, {size // 1024} KB of HTML: every floor tile is on the page, folded)")
