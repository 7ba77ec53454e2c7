"""The e2e harness: a live server on a fresh SQLite file, one headless Chromium, phone-sized browser contexts.

Self-contained on purpose: it imports nothing from tests/ nor the app. The server runs as a subprocess the way
`make run` runs it (migrate, seed, serve), and the tests check the database with the standard sqlite3 module.
When a test fails, the tail of the server's output is added to its report and each open page is saved as a
screenshot in test-artifacts/failures/.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from e2e.pages import ARTIFACTS, PHONE_HEIGHT, PHONE_WIDTH, LoginPage

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
TIMEOUT_MS = 10_000  # Playwright's default of 30 s only makes a failing run slow
# Assertions wait as long as actions do: expect's own 5 s was passed on a loaded 2-core machine by a page reloaded
# offline through the service worker, whose outbox was then laid over it (test_weak_signal failed 3 runs in 8 that
# way, always passing alone). A bound on waiting, not a timing claim: nothing here asserts speed.
expect.set_options(timeout=TIMEOUT_MS)

SERVER_LOG = pytest.StashKey[Path]()
PHASE_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
LOG_OFFSET = pytest.StashKey[int]()


def pytest_report_header() -> str:
    return f"e2e: {CHROMIUM} at {PHONE_WIDTH}x{PHONE_HEIGHT}, screenshots in {ARTIFACTS.relative_to(ROOT)}/"


def _tail(path: Path, lines: int, start: int = 0) -> str:
    with path.open("rb") as log:
        log.seek(start)
        text = log.read().decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def pytest_sessionstart(session: pytest.Session) -> None:
    shutil.rmtree(ARTIFACTS / "failures", ignore_errors=True)  # only this run's failures in there


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    # Where the server's output stood when this test began: a failure shows only what the server said since.
    log = item.config.stash.get(SERVER_LOG, None)
    item.stash[LOG_OFFSET] = log.stat().st_size if log is not None and log.exists() else 0
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[pytest.TestReport]:
    report = yield
    item.stash.setdefault(PHASE_REPORTS, {})[report.when] = report
    log = item.config.stash.get(SERVER_LOG, None)
    if report.failed and log is not None and log.exists():
        output = _tail(log, 80, item.stash.get(LOG_OFFSET, 0)) or "(nothing)"
        report.sections.append(("gridcare server output during this test (last 80 lines)", output))
    return report


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    log = config.stash.get(SERVER_LOG, None)
    if exitstatus != 0 and log is not None and log.exists():
        terminalreporter.section("gridcare server output")
        terminalreporter.write_line(f"full log: {log}")
        terminalreporter.write_line(_tail(log, 40))


def _test_failed(item: pytest.Item) -> bool:
    reports = item.stash.get(PHASE_REPORTS, {})
    return any(report.failed for report in reports.values())


# The live server -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    db_path: Path
    log_path: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


class ServerProcess:
    """`python -m server serve` on a fresh, migrated and seeded SQLite file of its own; it can be killed and
    started again on the same port and file, as after a crash."""

    def __init__(self, workdir: Path) -> None:
        self.db_path = workdir / "e2e.sqlite3"
        self.log_path = workdir / "server.log"
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {name: value for name, value in os.environ.items() if not name.startswith("GRIDCARE_")}
        self.env.update(
            GRIDCARE_DATABASE_URL=f"sqlite:///{self.db_path}",
            GRIDCARE_DEMO="1",
            GRIDCARE_HOST="127.0.0.1",
            GRIDCARE_PORT=str(self.port),
            PYTHONUNBUFFERED="1",
        )
        for command in ("migrate", "seed"):
            self.run_python("-m", "server", command)
        self.process: subprocess.Popen | None = None

    def run_python(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
            [_python(), *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        if done.returncode:
            pytest.fail(f"`python {' '.join(args)}` failed:\n{done.stdout}\n{done.stderr}", pytrace=False)
        return done.stdout

    def start(self) -> ServerProcess:
        with self.log_path.open("a", encoding="utf-8") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [_python(), "-m", "server", "serve"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        _wait_until_healthy(self.process, self.base_url, self.log_path)
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, as when the machine loses power or the OOM killer strikes."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    workdir = Path(tempfile.mkdtemp(prefix="gridcare-e2e-"))
    server = ServerProcess(workdir)
    request.config.stash[SERVER_LOG] = server.log_path
    try:
        server.start()
        yield LiveServer(base_url=server.base_url, db_path=server.db_path, log_path=server.log_path)
    finally:
        server.stop()
        if request.session.testsfailed == 0:  # a failed run keeps its database and server log to look at
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def own_server(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    """A server of the test's own, for tests that kill it or change its data."""
    workdir = Path(tempfile.mkdtemp(prefix="gridcare-e2e-own-"))
    server = ServerProcess(workdir)
    try:
        yield server
    finally:
        server.stop()
        if not _test_failed(request.node):
            shutil.rmtree(workdir, ignore_errors=True)


