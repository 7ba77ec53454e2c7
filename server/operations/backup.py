"""Backing the database up while the app serves, and bringing a backup back (README: "Backup, restore and
retention"). Framework-free: the command line (`python -m server backup | restore`) is a thin layer over this.

- SQLite: the online backup API (`sqlite3.Connection.backup`) copies the database in one step, inside one read
  transaction: a consistent snapshot of what was committed when it began, while the server goes on writing (WAL
  lets writers work during a read). What a phone was told "accepted" before the backup began is in it; a batch of
  ticks committed during it is either whole in it or not at all (a batch is one transaction).
- PostgreSQL: `pg_dump --format=custom`, which reads one snapshot too; `pg_restore --single-transaction` brings it
  back whole or not at all.

A backup holds everything about every resident: it is written readable by its owner only (0600).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from server.db import SERVING_NAME, serving_lock_path
from server.settings import Settings

# Piccolo's own record of the migrations run: present in every Gridcare database, and not "data" when deciding
# whether a database is empty (`migrate` on a new database fills it).
MIGRATIONS_TABLE = "migration"
# Tables every Gridcare database has: a file without them is not a backup of ours.
OUR_TABLES = {"community", "account", "sweep_tick", MIGRATIONS_TABLE}


class BackupError(Exception):
    """Said to the admin in words; nothing was changed."""


@dataclass(frozen=True)
class Restored:
    tables: int
    rows: int


# Where the data is ----------------------------------------------------------------------------------------------


def _postgres_env(url: str) -> dict[str, str]:
    """libpq's variables for pg_dump and pg_restore: the password stays out of the process list."""
    parts = urlsplit(url)
    env = {**os.environ, "PGDATABASE": unquote(parts.path.lstrip("/"))}
    for name, value in (
        ("PGHOST", parts.hostname),
        ("PGPORT", parts.port),
        ("PGUSER", parts.username),
        ("PGPASSWORD", parts.password),
    ):
        if value:
            env[name] = unquote(str(value))
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client-15)")
    return found


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603 (our arguments)


def _read_only(path: Path, timeout: float = 5) -> sqlite3.Connection:
    """An SQLite file opened read-only: never written to, nor created where the path was mistyped. Through a URI
    built by pathlib, which escapes what a URI would read otherwise: in `/mnt/a#b/x` or `/mnt/a?b/x`, an unescaped
    `#` or `?` would end the path, and SQLite would open (and create, read-write) `/mnt/a` instead."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)


def _private_temp(beside: Path) -> Path:
    """A new file next to where the backup goes (so that the final rename stays on one file system), 0600."""
    beside.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{beside.name}.", suffix=".part", dir=beside.parent)
    os.close(handle)
    os.chmod(name, 0o600)
    return Path(name)


# Backing up ------------------------------------------------------------------------------------------------------


def back_up(settings: Settings, target: Path) -> int:
    """A consistent copy of the database at `target` (not overwritten if it exists); returns its size in bytes.
    Written under a temporary name and renamed when complete and checked: a backup cut short is never mistaken
    for one."""
    if target.exists():
        raise BackupError(f"{target} exists already; name a new file")
    part = _private_temp(target)
    try:
        if settings.is_sqlite:
            _sqlite_backup(settings.sqlite_path, part)
        else:
            done = _run(
                [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={part}"],
                _postgres_env(settings.database_url),
            )
            if done.returncode:
                raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        check_backup(settings, part, schema=False)
        part.rename(target)
    finally:
        part.unlink(missing_ok=True)
    return target.stat().st_size


def _sqlite_backup(source_path: Path, part: Path) -> None:
    if not source_path.exists():
        raise BackupError(f"there is no database at {source_path}")
    # Read-only: the backup never writes to the live database, nor creates one where the path was mistyped.
    with closing(_read_only(source_path, timeout=30)) as source:
        with closing(sqlite3.connect(part)) as copy:
            # pages=-1: all in one step, one read transaction, one snapshot (in steps, a write by the server in
            # between would start the copy over).
            source.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it


# Checking a backup -----------------------------------------------------------------------------------------------


def check_backup(settings: Settings, path: Path, *, schema: bool = True) -> None:
    """Refuse what is not a whole backup of a Gridcare database of this kind, of the schema this version runs,
    before anything is touched. Table names alone are not enough: another app's SQLite file may have a table
    called `account`, and a backup made by a newer version holds tables this code would misread (and `migrate`
    cannot undo); what was migrated, by Piccolo's record, is what the backup is. `schema=False` when a backup is
    made: a database not yet migrated to this version is backed up as it is (before an upgrade, say)."""
    ran: set[tuple[str, str]] = set()
    if not path.is_file():
        raise BackupError(f"there is no file {path}")
    if settings.is_sqlite:
        try:
            with closing(_read_only(path)) as backup:
                [(verdict,)] = backup.execute("PRAGMA integrity_check").fetchall()[:1]
                tables = {name for (name,) in backup.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path} is not an SQLite backup ({exc})") from exc
        if verdict != "ok":
            raise BackupError(f"{path} is damaged: {verdict}")
        if MIGRATIONS_TABLE in tables:
            try:
                with closing(_read_only(path)) as backup:
                    ran = set(backup.execute(f'SELECT app_name, name FROM "{MIGRATIONS_TABLE}"'))  # noqa: S608
            except sqlite3.DatabaseError as exc:
                raise BackupError(f"{path} is not a Gridcare backup (its record of migrations: {exc})") from exc
    else:
        listed = _run([_tool("pg_restore"), "--list", str(path)], dict(os.environ))
        if listed.returncode:
            raise BackupError(f"{path} is not a PostgreSQL backup of pg_dump's custom format: {listed.stderr.strip()}")
        # Lines such as "215; 1259 16390 TABLE public sweep_tick gridcare".
        tables = {line.split()[-2] for line in listed.stdout.splitlines() if " TABLE public " in line}
        # The whole file read through (its data too, written nowhere): --list reads its table of contents only,
        # which a copy cut short still holds.
        whole = _run([_tool("pg_restore"), "--file=/dev/null", str(path)], dict(os.environ))
        if whole.returncode:
            raise BackupError(f"{path} is damaged or cut short: {whole.stderr.strip()[-300:]}")
        if MIGRATIONS_TABLE in tables:
            ran = _postgres_migrations(path)
    missing = OUR_TABLES - tables
    if missing:
        raise BackupError(f"{path} is not a Gridcare backup (no table {', '.join(sorted(missing))})")
    if schema:
        check_migrations(path, ran, known_migrations())
        check_tables(path, tables, settings)


def known_tables() -> dict[str, set[str]]:
    """Every table this version's code defines, with its columns."""
    from piccolo.conf.apps import Finder

    return {
        table._meta.tablename: {column._meta.db_column_name for column in table._meta.columns}
        for table in Finder().get_table_classes()
    }


