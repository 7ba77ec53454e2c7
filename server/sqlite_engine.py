"""Piccolo's SQLite engine, with the connections of queries outside transactions kept open and used again.

Piccolo opens a connection for every query made outside a transaction and closes it after: a thread, a connect,
reading the schema, four hops to that thread and back, then the close (STACK_NOTES: ~2.7 ms a query). A page makes
five to ten queries. Here each query borrows one of a few connections kept open per process instead; queries on
them still run one at a time per connection, in autocommit as before (decision 0007).
"""

from __future__ import annotations

import asyncio

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, dict_factory

READERS = 8  # connections kept per process: more queries than this at once wait their turn


async def connect(engine: SQLiteEngine) -> aiosqlite.Connection:
    """A connection as Piccolo makes one (SQLiteEngine.get_connection), whose thread does not hold up exit."""
    connection = aiosqlite.connect(**engine.connection_kwargs)
    connection._thread.daemon = True  # a connection left by a finished event loop must not keep the process alive
    await connection
    connection.row_factory = dict_factory
    await connection.execute("PRAGMA foreign_keys = 1")
    return connection


class _Kept:
    """Idle connections of one event loop (tests and commands each run their own loop)."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.idle: list[aiosqlite.Connection] = []
        self.turns = asyncio.Semaphore(READERS)

    async def acquire(self, engine: SQLiteEngine) -> aiosqlite.Connection:
        loop = asyncio.get_running_loop()
        if loop is not self.loop:
            self.loop, self.idle, self.turns = loop, [], asyncio.Semaphore(READERS)
        await self.turns.acquire()
        if self.idle:
            return self.idle.pop()
        try:
            return await connect(engine)
        except BaseException:
            self.turns.release()
            raise

    def release(self, connection: aiosqlite.Connection, *, healthy: bool) -> None:
        if healthy and not connection._conn.in_transaction:
            self.idle.append(connection)
        else:  # cancelled or failed mid-way: not used again; its thread closes it and ends
            connection.stop()
        self.turns.release()

    async def close(self) -> None:
        idle, self.idle = self.idle, []
        for connection in idle:
            await connection.close()


class KeptConnectionsSQLiteEngine(SQLiteEngine):
    kept = _Kept()

    async def _run_in_new_connection(self, query, args=None, query_type="generic", table=None):
        if query_type == "insert" and self.get_version_sync() < 3.35:  # Piccolo's own way for old SQLite
            return await super()._run_in_new_connection(query, args, query_type, table)
        connection = await self.kept.acquire(self)
        healthy = False
        try:
            async with connection.execute(query, args or []) as cursor:
                rows = await cursor.fetchall()
            healthy = True
            return rows
        finally:
            self.kept.release(connection, healthy=healthy)