def _wait_until_healthy(process: subprocess.Popen, base_url: str, log_path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{_tail(log_path, 100)}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as answer:  # noqa: S310 (http://127.0.0.1)
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"/healthz did not answer 200 within {timeout} s:\n{_tail(log_path, 100)}", pytrace=False)
        time.sleep(0.1)  # polling a starting process; nothing to wait_for yet


# The database, read as an auditor would ------------------------------------------------------------------------


@dataclass(frozen=True)
class GridCounts:
    buildings: int
    households: int
    residents: int


class Database:
    """Read-only questions to the live server's SQLite file (stdlib sqlite3: no app code involved)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def rows(self, sql: str, *params: object) -> list[tuple]:
        with closing(sqlite3.connect(self.path, timeout=10)) as connection:
            return connection.execute(sql, params).fetchall()

    def value(self, sql: str, *params: object) -> object:
        rows = self.rows(sql, *params)
        assert rows, f"no row for {sql} {params}"
        return rows[0][0]

    def grid_id(self, name: str) -> str:
        return str(self.value("SELECT id FROM grid WHERE name = ?", name))

    def building_id(self, name: str) -> str:
        return str(self.value("SELECT id FROM building WHERE name = ?", name))

    def household_id(self, door: str) -> str:
        return str(self.value("SELECT id FROM household WHERE door = ?", door))

    def grid_counts(self, grid_name: str) -> GridCounts:
        grid = self.grid_id(grid_name)
        return GridCounts(
            buildings=int(self.value("SELECT count(*) FROM building WHERE grid = ?", grid)),
            households=int(
                self.value(
                    "SELECT count(*) FROM household h JOIN building b ON h.building = b.id WHERE b.grid = ?", grid
                )
            ),
            residents=int(
                self.value(
                    "SELECT count(*) FROM resident r JOIN household h ON r.household = h.id "
                    "JOIN building b ON h.building = b.id WHERE b.grid = ? AND r.status = 'living'",
                    grid,
                )
            ),
        )

    def residents_named(self, name: str, grid_name: str) -> int:
        return int(
            self.value(
                "SELECT count(*) FROM resident r JOIN household h ON r.household = h.id "
                "JOIN building b ON h.building = b.id JOIN grid g ON b.grid = g.id WHERE r.name = ? AND g.name = ?",
                name,
                grid_name,
            )
        )

    def session_owner(self, token: str) -> str | None:
        """The phone of the account a session cookie logs in, or None when no such session row exists."""
        token_hash = hashlib.sha256(token.encode()).hexdigest()
        rows = self.rows(
            "SELECT COALESCE(a.guest_phone, a.phone) FROM user_session s JOIN account a ON a.id = s.user"
            " WHERE s.token_hash = ?",
            token_hash,
        )
        return rows[0][0] if rows else None

    def sessions_of(self, phone: str) -> int:
        return int(
            self.value(
                "SELECT count(*) FROM user_session s JOIN account a ON a.id = s.user"
                " WHERE ? IN (a.phone, a.guest_phone)",
                phone,
            )
        )

    def failed_logins(self, phone: str) -> int:
        return int(self.value("SELECT count(*) FROM login_attempt WHERE phone = ? AND NOT succeeded", phone))

    def household_reads(self, phone: str, household_id: str) -> int:
        """Audit entries of one account opening one household."""
        return int(
            self.value(
                "SELECT count(*) FROM audit_entry e JOIN account a ON a.id = e.user "
                "WHERE a.phone = ? AND e.action = 'household.view' AND e.target_id = ?",
                phone,
                household_id,
            )
        )


@pytest.fixture(scope="session")
def db(live_server: LiveServer) -> Database:
    return Database(live_server.db_path)


@dataclass(frozen=True)
class DemoPlaces:
    """Ids of the demo community's places the stories visit (README.md: 张国强 and 李秀英 at 2-1-301)."""

    grid_2: str  # 第二网格, 李雪敏's
    building_2: str  # 2号楼, in 第二网格
    household_2_1_301: str

    @property
    def floor_2_1_3(self) -> str:
        return f"/buildings/{self.building_2}/units/1/floors/3"


