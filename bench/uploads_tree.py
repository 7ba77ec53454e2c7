"""Hostile uploads in parallel against a server of two workers (a stranger's third review of issue 15): the memory
of the whole process tree a deployment runs (uvicorn's parent, its workers, their forkservers and the children
reading uploads) at its peak while they are read and once they are answered, each as a ratio to the quiet tree in
the same run; and how long an honest list takes while they are read, against the same list alone.

The hostile files come from several people at once (each its own log-in), then from one person in several tabs:
the stranger's 8 at once took the tree from ~400 MB to 1,321 MB, left it at 738-877 MB, and held an honest list
16-24 s.
"""

from __future__ import annotations

import statistics
import threading
import time

from bench.common import Served, load_average
from bench.matching import make
from bench.uploads import _tree_rss, _upload
from tests.imports import hostile

PEOPLE = [f"1380000000{n}" for n in range(1, 7)] + ["13800000000"]  # the six grid workers and the admin
HOSTILE = 8
SETTLE_SECONDS = 3


def _headers(server: Served, phone: str) -> dict[str, str]:
    return {k: v for k, v in server.log_in(phone).items() if k in ("cookie", "x-csrftoken")}


def _batch(server: Served, senders: list[dict[str, str]], files: list[tuple[str, bytes]], honest: bytes, pid: int):
    """The hostile files sent at once, an honest list a second later: (tree peak MB, honest seconds, statuses)."""
    peak = [0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _tree_rss(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    answers: list[dict] = [{} for _ in senders]
    threads = [
        threading.Thread(target=_upload, args=(server.port, headers, name, data, done))
        for headers, (name, data), done in zip(senders, files, answers, strict=True)
    ]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # the hostile ones are being read
    honest_done: dict = {}
    _upload(server.port, HONEST_HEADERS[0], "list.csv", honest, honest_done)
    for thread in threads:
        thread.join()
    stop.set()
    sampler.join()
    statuses = sorted(done.get("status", 0) for done in answers)
    return peak[0], honest_done["seconds"], honest_done["status"], statuses


HONEST_HEADERS: list[dict[str, str]] = []


def tree() -> None:
    hostile_files = [
        ("emoji.xlsx", hostile.wide_emoji_rows()),
        ("strings.xlsx", hostile.strings_bomb(5_000_000)),
    ]
    files = [hostile_files[n % len(hostile_files)] for n in range(HOSTILE)]
    _, honest = make(20_000)
    with Served(workers="2") as server:
        pid = server.process.pid
        HONEST_HEADERS[:] = [_headers(server, "13800000006")]
        for _ in range(4):  # each worker's first upload starts its forkserver: the quiet tree is a warm one
            _upload(server.port, HONEST_HEADERS[0], "list.csv", honest, {})
        time.sleep(SETTLE_SECONDS)
        quiet = _tree_rss(pid)
        alone = []
        for _ in range(3):
            done: dict = {}
            _upload(server.port, HONEST_HEADERS[0], "list.csv", honest, done)
            alone.append(done["seconds"])
        typical_alone = statistics.median(alone)
        print(
            f"{HOSTILE} hostile uploads at once, 2 workers: the process tree {quiet:.0f} MB quiet; "
            f"an honest list of 20,000 rows alone {typical_alone:.1f} s (median of 3)"
        )
        many = [_headers(server, PEOPLE[n % 5]) for n in range(HOSTILE)]  # five people, some in two tabs
        one = [_headers(server, PEOPLE[0]) for _ in range(HOSTILE)]  # one person in eight tabs
        for label, senders in (("from five people", many), ("from one person", one)):
            peak, seconds, status, statuses = _batch(server, senders, files, honest, pid)
            time.sleep(SETTLE_SECONDS)
            settled = _tree_rss(pid)
            print(
                f"  {label:16s}: tree peak {peak:5.0f} MB ({peak / quiet:4.2f} x quiet), "
                f"settled {settled:5.0f} MB ({settled / quiet:4.2f} x) {SETTLE_SECONDS} s after; "
                f"honest list {status} in {seconds:5.1f} s ({seconds / typical_alone:4.1f} x alone); "
                f"hostile answered {statuses}"
            )
        print(f"  ({load_average()})")


if __name__ == "__main__":
    import asyncio

    from bench.common import prepare

    asyncio.run(prepare())
    tree()
