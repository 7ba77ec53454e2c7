"""Benchmarks: `make bench`. Figures are ratios against a baseline measured in the same run, never absolute targets
(the bytes of a first visit excepted: issue 3 sets a budget in kilobytes).

- pages.py: the register's pages against /healthz.
- page_sizes.py: the admin's and a grid worker's pages, search and /people against /healthz and their HTML, the demo
  alone and beside a city of GRIDCARE_BENCH_CITY communities (issue 18: growth <= 1.5x, HTML <= 300 KB).
- sessions.py: the session lookup each request needs, against /healthz (kept in the process, and read again).
- matching.py: issue 4's list-against-register matching, against a plain dict join of the same keys.
- ticks.py: ticks per second through POST /api/v1/sync against plain sqlite3 executemany (issue 3: >= 0.20).
- door.py: the door screen of a 400-door building, p50 and p99 against /healthz (issue 3: <= 10x).
- sweep_page.py: the sweep page of ten buildings (one a 400-door tower) against one building and /healthz (issue 14).
- big_sweep.py: the sweep page of 200 buildings and of 1,000 units (4,000 doors) against one of 10 buildings (issue 18).
- door_height.py: the door screen's height per door at 360 px in Chromium (issue 14: <= 100 px, 8 doors a screen).
- first_visit.py: bytes a volunteer downloads on the first visit to the door screen (issue 3: <= 60 KB).
- guide_fonts.py: font bytes a guide page downloads against the whole handwriting font (issue 7: subset <= 100 KB).
- uploads.py: hostile uploads against the server as deployed: /healthz while each is refused (issue 15: < 100 ms)
  and the server's peak memory (issue 15: < 300 MB), and a real list of 100,000 rows for comparison; refused uploads
  one after another: the memory of the server and its children after them against before, /healthz's p99 during
  them against quiet, an honest list's upload while a hostile one is read against alone, /healthz's p99 while two
  people's 1.5M-cell lists are read at once (issue 15: < 100 ms).
- logins.py: 80 wrong log-ins at once from 80 addresses: the server's peak memory against quiet and /healthz's p99
  against quiet (issue 15: < 300 MB, < 100 ms; a stranger's walk: 1.9 GB, 2.4 s), then 32 right ones from one address;
  then a sustained flood from new /64s of one /48, without and with the limit per /48: a grid worker's log-in against
  a quiet one, the server's peak and settled memory against quiet.
- uploads_tree.py: two workers and eight hostile uploads at once (from five people, then from one): the whole process
  tree's peak and settled memory against the quiet tree, an honest list's time against alone.

All run in process on a fresh SQLite file. With GRIDCARE_BENCH_POSTGRES_URL set (a database that may be dropped and
made again, e.g. postgresql://gridcare:gridcare@127.0.0.1:5432/gridcare_bench), the ticks and sessions run on
PostgreSQL too.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

from bench.common import prepare  # first: it chooses the database


def fresh_postgres(url: str) -> None:
    import asyncpg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")

    async def recreate() -> None:
        connection = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(recreate())


def postgres_ticks(url: str) -> None:
    """In a process of its own: Piccolo binds one engine per process."""
    fresh_postgres(url)
    env = {**os.environ, "GRIDCARE_BENCH_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "bench.ticks"], env=env, check=True)  # noqa: S603
    fresh_postgres(url)
    subprocess.run([sys.executable, "-m", "bench.sessions"], env=env, check=True)  # noqa: S603


def main() -> None:
    from bench import matching
    from bench.big_sweep import big_sweep
    from bench.door import door_screen
    from bench.door_height import door_height
    from bench.first_visit import first_visit
    from bench.guide_fonts import guide_fonts
    from bench.logins import flood, logins
    from bench.pages import pages
    from bench.sessions import sessions
    from bench.sweep_page import sweep_page
    from bench.ticks import ticks
    from bench.uploads import repeated, uploads
    from bench.uploads_tree import tree

    print("Gridcare benchmarks (ratios against a baseline measured in the same run)", file=sys.stderr)
    matching.run()

    async def run() -> None:
        await prepare()
        await pages()
        await sessions()
        await ticks()
        floor_url = await door_screen()
        await first_visit(floor_url)
        await sweep_page()
        await big_sweep()
        await door_height(floor_url)
        await guide_fonts()

    asyncio.run(run())
    uploads()
    repeated()
    logins()
    flood()
    tree()
    # In a process of its own, on a fresh database: it adds a city, which the others must not measure.
    subprocess.run([sys.executable, "-m", "bench.page_sizes"], check=True)  # noqa: S603
    url = os.environ.get("GRIDCARE_BENCH_POSTGRES_URL")
    if url:
        postgres_ticks(url)
    else:
        print("(set GRIDCARE_BENCH_POSTGRES_URL to measure the ticks and sessions on PostgreSQL too)")


main()
