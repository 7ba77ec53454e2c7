"""Benchmarks: `make bench`. Figures are ratios against a baseline measured in the same run, never absolute targets.

pages: the cost of the register's pages for a logged-in grid worker, against /healthz (one trivial query) as the
baseline, in process on a freshly seeded SQLite file. A ratio that grows between commits means a page got heavier.

matching: issue 4's list-against-register matching, against a plain dict join of the same keys (bench/matching.py).

ticks: ticks per second through POST /api/v1/sync in batches of 100, against plain sqlite3 executemany of the same
rows into a table with a unique key (issue 3 asks for at least 0.20 of that raw rate on SQLite).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime

os.environ["GRIDCARE_DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='gridcare-bench-')}/bench.sqlite3"
os.environ["GRIDCARE_DEMO"] = "1"

import httpx  # noqa: E402

from bench import matching  # noqa: E402
from server.accounts.services import Scope, user_for_token  # noqa: E402
from server.app import create_app  # noqa: E402
from server.db import migrate  # noqa: E402
from server.demo.seed import COMMUNITY_ID, DEMO_PASSWORD, demo_uuid, seed_demo  # noqa: E402
from server.places.tables import Household  # noqa: E402
from server.sweeps.schemas import SweepCreate  # noqa: E402
from server.sweeps.services import create_sweep  # noqa: E402

ROUNDS = 60


async def _per_request(client: httpx.AsyncClient, url: str) -> float:
    await client.get(url)  # warm caches (templates, statements)
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        answer = await client.get(url)
        samples.append(time.perf_counter() - start)
        assert answer.status_code == 200, (url, answer.status_code)
    return statistics.median(samples)


async def pages() -> None:
    await migrate()
    await seed_demo()
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await client.get("/login")
        await client.post(
            "/login",
            data={"phone": "13800000002", "password": DEMO_PASSWORD, "_csrf_token": client.cookies["gc_csrf"]},
        )
        baseline = await _per_request(client, "/healthz")
        print(f"baseline /healthz: {baseline * 1000:.2f} ms per request (median of {ROUNDS})")
        for name, url in [
            ("home (grid at a glance)", "/"),
            ("building 2", f"/buildings/{demo_uuid('building', '2')}"),
            ("household 2-1-301", f"/households/{demo_uuid('household', '2-1-301')}"),
            ("search 张 (fragment)", "/search?q=张"),
        ]:
            cost = await _per_request(client, url)
            print(f"{name:26s} {cost / baseline:6.1f} x baseline")


TICKS = 5_000
TICK_BATCH = 100


def raw_sqlite_rate(rows: list[tuple]) -> float:
    """Plain sqlite3 executemany of the same rows, with a unique key, in one transaction: the ceiling."""
    path = os.path.join(tempfile.mkdtemp(prefix="gridcare-bench-raw-"), "raw.sqlite3")
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(
        "CREATE TABLE tick (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, sweep TEXT, household TEXT, outcome TEXT,"
        " volunteer TEXT, device_time TEXT, received_at TEXT)"
    )
    start = time.perf_counter()
    for offset in range(0, len(rows), TICK_BATCH):
        with connection:
            connection.executemany(
                "INSERT INTO tick VALUES (NULL, ?, ?, ?, ?, ?, ?, ?)", rows[offset : offset + TICK_BATCH]
            )
    elapsed = time.perf_counter() - start
    connection.close()
    return len(rows) / elapsed


async def ticks() -> None:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await client.get("/login")
        await client.post(
            "/login",
            data={"phone": "13800000000", "password": DEMO_PASSWORD, "_csrf_token": client.cookies["gc_csrf"]},
        )
        admin = await user_for_token(client.cookies["gc_session"])
        buildings = [demo_uuid("building", str(n)) for n in range(1, 42)]
        sweep = await create_sweep(
            admin, Scope(COMMUNITY_ID, None), SweepCreate(name="bench", day=date(2022, 11, 24), building_ids=buildings)
        )
        doors = [row["id"] for row in await Household.select(Household.id).where(Household.community == COMMUNITY_ID)]
        now = datetime.now(UTC).isoformat()
        writes = [
            {
                "id": str(uuid.uuid4()),
                "kind": "sweep.tick",
                "device_time": now,
                "payload": {"sweep_id": str(sweep), "household_id": str(doors[i % len(doors)]), "outcome": "done"},
            }
            for i in range(TICKS)
        ]
        headers = {"x-csrftoken": client.cookies["gc_csrf"]}
        start = time.perf_counter()
        for offset in range(0, TICKS, TICK_BATCH):
            answer = await client.post(
                "/api/v1/sync", json={"writes": writes[offset : offset + TICK_BATCH]}, headers=headers
            )
            assert {a["status"] for a in answer.json()["answers"]} == {"accepted"}
        rate = TICKS / (time.perf_counter() - start)
    raw = raw_sqlite_rate(
        [(w["id"], str(sweep), w["payload"]["household_id"], "done", str(admin.id), now, now) for w in writes]
    )
    print(f"ticks through /api/v1/sync (batches of {TICK_BATCH}): {rate:,.0f}/s")
    print(f"plain sqlite3 executemany of the same rows:        {raw:,.0f}/s")
    print(f"ratio: {rate / raw:.3f} (issue 3 asks >= 0.20 on SQLite)")


def main() -> None:
    print("Gridcare benchmarks (ratios against a baseline measured in the same run)", file=sys.stderr)
    matching.run()
    asyncio.run(pages())
    asyncio.run(ticks())


main()