def check_tables(path: Path, tables: set[str], settings: Settings) -> None:
    """The record of migrations says what ran, not what is there: a copy with a table dropped afterwards (or a
    column) passed as sound and the server then answered 500 on every page of that table; one with a trigger added
    carried it into the live database (a stranger's third review of issue 15). Every table and column this version
    defines must be there, and on SQLite no trigger or view (Gridcare makes none)."""
    known = known_tables()
    absent = sorted(set(known) - tables)
    if absent:
        raise BackupError(f"{path} is damaged: tables missing ({_names(absent)})")
    if not settings.is_sqlite:
        return  # pg_restore --list names tables, not columns; a dump's tables come whole from pg_dump
    with closing(_read_only(path)) as backup:
        extra = sorted(
            f"{kind} {name}"
            for kind, name in backup.execute("SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view')")
        )
        if extra:
            raise BackupError(f"{path} holds what Gridcare never makes ({_names(extra)})")
        for table, columns in known.items():
            held = {row[1] for row in backup.execute(f'PRAGMA table_info("{table}")')}
            if columns - held:
                raise BackupError(f"{path} is damaged: table {table} lacks {_names(sorted(columns - held))}")


def _names(names: list[str]) -> str:
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def known_migrations() -> set[tuple[str, str]]:
    """(app, migration id) of every migration this version's code has (the files under migrations/; Piccolo finds
    them through PICCOLO_CONF, which the package `server` sets)."""
    from piccolo.apps.migrations.commands.base import BaseMigrationManager
    from piccolo.conf.apps import Finder

    manager = BaseMigrationManager()
    return {
        (config.app_name, migration_id)
        for config in Finder().get_app_configs()
        for migration_id in manager.get_migration_modules(config.migrations_folder_path)
    }


def check_migrations(path: Path, ran: set[tuple[str, str]], known: set[tuple[str, str]]) -> None:
    """The backup's schema is this version's: every migration the code has ran in it, and none it does not know."""
    if not ran & known:
        raise BackupError(f"{path} is not a Gridcare backup (none of Gridcare's migrations ran in it)")
    newer = sorted(ran - known)
    if newer:
        raise BackupError(
            f"{path} was made by a newer version of Gridcare (migrations this version does not have: "
            f"{_listed(newer)}); restore it with that version or a later one"
        )
    older = sorted(known - ran)
    if older:
        raise BackupError(
            f"{path} was made by an older version of Gridcare (migrations it has not run: {_listed(older)}); "
            "restore it with the version that made it, then upgrade and run `python -m server migrate`"
        )


def _listed(migrations: list[tuple[str, str]]) -> str:
    shown = ", ".join(f"{app} {migration_id}" for app, migration_id in migrations[:5])
    return shown + (f" and {len(migrations) - 5} more" if len(migrations) > 5 else "")


