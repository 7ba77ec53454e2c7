"""Hostile uploads against the server as deployed (issue 15): /healthz keeps answering in < 100 ms while each is
refused, and the server's peak memory during a refused upload stays < 300 MB.

The server runs as `python -m server serve` (uvicorn, one process). Two requests come first, sent without logging
in (a form of 2.4 million fields, a multipart of 200,000 parts), then the files. For each: the process's peak
resident memory is reset (Linux: /proc/PID/clear_refs), it is sent (a file to /reconcile/preview) on one socket while
/healthz is asked again and again on another, and then the peak is read (VmHWM). /healthz before any upload is the
baseline of its latency; during an upload it is given as milliseconds and as a multiple of that baseline. A real
list of 100,000 people is read last, for comparison: accepted, its cost is what a large honest list takes.
"""

from __future__ import annotations

import http.client
import re
import statistics
import threading
import time
from pathlib import Path

from bench.common import Served, load_average
from bench.matching import make
from tests.imports import hostile

WORKER = "13800000002"
BOUNDARY = "gridcare-bench"
HEALTHZ_BUDGET_MS = 100
MEMORY_BUDGET_MB = 300


def _memory(pid: int, field: str) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) / 1024


def _healthz(port: int) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.perf_counter()
    connection.request("GET", "/healthz")
    connection.getresponse().read()
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed


