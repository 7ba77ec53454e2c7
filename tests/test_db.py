"""server/db.py: write transactions on SQLite's kept connection, and the plain SQL of the hot paths."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import UTC, datetime

import pytest

from server import db
from server.accounts.tables import LoginAttempt
from server.settings import get_settings

SQLITE = get_settings().is_sqlite


class Failed(Exception):
    pass


def attempt(phone: str) -> LoginAttempt:
    return LoginAttempt(phone=phone, address="test-db", at=datetime.now(UTC), succeeded=False)


async def count(phone: str) -> int:
    return await LoginAttempt.count().where(LoginAttempt.phone == phone)


async def test_placeholders_become_each_databases_own_and_lists_expand():
    async with db.write_transaction():
        sql = db.RawSQL()
        query, values = sql._compile("SELECT {} WHERE a IN ({*}) AND b = {}", (1, [2, 3], 4))
        assert values == [1, 2, 3, 4]
        expected = "SELECT ? WHERE a IN (?, ?) AND b = ?" if SQLITE else "SELECT $1 WHERE a IN ($2, $3) AND b = $4"
        assert query == expected
        assert sql._compile("a IN ({*})", ([],)) == ("a IN (?)" if SQLITE else "a IN ($1)", [None])  # matches nothing
        with pytest.raises(ValueError):
            sql._compile("{} {}", (1,))


async def test_raw_sql_outside_a_write_transaction_is_a_mistake():
    with pytest.raises(RuntimeError):
        db.RawSQL()


async def test_raw_sql_sees_and_writes_inside_the_transaction_and_a_failure_undoes_it():
    phone = uuid.uuid4().hex[:20]
    with pytest.raises(Failed):
        async with db.write_transaction():
            await attempt(phone).save()
            sql = db.RawSQL()
            rows = await sql.fetch("SELECT phone FROM login_attempt WHERE phone IN ({*})", [phone, "nobody"])
            assert [row["phone"] for row in rows] == [phone]
            raise Failed
    assert await count(phone) == 0
    async with db.write_transaction():  # the connection is fine for the next writer
        await attempt(phone).save()
    assert await count(phone) == 1


async def test_concurrent_write_transactions_take_turns_and_all_land():
    phone = uuid.uuid4().hex[:20]

    async def write(n: int) -> None:
        async with db.write_transaction():
            before = await count(phone)
            await asyncio.sleep(0)  # let the others try to get in
            await attempt(phone).save()
            if SQLITE:  # one writer at a time; PostgreSQL's transactions run side by side
                assert await count(phone) == before + 1

    await asyncio.gather(*(write(n) for n in range(8)))
    assert await count(phone) == 8


async def test_nested_write_transactions_join_the_outer_one():
    phone = uuid.uuid4().hex[:20]
    with pytest.raises(Failed):
        async with db.write_transaction():
            async with db.write_transaction():
                await attempt(phone).save()
            raise Failed
    assert await count(phone) == 0


async def test_raw_rows_read_by_name_and_as_pairs_and_a_timestamp_stored_as_piccolo_stores_it():
    phone, at = uuid.uuid4().hex[:20], datetime(2022, 11, 24, 9, 30, 15, 250000, tzinfo=UTC)
    async with db.write_transaction():
        sql = db.RawSQL()
        await sql.execute_many(
            "INSERT INTO login_attempt (id, phone, address, at, succeeded) VALUES ({}, {}, {}, {}, {})",
            [(str(uuid.uuid4()), phone, "test-db", sql.timestamp(at), False)],
        )
        [row] = await sql.fetch("SELECT phone, address FROM login_attempt WHERE phone = {}", phone)
        assert (row["phone"], row["address"]) == (phone, "test-db")
        assert dict([row]) == {phone: "test-db"}
    [stored] = await LoginAttempt.select(LoginAttempt.at).where(LoginAttempt.phone == phone)
    assert stored["at"] == at
    # Compared in SQL with a timestamp Piccolo passes: the text on SQLite has the same form.
    assert await LoginAttempt.exists().where((LoginAttempt.phone == phone) & (LoginAttempt.at >= at))


@pytest.mark.skipif(not SQLITE, reason="SQLite's write-ahead log")
async def test_closing_a_connection_does_not_checkpoint_away_the_log():
    """The anchor connection: without it, every Piccolo connection closed last copies the log back (10-20 ms)."""
    async with db.write_transaction():
        await attempt(uuid.uuid4().hex[:20]).save()
    await LoginAttempt.count()  # a read on a connection of its own, closed after
    assert get_settings().sqlite_path.with_name(get_settings().sqlite_path.name + "-wal").exists()  # noqa: ASYNC240


@pytest.mark.skipif(not SQLITE, reason="SQLite's write lock")
async def test_a_writer_waits_for_another_process_holding_the_write_lock_then_writes():
    """BEGIN IMMEDIATE is first tried on the event loop without waiting; a lock held elsewhere (another worker
    process) sends it to the connection's thread, to wait with the busy timeout as before, not fail."""
    phone = uuid.uuid4().hex[:20]
    other = sqlite3.connect(get_settings().sqlite_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")

        async def write() -> None:
            async with db.write_transaction():
                await attempt(phone).save()

        writer = asyncio.create_task(write())
        await asyncio.sleep(0.3)  # long enough to have tried, and to have failed if it did not wait
        assert not writer.done()
        other.execute("COMMIT")
        await writer
    finally:
        other.close()
    assert await count(phone) == 1
    async with db.write_transaction():  # the next writer takes the lock at once, with the busy timeout restored
        [(timeout,)] = await db.RawSQL().fetch("PRAGMA busy_timeout")
        assert timeout == 30_000


@pytest.mark.skipif(not SQLITE, reason="SQLite's kept connections")
async def test_queries_outside_transactions_take_turns_on_a_few_kept_connections():
    from server.piccolo_conf import DB
    from server.sqlite_engine import READERS

    counts = await asyncio.gather(*(LoginAttempt.count() for _ in range(READERS * 3)))
    assert len(set(counts)) == 1
    assert 1 <= len(DB.kept.idle) <= READERS


@pytest.mark.skipif(not SQLITE, reason="SQLite's kept connections")
async def test_a_failed_query_leaves_the_kept_connections_usable():
    first = attempt(uuid.uuid4().hex[:20])
    await first.save()
    twin = attempt(first.phone)
    twin.id = first.id
    with pytest.raises(sqlite3.IntegrityError):
        await twin.save()
    assert await count(first.phone) == 1
