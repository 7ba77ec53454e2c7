"""Database helpers shared by every domain: write transactions, connection set-up, migrations."""

from __future__ import annotations

from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from server.piccolo_conf import DB


def write_transaction():
    """A transaction for read-modify-write work.

    On SQLite it is IMMEDIATE: a DEFERRED one fails most concurrent writers with "database is locked"
    (measured, see docs/decisions/0001-sqlite-by-default.md). PostgreSQL needs nothing special.
    """
    if isinstance(DB, SQLiteEngine):
        return DB.transaction(transaction_type=TransactionType.immediate)
    return DB.transaction()


async def prepare_database() -> None:
    """Per-database settings that must hold before serving."""
    if isinstance(DB, SQLiteEngine):
        # WAL lets readers go on while one writer writes, and doubled write throughput here.
        await DB.run_ddl("PRAGMA journal_mode=WAL;")


async def migrate() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    await prepare_database()
    response = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not response.success:
        raise SystemExit(f"Migrations failed: {response.message}")


_opened_pool = False


async def open_database() -> None:
    """Start PostgreSQL's connection pool, unless someone (the test harness) already has."""
    global _opened_pool
    if not isinstance(DB, SQLiteEngine) and DB.pool is None:
        await DB.start_connection_pool()
        _opened_pool = True


async def close_database() -> None:
    """Close the pool if open_database started it."""
    global _opened_pool
    if _opened_pool:
        await DB.close_connection_pool()
        _opened_pool = False


# Enough rows per INSERT to be fast, few enough bound parameters for SQLite (32,766) and PostgreSQL (32,767).
MAX_PARAMETERS = 4000


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
