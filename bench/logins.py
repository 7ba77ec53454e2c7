"""Wrong log-ins at once from many addresses (a stranger's walk of issue 15, F1): each argon2 check holds 64 MiB;
80 at once took the server to 1.9 GB and /healthz to 2.4 s when up to 40 ran at once. The server's peak resident
memory (VmHWM, reset first) during 80 wrong log-ins sent at once, each from its own address (X-Forwarded-For, trusted
from 127.0.0.1), against its quiet memory, and /healthz's p99 meanwhile against its quiet p99, both in the same run;
then 32 right log-ins at once from one address (a community's workers behind one NAT at 8:00), which all get in.

Then a sustained flood (a stranger's third walk of issue 15, B): FLOOD_AT_ONCE wrong log-ins at a time for
FLOOD_SECONDS, each from a new /64 of one IPv6 /48, while a grid worker logs in every few seconds from a phone that
never logged in there (a stranger to the limits): her wait against a quiet log-in's, and the server's peak memory and
its memory a few seconds after, against quiet. Run twice in the same run: without a limit per /48 (as before,
GRIDCARE_LOGIN_MAX_FAILURES_PER_SITE lifted) and with it. Requests ask for brotli, as browsers do: each encoder took
~1.3 MB and was kept by cycles of the answered requests (server/web/compression.py).
"""

from __future__ import annotations

import http.client
import itertools
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

from bench.common import DEMO_PASSWORD, Served
from bench.uploads import HEALTHZ_BUDGET_MS, MEMORY_BUDGET_MB, _healthz, _memory, _p99

AT_ONCE = 80
EIGHT_OCLOCK = 32
FLOOD_AT_ONCE = 120
FLOOD_SECONDS = 20
HONEST_EVERY_SECONDS = 3
SETTLE_SECONDS = 5
BROWSER = {"accept-encoding": "gzip, deflate, br"}


def _log_in(port: int, phone: str, password: str, address: str, done: list) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("GET", "/login", headers={"x-forwarded-for": address, **BROWSER})
    answer = connection.getresponse()
    answer.read()
    csrf = answer.getheader("set-cookie", "").split("gc_csrf=", 1)[1].split(";", 1)[0]
    form = urllib.parse.urlencode({"phone": phone, "password": password, "_csrf_token": csrf})
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "cookie": f"gc_csrf={csrf}",
        "x-forwarded-for": address,
        **BROWSER,
    }
    connection.request("POST", "/login", form, headers)
    answer = connection.getresponse()
    answer.read()
    done.append(answer.status)
    connection.close()


def _burst(server: Served, senders: list[tuple[str, str, str]]) -> tuple[float, list[float], Counter]:
    """The log-ins sent at once while /healthz is asked again and again: (peak MB, /healthz seconds, statuses)."""
    pid = server.process.pid
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM from now on
    done: list[int] = []
    threads = [threading.Thread(target=_log_in, args=(server.port, *sender, done)) for sender in senders]
    for thread in threads:
        thread.start()
    during = []
    while any(thread.is_alive() for thread in threads):
        during.append(_healthz(server.port))
    for thread in threads:
        thread.join()
    return _memory(pid, "VmHWM"), during, Counter(done)


