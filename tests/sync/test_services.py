"""The sync layer on its own: a kind that fails leaves nothing behind, and every write is answered."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from server.accounts.services import CurrentUser
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
