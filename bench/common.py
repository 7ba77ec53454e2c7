"""What every benchmark shares: a throw-away database chosen before the app is imported, log-in, timing."""

from __future__ import annotations

import atexit
import contextlib
import http.client
import http.cookies
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request


# Piccolo binds its engine at import: the database is chosen here, before anything from server/ is imported.
# GRIDCARE_BENCH_DATABASE_URL (set by bench/__main__.py for the PostgreSQL run) overrides the fresh SQLite file.
def load_average() -> str:
    """The machine's load beside the figures: other jobs on the same cores slow every one of them."""
    return f"load average {', '.join(f'{figure:.1f}' for figure in os.getloadavg())} on {os.cpu_count()} cores"


def scratch_dir(prefix: str) -> str:
    """A folder for this run's files, removed when the run ends (a run's databases weigh tens of MB)."""
    path = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


os.environ["GRIDCARE_DATABASE_URL"] = os.environ.get("GRIDCARE_BENCH_DATABASE_URL") or (
    f"sqlite:///{scratch_dir('gridcare-bench-')}/bench.sqlite3"
)
os.environ["GRIDCARE_DEMO"] = "1"

import httpx  # noqa: E402

from server.app import create_app  # noqa: E402
from server.db import migrate, open_database  # noqa: E402
from server.demo.seed import DEMO_PASSWORD, seed_demo  # noqa: E402
from server.settings import get_settings  # noqa: E402

ADMIN = "13800000000"


def backend() -> str:
    return "SQLite" if get_settings().is_sqlite else "PostgreSQL"


async def prepare() -> None:
    """What `serve` does before the first request (ASGITransport runs no start-up hooks), then the demo data."""
    await open_database()
    with contextlib.redirect_stdout(io.StringIO()):  # Piccolo's migration banners would bury the figures
        await migrate()
    await seed_demo()


def client() -> httpx.AsyncClient:
    """The app in this process and this event loop: server time without a network in between."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()), base_url="http://bench")


async def log_in(browser: httpx.AsyncClient, phone: str) -> None:
    await browser.get("/login")
    answer = await browser.post(
        "/login", data={"phone": phone, "password": DEMO_PASSWORD, "_csrf_token": browser.cookies["gc_csrf"]}
    )
    assert "gc_session" in browser.cookies, (phone, answer.status_code)


async def timed_gets(browser: httpx.AsyncClient, url: str, rounds: int) -> list[float]:
    """Seconds per request, after one request that warms caches (templates, statements)."""
    await browser.get(url)
    return await timed_each(browser, [url] * rounds)


async def timed_each(browser: httpx.AsyncClient, urls: list[str]) -> list[float]:
    """Seconds per request, one request per URL."""
    samples = []
    for url in urls:
        start = time.perf_counter()
        answer = await browser.get(url)
        samples.append(time.perf_counter() - start)
        assert answer.status_code == 200, (url, answer.status_code)
    return samples


def percentile(samples: list[float], p: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(p) - 1] if p < 100 else max(samples)


class Served:
    """`python -m server serve` on this run's database, as a deployment runs it (uvicorn, HTTP over a socket), for
    figures through the real endpoint: the client is then a socket in another process, not an in-process httpx
    client whose Python work would count as the server's. `with Served() as server:` ... `server.connection()`."""

    def __init__(self, environment: dict[str, str] | None = None, **settings: str) -> None:
        """`settings`: GRIDCARE_ settings by name; `environment`: other variables (glibc's MALLOC_*)."""
        self.settings = {f"GRIDCARE_{name.upper()}": value for name, value in settings.items()} | (environment or {})
        with socket.socket() as probe:  # a free port
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Served:
        env = {**os.environ, **self.settings, "GRIDCARE_PORT": str(self.port), "GRIDCARE_HOST": "127.0.0.1"}
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [sys.executable, "-m", "server", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)  # polling a starting process

    def __exit__(self, *_) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=30)

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def log_in(self, phone: str) -> dict[str, str]:
        """Log in as a phone does; returns the headers an outbox sends with each batch."""
        connection = self.connection()
        connection.request("GET", "/login")
        answer = connection.getresponse()
        answer.read()
        csrf = _cookies(answer)["gc_csrf"]
        form = urllib.parse.urlencode({"phone": phone, "password": DEMO_PASSWORD, "_csrf_token": csrf})
        headers = {"content-type": "application/x-www-form-urlencoded", "cookie": f"gc_csrf={csrf}"}
        connection.request("POST", "/login", form, headers)
        answer = connection.getresponse()
        answer.read()
        cookies = _cookies(answer)
        session, csrf = cookies["gc_session"], cookies["gc_csrf"]  # the token of the new session
        connection.close()
        return {
            "cookie": f"gc_csrf={csrf}; gc_session={session}",
            "x-csrftoken": csrf,
            "content-type": "application/json",
            "accept-encoding": "gzip",
        }


def _cookies(answer: http.client.HTTPResponse) -> dict[str, str]:
    jar = http.cookies.SimpleCookie()
    for header in answer.headers.get_all("set-cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}