def logins() -> None:
    with Served() as server:
        pid = server.process.pid
        warm: list[int] = []
        _log_in(server.port, "13800000002", DEMO_PASSWORD, "192.0.2.1", warm)  # the log-in's code warmed
        quiet = [_healthz(server.port) for _ in range(100)]
        quiet_mb = _memory(pid, "VmRSS")
        wrong = [(f"1350000{n:04d}", "nope", f"2001:db8:{n:x}::1") for n in range(AT_ONCE)]
        peak, during, statuses = _burst(server, wrong)
        print(f"log-ins ({AT_ONCE} wrong at once, each from its own address): {dict(statuses)}")
        print(
            f"  server peak {peak:.0f} MB against {quiet_mb:.0f} MB quiet: {peak / quiet_mb:.2f} x "
            f"(issue 15: < {MEMORY_BUDGET_MB} MB)"
        )
        print(
            f"  /healthz p99 {_p99(during) * 1000:.1f} ms against {_p99(quiet) * 1000:.1f} ms quiet: "
            f"{_p99(during) / _p99(quiet):.1f} x (issue 15: < {HEALTHZ_BUDGET_MS} ms)"
        )
        time.sleep(1)
        right = [(f"1380000000{n % 7}", DEMO_PASSWORD, "203.0.113.5") for n in range(EIGHT_OCLOCK)]
        peak, during, statuses = _burst(server, right)
        print(
            f"  {EIGHT_OCLOCK} right at once from one address: {dict(statuses)}; peak {peak / quiet_mb:.2f} x quiet,"
            f" /healthz p99 {_p99(during) / _p99(quiet):.1f} x quiet"
        )


def _flood(server: Served) -> tuple[Counter, list[tuple[int, float]], float]:
    """The sustained flood from one /48: (the strangers' answers, the worker's (status, seconds), peak MB)."""
    pid = server.process.pid
    stop = time.monotonic() + FLOOD_SECONDS
    numbers = itertools.count()
    strangers: list[int] = []
    hers: list[tuple[int, float]] = []

    def stranger() -> None:
        while time.monotonic() < stop:
            n = next(numbers)
            _log_in(server.port, f"135{n:08d}", "nope", f"2001:db8:7:{n:x}::1", strangers)

    def worker() -> None:
        n = 0
        while time.monotonic() < stop:
            n += 1
            start, done = time.perf_counter(), []
            _log_in(server.port, "13800000004", DEMO_PASSWORD, f"198.51.100.{n}", done)
            hers.append((done[0], time.perf_counter() - start))
            time.sleep(HONEST_EVERY_SECONDS)  # a person, not a script

    threads = [threading.Thread(target=stranger) for _ in range(FLOOD_AT_ONCE)] + [threading.Thread(target=worker)]
    for thread in threads:
        thread.start()
    peak = 0.0
    while any(thread.is_alive() for thread in threads):
        peak = max(peak, _memory(pid, "VmRSS"))
        time.sleep(0.2)  # sampling the server's memory while the flood runs
    for thread in threads:
        thread.join()
    return Counter(strangers), hers, peak


def flood() -> None:
    for label, settings in (
        ("without a limit per /48 (before)", {"login_max_failures_per_site": "1000000"}),
        ("with the limit per /48 (now)", {}),
    ):
        with Served(**settings) as server:
            pid = server.process.pid
            warm: list[int] = []
            quiet_s = []
            for n in range(3):
                start = time.perf_counter()
                _log_in(server.port, "13800000004", DEMO_PASSWORD, f"192.0.2.{n + 1}", warm)
                quiet_s.append(time.perf_counter() - start)
            quiet_mb = _memory(pid, "VmRSS")
            strangers, hers, peak = _flood(server)
            time.sleep(SETTLE_SECONDS)  # what the server keeps once the flood is over
            settled = _memory(pid, "VmRSS")
            quiet = min(quiet_s)
            waits = ", ".join(f"{status} in {seconds / quiet:.0f} x" for status, seconds in hers)
            print(
                f"log-ins, {FLOOD_AT_ONCE} wrong at a time for {FLOOD_SECONDS} s from new /64s of one /48, {label}: "
                f"strangers {dict(strangers)}"
            )
            print(f"  a grid worker every {HONEST_EVERY_SECONDS} s, against a quiet log-in: {waits}")
            print(
                f"  server peak {peak / quiet_mb:.2f} x quiet, {SETTLE_SECONDS} s after "
                f"{settled / quiet_mb:.2f} x quiet ({quiet_mb:.0f} MB quiet)"
            )


if __name__ == "__main__":  # python -m bench.logins: this figure alone
    import asyncio

    from bench.common import prepare

    asyncio.run(prepare())
    logins()
    flood()
