"""Benchmarks: `make bench`. Figures are ratios against a baseline measured in the same run, never absolute targets.

pages: the cost of the register's pages for a logged-in grid worker, against /healthz (one trivial query) as the
baseline, in process on a freshly seeded SQLite file. A ratio that grows between commits means a page got heavier.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time

os.environ["GRIDCARE_DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='gridcare-bench-')}/bench.sqlite3"
os.environ["GRIDCARE_DEMO"] = "1"

import httpx  # noqa: E402

from server.app import create_app  # noqa: E402
from server.db import migrate  # noqa: E402
from server.demo.seed import DEMO_PASSWORD, demo_uuid, seed_demo  # noqa: E402

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


def main() -> None:
    print("Gridcare benchmarks (ratios against a baseline measured in the same run)", file=sys.stderr)
    asyncio.run(pages())


main()
