"""Wrong log-ins at once from many addresses (a stranger's walk of issue 15, F1): each argon2 check holds 64 MiB;
80 at once took the server to 1.9 GB and /healthz to 2.4 s when up to 40 ran at once. The server's peak resident
memory (VmHWM, reset first) during 80 wrong log-ins sent at once, each from its own address (X-Forwarded-For, trusted
from 127.0.0.1), against its quiet memory, and /healthz's p99 meanwhile against its quiet p99, both in the same run;
then 32 right log-ins at once from one address (a community's workers behind one NAT at 8:00), which all get in.
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

from bench.common import DEMO_PASSWORD, Served
from bench.uploads import HEALTHZ_BUDGET_MS, MEMORY_BUDGET_MB, _healthz, _memory, _p99

AT_ONCE = 80
EIGHT_OCLOCK = 32


def _log_in(port: int, phone: str, password: str, address: str, done: list) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("GET", "/login", headers={"x-forwarded-for": address})
    answer = connection.getresponse()
    answer.read()
    csrf = answer.getheader("set-cookie", "").split("gc_csrf=", 1)[1].split(";", 1)[0]
    form = urllib.parse.urlencode({"phone": phone, "password": password, "_csrf_token": csrf})
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "cookie": f"gc_csrf={csrf}",
        "x-forwarded-for": address,
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


if __name__ == "__main__":  # python -m bench.logins: this figure alone
    import asyncio

    from bench.common import prepare

    asyncio.run(prepare())
    logins()
