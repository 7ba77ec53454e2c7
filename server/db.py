"""Database helpers shared by every domain: write transactions, connection set-up, migrations."""

from __future__ import annotations

import asyncio
import datetime
import fcntl
import logging
import re
import sqlite3
from pathlib import Path

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, convert_datetime_in
from piccolo.querystring import QueryString

from server import sqlite_engine
from server.piccolo_conf import DB

log = logging.getLogger("gridcare.db")

_sqlite_anchor: sqlite3.Connection | None = None  # see prepare_database
# How long a writer waits for another process's write lock (piccolo_conf's timeout), in SQLite's milliseconds.
_BUSY_TIMEOUT_MS = round(DB.connection_kwargs.get("timeout", 5) * 1000) if isinstance(DB, SQLiteEngine) else 0


def write_transaction():
    """A transaction for read-modify-write work.

    On SQLite it is IMMEDIATE: a DEFERRED one fails most concurrent writers with "database is locked"
    (measured, see docs/decisions/0001-sqlite-by-default.md), and runs on this process's writing connection.
    PostgreSQL needs nothing special.
    """
    if isinstance(DB, SQLiteEngine):
        return _SQLiteWriteTransaction(engine=DB, transaction_type=TransactionType.immediate)
    return DB.transaction()


class _SQLiteWriteTransaction(SQLiteTransaction):
    """Piccolo's SQLite transaction, on the one connection this process keeps for writing instead of a new one.

    A new connection per transaction costs a thread, a connect and reading the schema, a few milliseconds that a
    batch of ticks otherwise spends on its rows (decision 0007). SQLite writes one transaction at a time anyway
    (IMMEDIATE): this process's writers take turns on the connection (an asyncio lock) and still wait for other
    processes' writers in BEGIN IMMEDIATE, as before. Nested use joins the outer transaction, as Piccolo's does.
    """

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await _WRITER.acquire()
        try:
            await self.begin()
        except BaseException:
            await _WRITER.release(discard=True)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def begin(self) -> None:
        """BEGIN IMMEDIATE right here when the write lock is free (the usual case: this process's writers already
        take turns), instead of a hop to the connection's thread and back (0.1 to 0.3 ms, decision 0007). When
        another connection holds it (another worker process, a write outside a transaction), SQLite answers "busy"
        at once (no busy timeout for this try) and the waiting happens on the thread as before, with the timeout."""
        connection = self.connection._conn
        connection.execute("PRAGMA busy_timeout = 0")
        try:
            connection.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:  # BUSY, or an extended BUSY_* code
                raise
        finally:
            connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        await super().begin()

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        finished = False
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
            finished = True
        finally:
            self.engine.current_transaction.reset(self.context)
            await _WRITER.release(discard=not finished)
        return exception is None


