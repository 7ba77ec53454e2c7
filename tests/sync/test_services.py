"""The sync layer on its own: a kind that fails leaves nothing behind, and every write is answered."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from server.access.scope import CurrentUser
from server.demo.seed import COMMUNITY_ID, demo_uuid
from server.sync import services
from server.sync.tables import SyncRejection

USER = CurrentUser(demo_uuid("user", "13900000001"), COMMUNITY_ID, "志愿者", "13900000001", "volunteer", None, None)


class Note(msgspec.Struct):
    text: str


@pytest.fixture
def failing_kind():
    """A kind that writes, then fails: its write must be rolled back and its writes answered "retry"."""
    marker = uuid.uuid4()

    async def ingest(user, items, now):
        await SyncRejection.insert(
            SyncRejection(write_id=marker, kind="test.fails", user=user.id, reason="half", received_at=now)
        )
        raise RuntimeError("the database went away")

    services.register(services.Kind("test.fails", Note, ingest))
    yield marker
    services.REGISTRY.pop("test.fails")


def write(kind: str, payload: bytes = b'{"text": "x"}') -> services.Write:
    return services.Write(id=uuid.uuid4(), kind=kind, device_time=datetime.now(UTC), payload=msgspec.Raw(payload))


async def test_a_failing_kind_lands_nothing_and_asks_for_a_retry(failing_kind):
    batch = services.Batch(writes=[write("test.fails"), write("test.fails")])
    answer = await services.ingest(USER, batch, datetime.now(UTC))
    assert [(a.status, a.reason) for a in answer.answers] == [("retry", "server_error")] * 2
    assert not await SyncRejection.exists().where(SyncRejection.write_id == failing_kind)


async def test_a_kind_name_belongs_to_one_kind():
    kind = services.Kind("test.once", Note, lambda *a: None)
    services.register(kind)
    try:
        services.register(kind)  # registering the same kind again (a second app in one process) is fine
        with pytest.raises(ValueError):
            services.register(services.Kind("test.once", Note, lambda *a: None))
    finally:
        services.REGISTRY.pop("test.once")


async def test_the_same_id_twice_in_one_batch_with_other_content_is_refused():
    first = write("no.such.kind")
    second = services.Write(id=first.id, kind=first.kind, device_time=first.device_time, payload=msgspec.Raw(b"{}"))
    answer = await services.ingest(USER, services.Batch(writes=[first, second]), datetime.now(UTC))
    assert [(a.status, a.reason) for a in answer.answers] == [("rejected", "unknown_kind"), ("rejected", "id_reused")]


async def test_a_huge_refused_write_is_kept_only_in_part():
    huge = write("no.such.kind", b'{"text": "' + b"x" * 100_000 + b'"}')
    await services.ingest(USER, services.Batch(writes=[huge]), datetime.now(UTC))
    kept = await SyncRejection.objects().get(SyncRejection.write_id == huge.id)
    assert len(kept.body) == services.MAX_KEPT_BODY


async def test_refused_writes_are_dropped_after_a_month():
    old = write("no.such.kind")
    long_ago = datetime.now(UTC) - timedelta(days=services.KEEP_REFUSED_DAYS + 1)
    await services.ingest(USER, services.Batch(writes=[old]), long_ago)
    await services.purge_refused(datetime.now(UTC))
    assert not await SyncRejection.exists().where(SyncRejection.write_id == old.id)


@pytest.fixture
def touchy_kind():
    """A kind that stores every write but one whose text is "boom" (a bug its content meets)."""

    async def ingest(user, items, now):
        if any(item.payload.text == "boom" for item in items):
            raise ValueError("a bug")
        return {item.id: services.Answer(id=item.id, status="accepted") for item in items}

    services.register(services.Kind("test.touchy", Note, ingest))
    yield
    services.REGISTRY.pop("test.touchy")


async def test_one_write_the_server_cannot_store_does_not_hold_up_the_others(touchy_kind):
    boom = write("test.touchy", b'{"text": "boom"}')
    for attempt in range(1, services.FAILURES_BEFORE_REFUSAL + 1):
        batch = services.Batch(writes=[write("test.touchy"), boom, write("test.touchy")])
        answers = (await services.ingest(USER, batch, datetime.now(UTC))).answers
        assert [answers[0].status, answers[2].status] == ["accepted", "accepted"]  # those around it land
        if attempt < services.FAILURES_BEFORE_REFUSAL:
            assert (answers[1].status, answers[1].reason) == ("retry", "server_error")
        else:  # it keeps failing alone: refused and kept, so the phone goes on with what is behind it
            assert (answers[1].status, answers[1].reason) == ("rejected", "server_error")
    kept = await SyncRejection.select(SyncRejection.reason, SyncRejection.body).where(SyncRejection.write_id == boom.id)
    assert sorted(r["reason"] for r in kept) == ["failed_retry"] * (services.FAILURES_BEFORE_REFUSAL - 1) + [
        "server_error"
    ]
    assert all("boom" in r["body"] for r in kept)


async def test_when_every_write_fails_alone_nothing_is_counted_against_them(failing_kind):
    lone = write("test.fails")
    for _ in range(services.FAILURES_BEFORE_REFUSAL + 1):
        answer = await services.ingest(USER, services.Batch(writes=[lone]), datetime.now(UTC))
        assert answer.answers[0].status == "retry"  # the database is down, not the write at fault
    assert not await SyncRejection.exists().where(SyncRejection.write_id == lone.id)


def test_a_phone_within_the_tolerance_keeps_its_times_and_a_wrong_clock_is_moved():
    """Moved by the batch's time on the way, two taps a moment apart changed places when the first waited longer
    (an e2e run with the server busy); a clock 12 minutes fast is still set right (decision 0032)."""
    now = datetime(2026, 12, 7, 10, 0, 0, tzinfo=UTC)
    tapped = now - timedelta(seconds=5)
    on_the_way = now - timedelta(seconds=40)  # sent 40 s ago by a right clock: a slow network, a busy server
    assert services.on_server_clock(tapped, on_the_way, now) == tapped
    fast = timedelta(minutes=12)
    assert services.on_server_clock(tapped + fast, now + fast, now) == tapped
    assert services.on_server_clock(now + timedelta(seconds=30), now, now) == now  # never past the server's now