def _upload(port: int, headers: dict[str, str], name: str, data: bytes, done: dict) -> None:
    if name.startswith("/"):  # not a file: a body sent as it is, without logging in (`data` from anonymous())
        path, body, headers = name, data, {"content-type": ANONYMOUS[name]}
    else:
        path = "/reconcile/preview"
        body = (
            (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{BOUNDARY}--\r\n".encode()
        )
        headers = {**headers, "content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    start = time.perf_counter()
    connection.request("POST", path, body, headers)
    answer = connection.getresponse()
    answer.read()
    done["status"], done["seconds"] = answer.status, time.perf_counter() - start
    connection.close()


MULTIPART_PARTS = b"".join(
    b'--%s\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n' % (BOUNDARY.encode(), n) for n in range(200_000)
)
ANONYMOUS = {"/login": "application/x-www-form-urlencoded", "/join/": f"multipart/form-data; boundary={BOUNDARY}"}


def files() -> list[tuple[str, str, bytes]]:
    _, people = make(100_000)
    return [
        # The stranger's requests (issue 15's second review): without logging in, then his files.
        ("9.5 MB form of 2.4M fields, no log-in", "/login", b"&".join([b"a=1"] * 2_400_000)),
        ("multipart of 200k parts, no log-in", "/join/", MULTIPART_PARTS + f"--{BOUNDARY}--\r\n".encode()),
        ("one sheet listed 20 times", "four20.xlsx", hostile.sheet_listed(20, 4)),
        ("16 MiB of empty cells", "one16.xlsx", hostile.empty_cells(4 * 1024 * 1024)),
        ("1.5M emoji cells and one more", "emoji.xlsx", hostile.emoji_cells()),
        ("rows bomb (300 KB -> 100 MiB)", "bomb.xlsx", hostile.rows_bomb(100)),
        ("declared 300 MiB", "big.xlsx", hostile.declared_bomb()),
        ("a row of 2 million cells", "wide.xlsx", hostile.wide_row()),
        ("5 million shared strings", "strings.xlsx", hostile.strings_bomb(5_000_000)),
        ("billion laughs", "laughs.xlsx", hostile.billion_laughs()),
        ("csv of 10 million commas", "commas.csv", b"a,b\n" + b"," * 10_000_000 + b"\n"),
        ("a real list, 100,000 rows", "list.csv", people),
    ]


def uploads() -> None:
    with Served() as server:
        pid = server.process.pid
        headers = {k: v for k, v in server.log_in(WORKER).items() if k in ("cookie", "x-csrftoken")}
        idle = [_healthz(server.port) for _ in range(50)]
        baseline = statistics.median(idle)
        print(f"hostile uploads, the server as deployed: /healthz idle {baseline * 1000:.1f} ms (median of 50)")
        worst_ms, worst_mb = 0.0, 0.0
        for label, name, data in files():
            Path(f"/proc/{pid}/clear_refs").write_text("5")
            before = _memory(pid, "VmRSS")
            done: dict = {}
            uploader = threading.Thread(target=_upload, args=(server.port, headers, name, data, done))
            uploader.start()
            during = []
            while uploader.is_alive():
                during.append(_healthz(server.port))
            uploader.join()
            peak, after = _memory(pid, "VmHWM"), _memory(pid, "VmRSS")
            slowest = max(during) * 1000 if during else 0.0
            typical = statistics.median(during) * 1000 if during else 0.0
            p99 = statistics.quantiles(during, n=100)[98] * 1000 if len(during) >= 20 else slowest
            honest = label.startswith("a real")
            if not honest:
                worst_ms, worst_mb = max(worst_ms, p99), max(worst_mb, peak)
            print(
                f"  {label:32s} {done['status']} in {done['seconds']:5.1f} s; /healthz x{len(during):4d}: "
                f"median {typical:5.1f} ms ({typical / 1000 / baseline:4.1f} x idle), p99 {p99:5.1f}, "
                f"slowest {slowest:6.1f} ms; server memory {before:4.0f} -> peak {peak:4.0f} MB, {after:4.0f} MB after"
            )
        ms = "met" if worst_ms < HEALTHZ_BUDGET_MS else "NOT met"
        mb = "met" if worst_mb < MEMORY_BUDGET_MB else "NOT met"
        print(
            f"  worst p99 of /healthz during a refused upload {worst_ms:.0f} ms: issue 15's {HEALTHZ_BUDGET_MS} ms {ms}"
        )
        print(f"  highest peak during a refused upload {worst_mb:.0f} MB: issue 15's {MEMORY_BUDGET_MB} MB {mb}")
        print(f"  ({load_average()}: a process waiting for a core is the slowest figure)")


def _tree(pid: int) -> list[int]:
    """The server's process and every process under it (the forkserver, the children reading uploads)."""
    found, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                waiting += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def _tree_rss(pid: int) -> float:
    total = 0.0
    for member in _tree(pid):
        try:
            total += _memory(member, "VmRSS")
        except (FileNotFoundError, ProcessLookupError, AttributeError):
            continue  # a child that ended meanwhile
    return total


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98] if len(samples) >= 20 else max(samples)


REPEATS = 3


def repeated() -> None:
    """A stranger's second review of issue 15: (a) the memory of the server and its children after refused uploads
    one after another, against before them; (b) /healthz's p99 meanwhile against its quiet p99; (c) an honest list's
    upload while a hostile one is read, against the same upload alone."""
    refused = [
        ("1.5M emoji cells and one more", "emoji.xlsx", hostile.emoji_cells()),
        ("5 million shared strings", "strings.xlsx", hostile.strings_bomb(5_000_000)),
        ("101,000 rows of 15 emoji cells", "wide.xlsx", hostile.wide_emoji_rows()),
    ]
    _, honest = make(20_000)
    with Served() as server:
        pid = server.process.pid
        headers = {k: v for k, v in server.log_in(WORKER).items() if k in ("cookie", "x-csrftoken")}
        warm: dict = {}
        _upload(server.port, headers, "warm.csv", honest, warm)  # the first request of a kind warms its code
        quiet = [_healthz(server.port) for _ in range(100)]
        before = _tree_rss(pid)
        print(f"refused uploads one after another ({REPEATS} x {len(refused)}), the server and its children:")
        during, peak = [], before
        for round_ in range(REPEATS):
            for label, name, data in refused:
                done: dict = {}
                uploader = threading.Thread(target=_upload, args=(server.port, headers, name, data, done))
                uploader.start()
                while uploader.is_alive():
                    during.append(_healthz(server.port))
                    peak = max(peak, _tree_rss(pid))
                uploader.join()
                after_one = _tree_rss(pid)
                print(
                    f"  {round_ + 1}. {label:32s} {done['status']} in {done['seconds']:5.1f} s; "
                    f"memory after {after_one:4.0f} MB ({after_one / before:4.2f} x before)"
                )
        time.sleep(1)
        after = _tree_rss(pid)
        print(
            f"  (a) memory {before:.0f} MB before, {after:.0f} MB after: {after / before:.2f} x; "
            f"highest seen meanwhile {peak:.0f} MB ({peak / before:.2f} x)"
        )
        print(
            f"  (b) /healthz p99 {_p99(during) * 1000:.1f} ms during them, {_p99(quiet) * 1000:.1f} ms quiet: "
            f"{_p99(during) / _p99(quiet):.1f} x"
        )
        # The honest list is another person's: one person's second upload waits for their first (server.offload).
        someone_else = {k: v for k, v in server.log_in("13800000006").items() if k in ("cookie", "x-csrftoken")}
        alone = []
        for _ in range(3):
            done = {}
            _upload(server.port, someone_else, "list.csv", honest, done)
            alone.append(done["seconds"])
        meanwhile = []
        for _ in range(3):
            hostile_done: dict = {}
            held = threading.Thread(
                target=_upload, args=(server.port, headers, "wide.xlsx", refused[2][2], hostile_done)
            )
            held.start()
            time.sleep(1.0)  # the hostile list is being read
            done = {}
            _upload(server.port, someone_else, "list.csv", honest, done)
            meanwhile.append(done["seconds"])
            held.join()
        typical_alone, typical_meanwhile = statistics.median(alone), statistics.median(meanwhile)
        print(
            f"  (c) an honest list of 20,000 rows: {typical_meanwhile:.1f} s while a hostile one is read, "
            f"{typical_alone:.1f} s alone: {typical_meanwhile / typical_alone:.1f} x (medians of 3)"
        )
        # (d) The stranger's case behind the readers' niceness (decision 0018): two people's 1.5M-cell lists read at
        # once kept /healthz waiting 0.4-0.9 s on two shared cores before the readers yielded the CPU.
        both: list[dict] = [{}, {}]
        readers = [
            threading.Thread(target=_upload, args=(server.port, sender, "wide.xlsx", refused[2][2], answer))
            for sender, answer in zip((headers, someone_else), both, strict=True)
        ]
        for reader in readers:
            reader.start()
        two = []
        while any(reader.is_alive() for reader in readers):
            two.append(_healthz(server.port))
        for reader in readers:
            reader.join()
        verdict = "met" if _p99(two) * 1000 < HEALTHZ_BUDGET_MS else "NOT met"
        print(
            f"  (d) two 1.5M-cell lists read at once ({both[0]['status']}, {both[1]['status']}): /healthz p99 "
            f"{_p99(two) * 1000:.1f} ms, {_p99(two) / _p99(quiet):.1f} x quiet; "
            f"issue 15's {HEALTHZ_BUDGET_MS} ms {verdict}"
        )
        print(f"  ({load_average()})")


if __name__ == "__main__":
    import asyncio

    from bench.common import prepare

    asyncio.run(prepare())
    uploads()
    repeated()
    repeated()
