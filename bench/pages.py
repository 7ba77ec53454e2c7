"""The register's pages for a logged-in grid worker, against /healthz (one trivial query) as the baseline.

A ratio that grows between commits means a page got heavier.
"""

from __future__ import annotations

import statistics

from bench.common import client, log_in, timed_gets
from server.demo.seed import demo_uuid

ROUNDS = 60


async def pages() -> None:
    async with client() as browser:
        await log_in(browser, "13800000002")
        baseline = statistics.median(await timed_gets(browser, "/healthz", ROUNDS))
        print(f"baseline /healthz: {baseline * 1000:.2f} ms per request (median of {ROUNDS})")
        for name, url in [
            ("home (grid at a glance)", "/"),
            ("building 2", f"/buildings/{demo_uuid('building', '2')}"),
            ("household 2-1-301", f"/households/{demo_uuid('household', '2-1-301')}"),
            ("search 张 (fragment)", "/search?q=张"),
        ]:
            cost = statistics.median(await timed_gets(browser, url, ROUNDS))
            print(f"  {name:26s} {cost / baseline:6.1f} x baseline")
