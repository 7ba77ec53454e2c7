"""`python -m server backup` while the app serves, and `restore`: every acknowledged tick comes back (issue 15)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import uuid
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from server.access.scope import Scope
from server.accounts.services import user_for_token
from server.demo.seed import COMMUNITY_ID, GRID_IDS, demo_uuid
from server.places.tables import Household
from server.settings import get_settings
from server.sweeps.schemas import SweepCreate
from server.sweeps.services import create_sweep
from tests.conftest import BACKEND, browser, log_in
from tests.serving import Served, command

WORKER = "13800000002"  # 李雪敏, grid 2: building 2
BATCH = 25


@pytest.fixture
async def sweep(app) -> uuid.UUID:
    async with browser(app) as client:
        await log_in(client, WORKER)
        worker = await user_for_token(client.cookies["gc_session"])
    return await create_sweep(
        worker,
        Scope(COMMUNITY_ID, (GRID_IDS[1],)),
        SweepCreate(name="备份时的扫楼", day=date(2022, 11, 24), building_ids=[demo_uuid("building", "2")]),
    )


@pytest.fixture
async def fresh_database(tmp_path: Path):
    """The URL of a new, empty database of the run's kind (a new file, or a new PostgreSQL database)."""
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import asyncpg

    parts = urlsplit(get_settings().database_url)
    name = parts.path.lstrip("/") + "_restored"
    admin = urlunsplit(parts._replace(path="/postgres"))

    async def run(*statements: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            for statement in statements:
                for attempt in range(20):
                    try:
                        await connection.execute(statement)
                        break
                    except asyncpg.exceptions.InsufficientPrivilegeError:
                        # An autovacuum worker (the superuser's) in the database to drop: FORCE may not end it, and
                        # it leaves soon (a loaded run's DROP failed so).
                        if attempt == 19:
                            raise
                        await asyncio.sleep(0.5)
        finally:
            await connection.close()

    await run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    yield urlunsplit(parts._replace(path=f"/{name}"))
    await run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def stored_ticks(url: str) -> set[str]:
    """The tick ids in the database at `url`, read as an auditor would (sqlite3, asyncpg: no app code)."""
    if url.startswith("sqlite:"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            return {str(uuid.UUID(str(row[0]))) for row in db.execute("SELECT id FROM sweep_tick")}
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return {str(row["id"]) for row in await connection.fetch("SELECT id FROM sweep_tick")}
    finally:
        await connection.close()


class Phone(threading.Thread):
    """A grid worker's phone emptying its outbox into the real server, batch after batch, until told to stop.
    `acknowledged` holds each batch's tick ids once the server answered "accepted" for all of them."""

    def __init__(self, server: Served, sweep: uuid.UUID, doors: list[uuid.UUID]) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=server.url(""), timeout=60)
        self.client.get("/login")
        answer = self.client.post(
            "/login",
            data={"phone": WORKER, "password": "gridcare-demo", "_csrf_token": self.client.cookies["gc_csrf"]},
        )
        assert "gc_session" in self.client.cookies, answer.text
        self.sweep, self.doors = sweep, doors
        self.acknowledged: list[list[str]] = []
        self.lock = threading.Condition()
        self.stop = threading.Event()
        self.some_sent = threading.Event()
        self.failure: str | None = None

    def batch(self, n: int) -> list[dict]:
        now = datetime.now(UTC).isoformat()
        return [
            {
                "id": str(uuid.uuid4()),
                "kind": "sweep.tick",
                "device_time": now,
                "payload": {
                    "sweep_id": str(self.sweep),
                    "household_id": str(self.doors[(n * BATCH + i) % len(self.doors)]),
                    "outcome": ("done", "nobody_home", "refused")[(n + i) % 3],
                },
            }
            for i in range(BATCH)
        ]

    def run(self) -> None:
        n = 0
        try:
            while not self.stop.is_set() and n < 2000:  # bounded: a test never runs away
                writes = self.batch(n)
                answer = self.client.post(
                    "/api/v1/sync", json={"writes": writes}, headers={"x-csrftoken": self.client.cookies["gc_csrf"]}
                )
                statuses = {a["status"] for a in answer.json()["answers"]} if answer.status_code == 200 else set()
                if statuses != {"accepted"}:
                    self.failure = f"batch {n}: {answer.status_code} {answer.text[:300]}"
                    return
                with self.lock:
                    self.acknowledged.append([w["id"] for w in writes])
                    self.lock.notify_all()
                n += 1
                if n >= 5:
                    self.some_sent.set()
        finally:
            self.some_sent.set()
            self.client.close()

    def so_far(self) -> list[list[str]]:
        with self.lock:
            return list(self.acknowledged)

    def one_more(self, than: int) -> bool:
        """Wait until a batch beyond the first `than` is acknowledged: the phone is still sending."""
        with self.lock:
            return self.lock.wait_for(lambda: len(self.acknowledged) > than or self.failure, timeout=120)


def opens_sweep(url: str, sweep: uuid.UUID) -> int:
    """The status of the sweep's page, served from the database at `url`, for its grid worker."""
    with Served(GRIDCARE_DATABASE_URL=url) as server, httpx.Client(base_url=server.url("")) as client:
        client.get("/login")
        form = {"phone": WORKER, "password": "gridcare-demo", "_csrf_token": client.cookies["gc_csrf"]}
        client.post("/login", data=form)
        return client.get(f"/sweeps/{sweep}").status_code


async def test_a_backup_taken_mid_sync_restores_every_acknowledged_tick(sweep, fresh_database, tmp_path):
    doors = [
        row["id"]
        for row in await Household.select(Household.id).where(Household.building == demo_uuid("building", "2"))
    ]
    backup = tmp_path / "backup"
    with Served() as server:
        phone = Phone(server, sweep, doors)
        phone.start()
        try:
            assert phone.some_sent.wait(timeout=120) and phone.failure is None, phone.failure
            before = phone.so_far()  # acknowledged before the backup began
            made = await asyncio.to_thread(command, "backup", str(backup))
            # Mid-sync: the phone was sending before the backup began and still is after it ended.
            assert await asyncio.to_thread(phone.one_more, len(phone.so_far())), phone.failure
        finally:
            phone.stop.set()
            await asyncio.to_thread(phone.join, 120)
        assert phone.failure is None, phone.failure
        assert made.returncode == 0, made.stderr
    assert "Backed up to" in made.stdout and backup.stat().st_mode & 0o777 == 0o600
    restored = command("restore", str(backup), env={"GRIDCARE_DATABASE_URL": fresh_database})
    assert restored.returncode == 0, restored.stderr
    ticks = await stored_ticks(fresh_database)
    missing = {tick for batch in before for tick in batch} - ticks
    assert not missing, f"{len(missing)} acknowledged ticks are not in the backup"
    # Nothing half-written: a batch sent while the backup ran is in it whole, or not at all.
    for batch in phone.so_far():
        assert len(ticks.intersection(batch)) in (0, BATCH)
    # The restored database serves: the sweep is there.
    assert await asyncio.to_thread(opens_sweep, fresh_database, sweep) == 200


async def test_restore_checks_the_backup_and_keeps_a_database_that_holds_data(fresh_database, tmp_path):
    backup = tmp_path / "backup"
    assert command("backup", str(backup)).returncode == 0
    again = command("backup", str(backup))
    assert again.returncode != 0 and "exists already" in again.stderr  # never overwritten
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("张国强 2-1-301", encoding="utf-8")
    refused = command("restore", str(not_a_backup), env={"GRIDCARE_DATABASE_URL": fresh_database})
    assert refused.returncode != 0 and "Nothing restored" in refused.stderr
    cut_short = tmp_path / "cut-short"
    cut_short.write_bytes(backup.read_bytes()[: backup.stat().st_size // 3])
    refused = command("restore", str(cut_short), env={"GRIDCARE_DATABASE_URL": fresh_database})
    assert refused.returncode != 0 and "Nothing restored" in refused.stderr
    assert command("restore", str(backup), env={"GRIDCARE_DATABASE_URL": fresh_database}).returncode == 0
    # Now it holds data: a second restore is refused without --force, and goes through with it.
    refused = command("restore", str(backup), env={"GRIDCARE_DATABASE_URL": fresh_database})
    assert refused.returncode != 0 and "--force" in refused.stderr
    forced = command("restore", "--force", str(backup), env={"GRIDCARE_DATABASE_URL": fresh_database})
    assert forced.returncode == 0, forced.stderr
    assert await stored_ticks(fresh_database) == await stored_ticks(get_settings().database_url)


async def test_a_backup_and_a_restore_take_any_path_and_leave_nothing_stray(fresh_database, tmp_path):
    """A folder named with `#` or `?` (which end a URI's path), spaces and Chinese: the backup is made there,
    nothing else appears anywhere, and it comes back (issue 15, a stranger's review)."""
    folder = tmp_path / "a#b?c 备份 目录"
    folder.mkdir()
    backup = folder / "格格帮 1124#1?.sqlite3"
    made = command("backup", str(backup))
    assert made.returncode == 0, made.stderr
    assert sorted(tmp_path.rglob("*")) == [folder, backup]  # no temporary left, no stray file beside the folder
    if BACKEND == "sqlite":
        # The database itself lives at such a path: restored there, then backed up from there.
        fresh_database = f"sqlite:///{folder / '社区 数据#2?.sqlite3'}"
    restored = command("restore", str(backup), env={"GRIDCARE_DATABASE_URL": fresh_database})
    assert restored.returncode == 0, restored.stderr
    assert await stored_ticks(fresh_database) == await stored_ticks(get_settings().database_url)
    if BACKEND == "sqlite":
        again = folder / "again#.sqlite3"
        copied = command("backup", str(again), env={"GRIDCARE_DATABASE_URL": fresh_database})
        assert copied.returncode == 0, copied.stderr
        assert await stored_ticks(f"sqlite:///{again}") == await stored_ticks(fresh_database)
        assert not list(tmp_path.glob("a")) and not list(tmp_path.glob("a#b")), list(tmp_path.iterdir())


async def test_restore_refuses_what_is_not_a_gridcare_backup_and_changes_nothing(tmp_path):
    """Even with --force, into the database that holds data: a foreign SQLite file, a text file, no file."""
    foreign = tmp_path / "another-app.sqlite3"
    with closing(sqlite3.connect(foreign)) as other:
        other.execute("CREATE TABLE notes (text TEXT)")
        other.execute("INSERT INTO notes VALUES ('张国强 2-1-301')")
        other.commit()
    text = tmp_path / "notes.txt"
    text.write_text("张国强 2-1-301", encoding="utf-8")
    url = get_settings().database_url
    before = await stored_ticks(url)
    for path, says in (
        (foreign, "not a Gridcare backup" if BACKEND == "sqlite" else "not a PostgreSQL backup"),
        (text, "not an SQLite backup" if BACKEND == "sqlite" else "not a PostgreSQL backup"),
        (tmp_path / "missing.sqlite3", "there is no file"),
    ):
        refused = command("restore", "--force", str(path))
        assert refused.returncode != 0 and "Nothing restored" in refused.stderr and says in refused.stderr, refused
    assert await stored_ticks(url) == before


async def _run_sql(url: str, *statements: str) -> None:
    """Statements run straight on the database at `url` (sqlite3, asyncpg: no app code)."""
    if url.startswith("sqlite:"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            for statement in statements:
                db.execute(statement)
            db.commit()
        return
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def _live_state(url: str) -> tuple[set[str], int]:
    from server.operations.backup import rows_in
    from server.settings import Settings

    return await stored_ticks(url), await asyncio.to_thread(rows_in, Settings(database_url=url))


async def test_restore_refuses_a_backup_of_another_schema_and_changes_nothing(fresh_database, tmp_path):
    """Table names are not enough (issue 15, a stranger's second review): a database of another app with the same
    table names, a backup made by a newer version (a migration this code does not have), one made by an older
    version (a migration not run), and a backup cut short near its end are refused, even with --force, and the
    live database stays as it was. Each odd backup is made by `backup` itself, from a database made odd."""
    live = get_settings().database_url
    good = tmp_path / "good"
    assert command("backup", str(good)).returncode == 0
    before = await _live_state(live)

    def backup_of(url: str, name: str) -> Path:
        made = command("backup", str(tmp_path / name), env={"GRIDCARE_DATABASE_URL": url})
        assert made.returncode == 0, made.stderr
        return tmp_path / name

    async def refused(path: Path, says: str) -> None:
        answer = command("restore", "--force", str(path))
        assert answer.returncode != 0 and "Nothing restored" in answer.stderr and says in answer.stderr, answer
        assert await _live_state(live) == before

    # Another app's database with Gridcare's table names and a record of migrations of its own.
    await _run_sql(
        fresh_database,
        "CREATE TABLE community (id TEXT)",
        "CREATE TABLE account (id TEXT, name TEXT)",
        "CREATE TABLE sweep_tick (id TEXT)",
        "CREATE TABLE migration (id INTEGER, name VARCHAR(200), app_name VARCHAR(200), ran_on TIMESTAMP)",
        "INSERT INTO migration VALUES (1, '2021-01-01T00:00:00:000000', 'crm', NULL)",
        "INSERT INTO account VALUES ('1', '张国强')",
    )
    await refused(backup_of(fresh_database, "foreign"), "not a Gridcare backup")
    await _run_sql(fresh_database, "DELETE FROM migration")
    await refused(backup_of(fresh_database, "foreign-empty"), "not a Gridcare backup")
    await _run_sql(fresh_database, *(f"DROP TABLE {t}" for t in ("community", "account", "sweep_tick", "migration")))

    # A newer version's backup: Gridcare's database with one more migration run.
    assert command("restore", str(good), env={"GRIDCARE_DATABASE_URL": fresh_database}).returncode == 0
    await _run_sql(
        fresh_database,
        "INSERT INTO migration (name, app_name, ran_on) "
        "VALUES ('2099-01-01T00:00:00:000000', 'sweeps', CURRENT_TIMESTAMP)",
    )
    await refused(backup_of(fresh_database, "newer"), "newer version")
    # An older version's backup: the latest migration of sweeps not run.
    await _run_sql(
        fresh_database,
        "DELETE FROM migration WHERE name = '2099-01-01T00:00:00:000000'",
        "DELETE FROM migration WHERE app_name = 'sweeps' AND name = "
        "(SELECT max(name) FROM migration WHERE app_name = 'sweeps')",
    )
    await refused(backup_of(fresh_database, "older"), "older version")

    # Every migration recorded, but a table dropped afterwards (a stranger's third review: restored as sound, then
    # 500 on every guide page), and on SQLite a trigger added or a column gone.
    assert command("restore", "--force", str(good), env={"GRIDCARE_DATABASE_URL": fresh_database}).returncode == 0
    await _run_sql(fresh_database, "DROP TABLE guide_step")
    await refused(backup_of(fresh_database, "dropped"), "guide_step")
    if BACKEND == "sqlite":
        odd_ones = (
            ("CREATE TRIGGER wipe AFTER INSERT ON account BEGIN DELETE FROM community; END", "trigger wipe"),
            ("ALTER TABLE check_in DROP COLUMN note", "check_in lacks note"),
        )
        for n, (odd, says) in enumerate(odd_ones):
            assert (
                command("restore", "--force", str(good), env={"GRIDCARE_DATABASE_URL": fresh_database}).returncode == 0
            )
            await _run_sql(fresh_database, odd)
            await refused(backup_of(fresh_database, f"odd-{n}"), says)

    # Cut short near its end (the start, which says what the file holds, is whole).
    cut = tmp_path / "cut-near-the-end"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size * 9 // 10])
    await refused(cut, "")

    # The backup of this version still restores.
    assert command("restore", "--force", str(good)).returncode == 0
    assert await _live_state(live) == before


async def test_restore_refuses_a_database_a_server_is_running_on_and_changes_nothing(fresh_database, tmp_path):
    """A stranger's walk of issue 15: `restore --force` beside a running server replaced the database under it, and
    5,580 ticks the server had acknowledged were gone."""
    backup = tmp_path / "backup"
    assert command("backup", str(backup)).returncode == 0
    assert command("restore", str(backup), env={"GRIDCARE_DATABASE_URL": fresh_database}).returncode == 0
    before = await stored_ticks(fresh_database)
    with Served(GRIDCARE_DATABASE_URL=fresh_database):
        refused = command("restore", "--force", str(backup), env={"GRIDCARE_DATABASE_URL": fresh_database})
        assert refused.returncode != 0 and "server is running" in refused.stderr, refused.stderr
    assert await stored_ticks(fresh_database) == before
    # Stopped, the server no longer holds it: the restore goes through.
    forced = command("restore", "--force", str(backup), env={"GRIDCARE_DATABASE_URL": fresh_database})
    assert forced.returncode == 0, forced.stderr


async def test_a_backup_restores_into_a_database_only_migrated_without_force(fresh_database, tmp_path):
    """A freshly migrated database holds no one: restoring into it needs no --force. Since the residents' search
    index (decision 0038) a new SQLite database held a row of FTS5's settings, and counted as holding data."""
    backup = tmp_path / "backup"
    assert command("backup", str(backup)).returncode == 0
    migrated = command("migrate", env={"GRIDCARE_DATABASE_URL": fresh_database})
    assert migrated.returncode == 0, migrated.stderr
    restored = command("restore", str(backup), env={"GRIDCARE_DATABASE_URL": fresh_database})
    assert restored.returncode == 0, restored.stderr
    assert await stored_ticks(fresh_database) == await stored_ticks(get_settings().database_url)