@pytest.fixture(scope="session")
def demo(db: Database) -> DemoPlaces:
    return DemoPlaces(
        grid_2=db.grid_id("第二网格"),
        building_2=db.building_id("2号楼"),
        household_2_1_301=db.household_id("2-1-301"),
    )


# The browser -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def launch_options() -> dict:
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser(playwright: Playwright, launch_options: dict) -> Iterator[Browser]:
    browser = playwright.chromium.launch(**launch_options)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def phone(live_server: LiveServer) -> dict:
    """Context options of a phone: 360 x 740 css px (the narrowest phone UX.md names), Chinese, pointed at the live
    server."""
    return {
        "viewport": {"width": PHONE_WIDTH, "height": PHONE_HEIGHT},
        "device_scale_factor": 1,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "base_url": live_server.base_url,
    }


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120]


# Every page reports what its policy refused on the console, where `new_context` looks for it; Chromium also logs
# "Refused to ..." itself. (An init script is the browser's, not the page's: the policy does not apply to it.)
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.effectiveDirective + " blocked " + (e.blockedURI || "inline") +
                " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def _note_csp(page: Page, text: str, errors: list[str]) -> None:
    if text.startswith("CSP violation") or "Content Security Policy" in text:
        errors.append(f"{page.url}: {text}")


@pytest.fixture
def new_context(
    browser: Browser, phone: dict, request: pytest.FixtureRequest
) -> Iterator[Callable[..., BrowserContext]]:
    """Make phone-sized contexts (options may be overridden); uncaught page errors and anything the pages'
    Content-Security-Policy refused (an inline script or style, a font from elsewhere) fail the test."""
    contexts: list[BrowserContext] = []
    page_errors: list[str] = []

    def watch(page: Page) -> None:
        page.on("pageerror", lambda error: page_errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: _note_csp(page, message.text, page_errors))

    def make(**overrides: object) -> BrowserContext:
        context = browser.new_context(**{**phone, **overrides})
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_LISTENER)
        context.on("page", watch)
        contexts.append(context)
        return context

    yield make

    failed = _test_failed(request.node)
    for n, context in enumerate(contexts):
        if failed:
            failures = ARTIFACTS / "failures"
            failures.mkdir(parents=True, exist_ok=True)
            for m, page in enumerate(context.pages):
                page.screenshot(path=failures / f"{_slug(request.node.name)}-{n}-{m}.png", full_page=True)
        context.close()
    if page_errors and not failed:
        pytest.fail("uncaught errors or CSP violations in the page:\n" + "\n".join(page_errors), pytrace=False)


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    """A fresh phone with nobody logged in."""
    return new_context().new_page()


@pytest.fixture(scope="session")
def storage_state(browser: Browser, phone: dict) -> Callable[[str], dict]:
    """The cookies of a logged-in account, logging in through the form once per account and run."""
    states: dict[str, dict] = {}

    def state_of(account: str) -> dict:
        if account not in states:
            context = browser.new_context(**phone)
            context.set_default_timeout(TIMEOUT_MS)
            try:
                LoginPage(context.new_page()).open().log_in_as(account)
                states[account] = context.storage_state()
            finally:
                context.close()
        return states[account]

    return state_of


@pytest.fixture
def page_as(new_context: Callable[..., BrowserContext], storage_state: Callable[[str], dict]) -> Callable[..., Page]:
    """A fresh phone on which `account` (a demo phone number) is already logged in."""

    def make(account: str, **overrides: object) -> Page:
        return new_context(storage_state=storage_state(account), **overrides).new_page()

    return make