class _Writer:
    """This process's writing connection to SQLite, one user at a time; made again for a new event loop."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.lock = asyncio.Lock()
        self.connection: aiosqlite.Connection | None = None

    async def acquire(self) -> aiosqlite.Connection:
        loop = asyncio.get_running_loop()
        if loop is not self.loop:  # a lock belongs to one loop (tests and commands each run their own)
            self.loop, self.lock, self.connection = loop, asyncio.Lock(), None
        await self.lock.acquire()
        try:
            if self.connection is None:
                self.connection = await sqlite_engine.connect(DB)
        except BaseException:
            self.lock.release()
            raise
        return self.connection

    async def release(self, *, discard: bool) -> None:
        """Hand the connection on; one left inside a transaction (a failed commit or rollback) is closed."""
        try:
            if self.connection is not None and (discard or self.connection._conn.in_transaction):
                await self.close()
        finally:
            self.lock.release()

    async def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:
                log.exception("closing the SQLite writing connection failed")


_WRITER = _Writer()


async def prepare_database() -> None:
    """Per-database settings that must hold before serving."""
    global _sqlite_anchor
    if isinstance(DB, SQLiteEngine):
        # WAL lets readers go on while one writer writes, and doubled write throughput here.
        await DB.run_ddl("PRAGMA journal_mode=WAL;")
        # Piccolo opens a SQLite connection per query (or transaction) and closes it after. When the last connection
        # to a WAL database closes, SQLite copies the whole log into the database file and deletes it: 10 to 20 ms
        # of writing and fsync after every write (measured, decision 0007). One connection kept open for the life of
        # the process, having read once so that it holds the log open, means no close is ever the last.
        if _sqlite_anchor is None:
            _sqlite_anchor = sqlite3.connect(DB.path, check_same_thread=False, timeout=0)  # see read_value
            _sqlite_anchor.execute("SELECT count(*) FROM sqlite_master").fetchone()


async def read_value(sql: str, default: object = None) -> object | None:
    """The first column of the first row of a tiny read made on every request (the sessions' generation), at next to
    no cost; `default` when there is no row, None when it cannot be read at once.

    On SQLite the anchor connection answers right here on the event loop, in microseconds (a query through
    aiosqlite's thread costs 0.1 to 1 ms, decision 0007): in WAL mode a read waits for no writer, and the anchor's
    busy timeout is 0, so in SQLite's rare busy moments (another process recovering the log) the answer is None at
    once, never a stalled event loop. On PostgreSQL, one round trip on the pool.
    """
    if isinstance(DB, SQLiteEngine):
        if _sqlite_anchor is None:
            return None
        try:
            rows = _sqlite_anchor.execute(sql).fetchall()  # every row fetched: no read left open on the anchor
        except sqlite3.Error:
            return None
    elif DB.pool is not None:
        async with DB.pool.acquire() as connection:
            rows = await connection.fetch(sql)
    else:
        rows = [tuple(row.values()) for row in await DB.run_querystring(QueryString(sql))]
    return rows[0][0] if rows else default


async def migrate() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    await prepare_database()
    response = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not response.success:
        raise SystemExit(f"Migrations failed: {response.message}")


_opened_pool = False


# How a serving process is known from outside, so that `restore` does not replace a database under a running server
# (a stranger's walk of issue 15: `restore --force` beside one lost 5,580 acknowledged ticks). PostgreSQL: the
# pool's connections carry this application name; SQLite: each process holds a shared lock on this file beside it.
SERVING_NAME = "gridcare-server"
SERVING_SUFFIX = ".serving"
_serving_lock = None


def serving_lock_path(database: Path) -> Path:
    return database.with_name(database.name + SERVING_SUFFIX)


async def open_database(*, serving: bool = True) -> None:
    """Start PostgreSQL's connection pool, unless someone (the test harness) already has; mark the database as served
    by this process (SERVING_NAME, the lock file), unless `serving` is False (the tests' own process, which restores
    into its database on purpose)."""
    global _opened_pool, _serving_lock
    if not isinstance(DB, SQLiteEngine) and DB.pool is None:
        await DB.start_connection_pool(**({"server_settings": {"application_name": SERVING_NAME}} if serving else {}))
        _opened_pool = True
    if serving and isinstance(DB, SQLiteEngine) and _serving_lock is None:
        _serving_lock = serving_lock_path(Path(DB.path)).open("a")
        fcntl.flock(_serving_lock, fcntl.LOCK_SH)  # shared: every worker of the server holds it at once


async def close_database() -> None:
    """Close the pool if open_database started it; on SQLite, the writing connection and the anchor."""
    global _opened_pool, _sqlite_anchor, _serving_lock
    if _opened_pool:
        await DB.close_connection_pool()
        _opened_pool = False
    if _serving_lock is not None:
        _serving_lock.close()  # the lock goes with the file
        _serving_lock = None
    await _WRITER.close()
    if isinstance(DB, sqlite_engine.KeptConnectionsSQLiteEngine):
        await DB.kept.close()
    if _sqlite_anchor is not None:
        _sqlite_anchor.close()
        _sqlite_anchor = None


# Enough rows per INSERT to be fast, few enough bound parameters for SQLite (32,766) and PostgreSQL (32,767).
MAX_PARAMETERS = 4000


def as_datetime(value) -> datetime.datetime:
    """A timestamp as read back: SQLite gives some (aggregates, raw reads) as text, PostgreSQL a datetime."""
    return value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(value)


def as_date(value) -> datetime.date | None:
    """A date as read back: SQLite gives aggregates (MAX of a date) as text, PostgreSQL a date."""
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


async def insert_in_chunks(table, rows, *, skip_existing_ids: bool = False) -> int:
    """Insert many rows in as few statements as the databases' parameter limits allow.

    skip_existing_ids: rows whose primary or unique `id` is already stored (by a concurrent writer) are left out
    rather than failing the transaction; the caller reads back what is stored.
    """
    size = max(1, MAX_PARAMETERS // len(table._meta.columns))
    for start in range(0, len(rows), size):
        query = table.insert(*rows[start : start + size])
        if skip_existing_ids:
            query = query.on_conflict(target=table.id, action="DO NOTHING")
        await query
    return len(rows)


class RawSQL:
    """Plain SQL on the open write transaction's own connection, for the few hot statements where building Piccolo
    objects and compiling queries cost far more than the database's work (docs/decisions/0007-fast-writes-on-sqlite.md).

    Statements are written once for both databases in portable SQL, with `{}` for a value (as in Piccolo's raw
    queries) and `{*}` for a list of values (`WHERE id IN ({*})`). Values go through the adapters Piccolo uses (on
    SQLite, Piccolo registers them with the sqlite3 module), so what is stored here reads back through Piccolo.
    """

    def __init__(self) -> None:
        transaction = DB.current_transaction.get()
        if transaction is None:
            raise RuntimeError("RawSQL runs inside write_transaction()")
        self.sqlite = isinstance(DB, SQLiteEngine)
        if self.sqlite:
            # The sqlite3 connection under aiosqlite's: called directly, a statement costs tens of microseconds,
            # where each hop to aiosqlite's thread and back costs 0.1 to 0.3 ms (measured; decision 0007). Safe: the
            # transaction is ours alone, its thread idles between Piccolo's awaits, and holding the IMMEDIATE lock
            # we never wait on another writer (piccolo_conf opens connections with check_same_thread=False).
            self.connection = transaction.connection._conn
        else:
            self.connection = transaction.connection

    def timestamp(self, value: datetime.datetime) -> datetime.datetime | str:
        """A timestamp as the database takes it, for one used in many rows (a batch's arrival time): converted once
        here rather than by the adapter on each row (on SQLite, Piccolo's, in Python: a microsecond each)."""
        return convert_datetime_in(value) if self.sqlite else value

    def _compile(self, sql: str, args: tuple) -> tuple[str, list]:
        parts = _PLACEHOLDER.split(sql)
        markers = _PLACEHOLDER.findall(sql)
        if len(markers) != len(args):
            raise ValueError(f"{len(markers)} placeholders, {len(args)} values")
        values: list = []
        out = [parts[0]]
        for marker, value, part in zip(markers, args, parts[1:], strict=True):
            many = list(value) if marker == "{*}" else [value]
            if not many:
                many = [None]  # IN (NULL) matches nothing, as an empty list should
            numbers = range(len(values) + 1, len(values) + len(many) + 1)
            out.append(", ".join("?" if self.sqlite else f"${n}" for n in numbers) + part)
            values += many
        return "".join(out), values

    async def fetch(self, sql: str, *args) -> list:
        """Rows as read-only mappings (row["column"]) that are also tuples (dict(rows) of two columns works)."""
        query, values = self._compile(sql, args)
        if self.sqlite:
            return self._cursor().execute(query, values).fetchall()
        return await self.connection.fetch(query, *values)

    def _cursor(self, row_factory=sqlite3.Row) -> sqlite3.Cursor:
        # sqlite3.Row is made in C; the connection's own row factory (Piccolo's dict_factory) is Python code run per
        # row, a tenth of a millisecond for a batch's hundred rows.
        cursor = self.connection.cursor()
        cursor.row_factory = row_factory
        return cursor

    async def insert_new(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> dict[str, int]:
        """Insert rows (their id as text) into a table keyed by a unique `id` with an integer primary key `seq`,
        leaving out those whose id is already stored (sent again, or stored by another writer a moment ago). Returns
        {id: seq} of the rows stored now; seqs follow the order of `rows`."""
        if not rows:
            return {}
        names = ", ".join(columns)
        if self.sqlite:
            # executemany, not one INSERT ... RETURNING of a hundred rows, which costs ~0.4 ms more on SQLite
            # (measured, decision 0007). The IMMEDIATE transaction holds the write lock, so nobody else inserts
            # meanwhile, and SQLite gives each new row the rowid after the largest: stored whole, the rows took the
            # seqs after the previous largest, in order; otherwise those stored now are read back above it.
            [(before,)] = self._cursor(None).execute(f"SELECT coalesce(max(seq), 0) FROM {table}").fetchall()  # noqa: S608
            marks = ", ".join("?" * len(columns))
            stored = self.connection.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT (id) DO NOTHING",  # noqa: S608
                rows,
            ).rowcount
            key = columns.index("id")
            if stored == len(rows):
                return {row[key]: before + n for n, row in enumerate(rows, start=1)}
            return dict(
                self._cursor(None)
                .execute(f"SELECT CAST(id AS TEXT), CAST(seq AS BIGINT) FROM {table} WHERE seq > ?", (before,))  # noqa: S608
                .fetchall()
            )
        width = len(columns)
        groups = ", ".join(
            "(" + ", ".join(f"${n * width + k + 1}" for k in range(width)) + ")" for n in range(len(rows))
        )
        query = (
            f"INSERT INTO {table} ({names}) VALUES {groups} ON CONFLICT (id) DO NOTHING"  # noqa: S608 (our names only)
            " RETURNING CAST(id AS TEXT), seq"
        )
        return dict(await self.connection.fetch(query, *[value for row in rows for value in row]))

    async def execute_many(self, sql: str, rows: list[tuple]) -> None:
        """One statement (with `{}` only), many rows."""
        if not rows:
            return
        query, _ = self._compile(sql, rows[0])
        if self.sqlite:
            self.connection.executemany(query, rows)
        else:
            await self.connection.executemany(query, rows)


_PLACEHOLDER = re.compile(r"\{\*?\}")
