"""The test harness. It picks the database before the app is imported, because Piccolo binds its engine then.

GRIDCARE_TEST_DATABASE=sqlite (default): a fresh SQLite file per run.
GRIDCARE_TEST_DATABASE=postgres: a fresh database on the server at GRIDCARE_TEST_POSTGRES_URL (make test starts one).
Either way the schema is migrated and the demo community seeded once per run; tests that write make their own rows.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from urllib.parse import urlsplit, urlunsplit

BACKEND = os.environ.get("GRIDCARE_TEST_DATABASE", "sqlite")


def _fresh_postgres(url: str) -> None:
    import asyncpg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))

    async def recreate() -> None:
        connection = await asyncpg.connect(admin_url)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(recreate())


if BACKEND == "postgres":
    _url = os.environ.get("GRIDCARE_TEST_POSTGRES_URL", "postgresql://gridcare:gridcare@127.0.0.1:5432/gridcare_test")
    _fresh_postgres(_url)
else:
    _TMP = tempfile.mkdtemp(prefix="gridcare-test-")
    _url = f"sqlite:///{_TMP}/test.sqlite3"
os.environ["GRIDCARE_DATABASE_URL"] = _url
os.environ["GRIDCARE_DEMO"] = "1"
# Route tests all come from one client address; the per-address limit has its own service test.
os.environ["GRIDCARE_LOGIN_MAX_FAILURES_PER_ADDRESS"] = "100000"
os.environ["GRIDCARE_JOIN_MAX_NEW_GUESTS_PER_ADDRESS"] = "100000"
# And every test's wrong join codes and passwords land in one window; the limits of an IPv6 /48 and of everyone together
# have their own tests (tests/sweeps/test_code_walks.py, tests/accounts/test_floods.py), on a clock of their own.
os.environ["GRIDCARE_JOIN_MAX_FAILURES_PER_SITE"] = "100000"
os.environ["GRIDCARE_LOGIN_MAX_FAILURES_PER_SITE"] = "100000"
os.environ["GRIDCARE_JOIN_MAX_WRONG_CODES"] = "100000"
# Route tests make a day's calls seconds apart; the rule that counts them apart has its own tests (test_round.py).
os.environ["GRIDCARE_CALLS_APART_MINUTES"] = "0"

import httpx  # noqa: E402
import pytest  # noqa: E402

from server.app import create_app  # noqa: E402
from server.db import close_database, migrate, open_database  # noqa: E402
from server.demo.seed import DEMO_PASSWORD, seed_demo  # noqa: E402


def pytest_report_header() -> str:
    return f"gridcare database: {BACKEND} ({_url.split('@')[-1]})"


@pytest.fixture(scope="session", autouse=True)
async def database():
    await open_database(serving=False)  # tests restore into this database on purpose (tests/operations)
    await migrate()
    await seed_demo()
    yield
    await close_database()
    if BACKEND == "sqlite":
        shutil.rmtree(_TMP, ignore_errors=True)


@pytest.fixture(scope="session")
def app():
    return create_app()


def browser(app, base_url: str = "http://testserver.local") -> httpx.AsyncClient:
    """A client that runs the app in the test's own event loop.

    Litestar's test clients run the app in another thread's loop, which PostgreSQL's connection pool cannot share.
    The app's start-up hooks do not run here; the `database` fixture has done their work.
    """
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


@pytest.fixture
async def client(app):
    """A browser with no cookies yet."""
    async with browser(app) as test_client:
        yield test_client


async def log_in(client: httpx.AsyncClient, phone: str, password: str = DEMO_PASSWORD):
    """Log in through the real form, CSRF token included, as a person would."""
    await client.get("/login")
    return await client.post(
        "/login",
        data={"phone": phone, "password": password, "_csrf_token": client.cookies.get("gc_csrf", "")},
        follow_redirects=False,
    )


def csrf(client: httpx.AsyncClient) -> dict[str, str]:
    """The header htmx sends with every unsafe request."""
    return {"x-csrftoken": client.cookies.get("gc_csrf", "")}
