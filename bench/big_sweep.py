"""The sweep page of the biggest sweep the form allows (issue 18): 200 whole buildings (4,000 doors), and 1,000
single units of the same community, against a sweep of 10 of its buildings (200 doors) and /healthz, a quarter of
each sweep's doors recorded. The page reads a sweep's doors through its own areas (one sub-select per kind), so its
cost should grow with the doors drawn, about 20x for 20x the doors, not with a query that grows per building."""

from __future__ import annotations

import statistics
import uuid
from datetime import UTC, datetime

import msgspec

from bench.common import client, log_in, timed_gets
from server.places.tables import Household
from server.sweeps.tables import SweepArea
from tests.sweeps.big_community import ADMIN, add_big_community

ROUNDS = 10


async def _sweep(browser, name: str, **chosen: list[uuid.UUID]) -> str:
    form = {key: [str(value) for value in values] for key, values in chosen.items()}
    answer = await browser.post(
        "/sweeps/", data={"_csrf_token": browser.cookies["gc_csrf"], "name": name, "day": "2022-11-24", **form}
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


async def _tick_a_quarter(browser, url: str) -> None:
    sweep_id = url.rsplit("/", 1)[1]
    buildings = SweepArea.select(SweepArea.building).where(SweepArea.sweep == uuid.UUID(sweep_id))
    doors = await Household.select(Household.id).where(Household.building.is_in(buildings)).order_by(Household.door)
    writes = [
        {
            "id": str(uuid.uuid4()),
            "kind": "sweep.tick",
            "device_time": datetime.now(UTC).isoformat(),
            "payload": {"sweep_id": sweep_id, "household_id": str(d["id"]), "outcome": ("done", "nobody_home")[i % 2]},
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


async def big_sweep() -> None:
    place = await add_big_community()
    async with client() as browser:
        await log_in(browser, ADMIN)
        ten = await _sweep(browser, "bench: 10 buildings", building_ids=place.buildings[:10])
        whole = await _sweep(browser, "bench: 200 buildings", building_ids=place.buildings)
        units = await _sweep(browser, "bench: 1,000 units", unit_ids=place.units)
        for url in (ten, whole, units):
            await _tick_a_quarter(browser, url)
        baseline = statistics.median(await timed_gets(browser, "/healthz", ROUNDS))
        small = statistics.median(await timed_gets(browser, ten, ROUNDS))
        large = statistics.median(await timed_gets(browser, whole, ROUNDS))
        by_unit = statistics.median(await timed_gets(browser, units, ROUNDS))
        size = len((await browser.get(whole)).content)
    print(f"biggest sweep page as the admin (issue 18; a quarter of the doors recorded), median of {ROUNDS}:")
    print(f"  10 buildings (200 doors)    {small / baseline:7.1f} x /healthz")
    print(f"  200 buildings (4,000 doors) {large / baseline:7.1f} x /healthz ({large / small:.1f} x 10 buildings)")
    print(f"  1,000 units (4,000 doors)   {by_unit / baseline:7.1f} x /healthz ({by_unit / small:.1f} x 10 buildings)")
    print(f"  ({large * 1000:.0f} ms, {size // 1024} KB of HTML for 200 buildings)")


if __name__ == "__main__":
    import asyncio

    from bench.common import prepare

    async def _main() -> None:
        await prepare()
        await big_sweep()

    asyncio.run(_main())
