"""Pages priced by what they show, not by what the database holds (issue 18): the admin's home and round, a grid
worker's round, resident search and /people, against /healthz in the same run, and each page's HTML, first with the
demo community alone (1x), then beside a synthetic city of GRIDCARE_BENCH_CITY communities of its size
(`demo-city`, 10 by default, ~3 s each to make). Goal: each page's ratio with the city within 1.5x of its ratio
alone, and no page over 300 KB of HTML.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import statistics
import time

from bench.common import client, load_average, log_in, prepare, timed_gets

ROUNDS = 21
GROWTH_GOAL = 1.5
SIZE_GOAL_KB = 300
ADMIN, WORKER = "13800000000", "13800000006"  # 王磊; 紫锦木, grid 6 (the tower: the demo's largest round)
PAGES = [
    ("admin home", ADMIN, "/"),
    ("admin round", ADMIN, "/round"),
    ("admin round, page 2", ADMIN, "/round?page=2"),
    ("grid worker's round", WORKER, "/round"),
    ("grid worker's home", WORKER, "/"),
    ("search 张国强", WORKER, "/search?q=张国强"),
    ("search 301", WORKER, "/search?q=301"),
    ("search 张 (1 char)", ADMIN, "/search?q=张"),
    ("/people", ADMIN, "/people"),
]


async def _paired(browser, url: str) -> float:
    """The median of the page's time over /healthz's, each pair measured one after the other: on shared cores whose
    load changes by the second, a ratio of two medians taken a minute apart says more about the load than the page."""
    ratios = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        await browser.get("/healthz")
        middle = time.perf_counter()
        await browser.get(url)
        ratios.append((time.perf_counter() - middle) / (middle - started))
    return statistics.median(ratios)


async def _measure() -> dict[str, tuple[float, int]]:
    """Each page's cost against /healthz, and its bytes."""
    figures = {}
    for account in (ADMIN, WORKER):
        async with client() as browser:
            await log_in(browser, account)
            mine = [(name, url) for name, who, url in PAGES if who == account]
            sizes = {name: len((await browser.get(url)).content) for name, url in mine}  # also warms every page
            await timed_gets(browser, "/healthz", 3)
            for name, url in mine:
                figures[name] = (await _paired(browser, url), sizes[name])
    return figures


async def page_sizes() -> None:
    from server.demo.city import seed_city

    alone = await _measure()
    communities = int(os.environ.get("GRIDCARE_BENCH_CITY", "10"))
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        await seed_city(communities)
    made = time.perf_counter() - started
    city = await _measure()
    print(f"pages, the demo alone (1x) and beside a city of {communities} communities ({made:.0f} s to make)")
    print(f"  {load_average()}; goal: growth <= {GROWTH_GOAL}, HTML <= {SIZE_GOAL_KB} KB")
    print(f"  {'page':24s} {'1x':>7s} {f'{communities + 1}x':>7s} {'growth':>7s} {'HTML':>10s}")
    for name, _, _ in PAGES:
        (ratio_1, _), (ratio_n, size) = alone[name], city[name]
        growth = ratio_n / ratio_1
        flags = ("" if growth <= GROWTH_GOAL else " growth over goal") + (
            "" if size <= SIZE_GOAL_KB * 1024 else " HTML over goal"
        )
        print(f"  {name:24s} {ratio_1:6.1f}x {ratio_n:6.1f}x {growth:6.2f}x {size / 1024:7.1f} KB{flags}")


async def _main() -> None:
    await prepare()
    await page_sizes()


if __name__ == "__main__":
    asyncio.run(_main())