def _postgres_migrations(path: Path) -> set[tuple[str, str]]:
    """The rows of Piccolo's record of migrations in a pg_dump file, as pg_restore writes them (COPY's text)."""
    done = _run(
        [_tool("pg_restore"), "--data-only", f"--table={MIGRATIONS_TABLE}", "--file=-", str(path)], dict(os.environ)
    )
    if done.returncode:
        raise BackupError(f"{path} is not a Gridcare backup (its record of migrations: {done.stderr.strip()})")
    lines = iter(done.stdout.splitlines())
    columns: list[str] = []
    for line in lines:
        if line.startswith(f"COPY public.{MIGRATIONS_TABLE} "):
            columns = [c.strip().strip('"') for c in line.split("(", 1)[1].split(")", 1)[0].split(",")]
            break
    if "name" not in columns or "app_name" not in columns:
        raise BackupError(f"{path} is not a Gridcare backup (no record of its migrations)")
    ran: set[tuple[str, str]] = set()
    for line in lines:
        if line == "\\.":
            return ran
        values = dict(zip(columns, line.split("\t"), strict=False))
        ran.add((values["app_name"], values["name"]))
    raise BackupError(f"{path} is damaged or cut short (its record of migrations ends early)")


# Restoring -------------------------------------------------------------------------------------------------------


def served(settings: Settings) -> bool:
    """Whether a server process has this database open (server.db marks it: a lock file beside SQLite's, an
    application name on PostgreSQL's connections)."""
    if settings.is_sqlite:
        lock = serving_lock_path(settings.sqlite_path)
        if not lock.exists():
            return False
        with lock.open("a") as file:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(file, fcntl.LOCK_UN)
            return False
    return asyncio.run(_postgres_served(settings.database_url))


async def _postgres_served(url: str) -> bool:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return bool(
            await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = $1 AND pid <> pg_backend_pid()",
                SERVING_NAME,
            )
        )
    finally:
        await connection.close()


def rows_in(settings: Settings) -> int:
    """Rows in the database's tables, leaving out the record of migrations: 0 for a new (or only migrated) one."""
    if settings.is_sqlite:
        if not settings.sqlite_path.exists():
            return 0
        with closing(_read_only(settings.sqlite_path, timeout=30)) as db:
            listed = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
            # An index kept as a virtual table (the residents' FTS5 search, decision 0038) and its shadow tables
            # hold only what other tables hold; a new one has a row of its own settings.
            derived = tuple(name for name, sql in listed if (sql or "").upper().startswith("CREATE VIRTUAL TABLE"))
            return sum(
                db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608 (names from the schema)
                for name, _ in listed
                if name != MIGRATIONS_TABLE and not name.startswith("sqlite_") and not name.startswith(derived)
            )
    return asyncio.run(_postgres_rows(settings.database_url))


async def _postgres_rows(url: str) -> int:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        names = [
            row["tablename"]
            for row in await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        total = 0
        for name in names:
            if name != MIGRATIONS_TABLE:
                total += await connection.fetchval(f'SELECT count(*) FROM public."{name}"')  # noqa: S608
        return total
    finally:
        await connection.close()


def restore(settings: Settings, source: Path, *, force: bool) -> Restored:
    """Bring a backup back into the configured database: checked first; a database holding data is replaced only
    with `force`; all or nothing."""
    check_backup(settings, source)
    if served(settings):
        raise BackupError(
            "a Gridcare server is running on this database: writes it acknowledges would be lost. Stop the server "
            "(every worker), back the database up, then restore"
        )
    held = rows_in(settings)
    if held and not force:
        raise BackupError(
            f"the database holds {held} rows; restoring would replace them. Stop the server, back it up, "
            "then restore with --force"
        )
    if settings.is_sqlite:
        target = settings.sqlite_path
        target.parent.mkdir(parents=True, exist_ok=True)
        with closing(_read_only(source)) as backup:
            with closing(sqlite3.connect(target, timeout=30)) as live:
                # The backup API again, the other way: the target's pages are replaced in one write transaction.
                backup.backup(live, pages=-1)
                live.execute("PRAGMA journal_mode=WAL")
    else:
        done = _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                f"--dbname={_postgres_env(settings.database_url)['PGDATABASE']}",
                str(source),
            ],
            _postgres_env(settings.database_url),
        )
        if done.returncode:
            raise BackupError(f"pg_restore failed, nothing was changed: {done.stderr.strip()}")
    return Restored(tables=_table_count(settings), rows=rows_in(settings))


def _table_count(settings: Settings) -> int:
    if settings.is_sqlite:
        with closing(_read_only(settings.sqlite_path)) as db:
            return db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]

    async def count() -> int:
        import asyncpg

        connection = await asyncpg.connect(settings.database_url)
        try:
            return await connection.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        finally:
            await connection.close()

    return asyncio.run(count())
