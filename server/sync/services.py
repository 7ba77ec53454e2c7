"""The one path for every write a phone makes offline: a batch of writes in, one answer per write out.

The sync layer knows no domain. Each domain registers a `Kind` ("sweep.tick", later "checkin.outcome", ...):
the Struct its payload must decode to, and an `ingest` function that stores a list of such writes. Dependencies
point one way: domains import this module, never the reverse. The rules every kind follows:

- A write has an id made by the phone. Sending it again with the same content is harmless ("duplicate");
  the same id with other content is refused ("id_reused") and recorded.
- A write lands whole or not at all. A batch runs in one transaction; if it fails, each write is tried alone in a
  transaction of its own. What fails is answered "retry" (the phone keeps it and sends it again), unless it keeps
  failing while the rest lands: then it is refused and kept, and the writes queued behind it are not held up.
- Refused writes are kept in `SyncRejection`: what a person entered is never silently dropped.
- Phone clocks are not trusted alone: the server's arrival order decides; a device time far off is answered
  with a warning and kept for the record. One outside EARLIEST..LATEST is no phone's clock, however wrong: refused.
- A batch says the phone's clock as it was sent (`sent_at`): each write's time is moved by the phone's difference
  from the server's clock, and never past the server's now (decision 0032). A kind gets the corrected time.
- A write the server cannot read (its payload not UTF-8, nested past any sense, holding a NUL or half of a character
  (a lone surrogate, "\\ud800"), which no text column takes) is refused alone, and kept: the rest of the batch, and
  the phone's outbox behind it, go on.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec

from server.access.scope import CurrentUser
from server.db import write_transaction
from server.sync.tables import SyncRejection

log = logging.getLogger("gridcare.sync")

MAX_KEPT_BODY = 4000  # characters of a refused write kept for people to look at; a tick is a few hundred
KEEP_REFUSED_DAYS = 30
MAX_BATCH = 500  # writes handled per request; the rest are answered "retry" and come in the next batch
CLOCK_TOLERANCE = timedelta(hours=12)
FAILURES_BEFORE_REFUSAL = 3  # a write the server failed to store this often, while others landed, is refused
# A phone whose clock was reset reads 1970 or 1980: still a time to keep. Years 1 and 9999 are crafted (and a time
# zone's offset past them is no date at all, where the database converts it to UTC).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_UNREADABLE = (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError, RecursionError)

Status = Literal["accepted", "duplicate", "rejected", "retry"]


class Write(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    kind: Annotated[str, msgspec.Meta(max_length=32)]
    device_time: Annotated[datetime, msgspec.Meta(tz=True)]  # with its offset: phones are in many time zones
    payload: msgspec.Raw
    user_id: uuid.UUID | None = None  # who made it, as the phone knew: a shared phone must not send it as another


class Batch(msgspec.Struct, kw_only=True):
    writes: list[Write]
    # The phone's clock as it sent the batch (an older page sends none): how far its clock is off (decision 0032).
    sent_at: Annotated[datetime, msgspec.Meta(tz=True)] | None = None


# A phone whose clock is within this of the server's is taken as right: a batch's time on the way (seconds on a
# slow network, more while the server is busy) is not a clock's error, and calls are minutes apart.
ON_TIME = timedelta(minutes=2)


def on_server_clock(device_time: datetime, sent_at: datetime | None, now: datetime) -> datetime:
    """When a write was made, on the server's clock: the phone's time less how far the phone's clock was ahead as it
    sent the batch (a 12-minute-fast phone's 10:12 is 10:00), never later than now (a clock changed between the
    write and the sending is not believed past the moment the server has the write). One shift for the whole batch:
    the writes keep their order and their gaps. No sent_at, or one no phone's clock shows: as the phone said."""
    if sent_at is None or not EARLIEST <= sent_at < LATEST:
        return device_time
    if abs(sent_at - now) <= ON_TIME:
        # The network's delay, not the clock's error: moved by it, two taps a moment apart on one phone changed
        # places when the first waited longer on the way (seen with the server busy).
        return min(device_time, now)
    return min(device_time - (sent_at - now), now)


class Answer(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: uuid.UUID
    status: Status
    reason: str | None = None  # a code the phone can show in words: "outside_sweep", "id_reused", ...
    seq: int | None = None  # the server's sequence number of the stored write
    warning: str | None = None


class BatchAnswer(msgspec.Struct, kw_only=True):
    answers: list[Answer]
    received_at: datetime


class Incoming(msgspec.Struct, frozen=True):
    """A write whose payload decoded, as a kind's ingest function gets it (a Struct: made in C, a hundred a batch)."""

    id: uuid.UUID
    device_time: datetime
    payload: Any
    content_hash: str  # of kind and payload: the same write sent twice hashes the same


Ingest = Callable[[CurrentUser, list[Incoming], datetime], Awaitable[dict[uuid.UUID, Answer]]]
# What refused writes of a kind were about, for the people who see them (sync/refused.py): for each payload a dict
# with at least "community" and "grid" (who may see it), or None when it names nothing the kind knows.
Describe = Callable[[list[Any]], Awaitable[list[dict | None]]]


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    payload_type: type
    ingest: Ingest  # must answer every write it is given; runs inside the batch's transaction
    describe: Describe | None = None


REGISTRY: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.name in REGISTRY and REGISTRY[kind.name] is not kind:
        raise ValueError(f"sync kind {kind.name!r} registered twice")
    REGISTRY[kind.name] = kind
    return kind


class BatchUnreadable(ValueError):
    """The body is no batch at all: refused whole, before anything is stored."""


LONE_SURROGATE = "a text holds half of a character (a lone surrogate)"


def decode_batch(body: bytes) -> tuple[Batch, dict[int, str]]:
    """The batch, and the positions of writes that are readable JSON yet hold no storable text, with why.

    msgspec refuses a whole body in which one string holds half of a character ("\\ud800", which JSON allows and
    no database keeps): one such write would refuse the batch, and hold up every write queued behind it on the
    phone. Such a body is read again by Python's parser, which keeps the half character; each write holding one is
    then refused alone (and kept, escaped as it came), the others go on as usual.
    """
    try:
        return msgspec.json.decode(body, type=Batch), {}
    except msgspec.DecodeError as exc:
        first_error: Exception = exc
    except _UNREADABLE as exc:
        raise BatchUnreadable(str(exc)[:200]) from None
    try:
        whole = json.loads(body)
        items = whole["writes"]
        if not isinstance(items, list):
            raise TypeError
    except (ValueError, TypeError, KeyError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise BatchUnreadable(str(first_error)[:200]) from None
    writes: list[Write] = []
    unreadable: dict[int, str] = {}
    for position, item in enumerate(items):
        try:
            raw = json.dumps(item, ensure_ascii=False).encode()  # a lone surrogate cannot be UTF-8
        except UnicodeEncodeError:
            if not isinstance(item, dict):
                raise BatchUnreadable(LONE_SURROGATE) from None
            # Kept as it came, escaped. Only the payload may hold such text: in the write's id, kind or time, no
            # write is known to answer.
            payload = json.dumps(item.get("payload"), ensure_ascii=True).encode()
            try:
                raw = json.dumps({**item, "payload": None}, ensure_ascii=False).encode()
            except UnicodeEncodeError:
                raise BatchUnreadable(LONE_SURROGATE) from None
            unreadable[position] = LONE_SURROGATE
        except (ValueError, TypeError, RecursionError) as exc:
            raise BatchUnreadable(str(exc)[:200]) from None
        else:
            payload = None
        try:
            write = msgspec.json.decode(raw, type=Write)
        except _UNREADABLE as exc:
            raise BatchUnreadable(str(exc)[:200]) from None
        writes.append(write if payload is None else msgspec.structs.replace(write, payload=msgspec.Raw(payload)))
    return Batch(writes=writes, sent_at=_sent_at(whole)), unreadable


def _sent_at(body: Any) -> datetime | None:
    """The batch's sent_at read on its own, where the batch needed the slower parser: unreadable, none."""
    try:
        return msgspec.convert(
            body.get("sent_at"), type=Annotated[datetime, msgspec.Meta(tz=True)] | None, strict=False
        )
    except (msgspec.ValidationError, AttributeError):
        return None


def _unreadable(write: Write) -> str | None:
    """Why a write cannot be stored whatever its kind, or None."""
    if not EARLIEST <= write.device_time < LATEST:
        return "device_time is not a time a phone's clock shows"
    if b"\\u0000" in bytes(write.payload):  # JSON's NUL: no text column of either database keeps one
        return "a text holds a NUL character"
    return None


def content_hash(kind: str, payload: bytes) -> str:
    """What the person entered: kind and payload. Not the device time, which a form resent by the page restamps."""
    return hashlib.sha256(kind.encode() + b"\0" + payload).hexdigest()


def rejection(write_id: uuid.UUID, reason: str) -> Answer:
    return Answer(id=write_id, status="rejected", reason=reason)


async def ingest(
    user: CurrentUser, batch: Batch, now: datetime, unreadable: dict[int, str] | None = None
) -> BatchAnswer:
    """Store a batch of writes from one phone; answer each, in the order they came. `unreadable`: the positions of
    writes already known to hold no storable text (decode_batch), refused alone."""
    answers: dict[int, Answer] = {}
    refused: list[tuple[Write, str, str]] = []
    by_kind: dict[str, list[tuple[int, Incoming]]] = {}
    first_seen: dict[uuid.UUID, int] = {}
    repeats: list[int] = []  # the same id again in this batch: answered like its first copy below

    for position, write in enumerate(batch.writes):
        if position >= MAX_BATCH:
            answers[position] = Answer(id=write.id, status="retry", reason="batch_too_large")
            continue
        if write.id in first_seen:
            repeats.append(position)
            continue
        first_seen[write.id] = position
        if write.user_id is not None and write.user_id != user.id:
            answers[position] = rejection(write.id, "wrong_user")
            continue  # not kept: it belongs to someone else, whose phone still holds it
        kind = REGISTRY.get(write.kind)
        if kind is None:
            answers[position] = rejection(write.id, "unknown_kind")
            refused.append((write, "unknown_kind", ""))
            continue
        problem = (unreadable or {}).get(position) or _unreadable(write)
        if problem is None:
            try:
                payload = msgspec.json.decode(write.payload, type=kind.payload_type)
            except _UNREADABLE as exc:
                problem = str(exc)
        if problem is not None:
            answers[position] = rejection(write.id, "invalid")
            refused.append((write, "invalid", problem))
            continue
        # Hashed re-encoded, so that the same payload with its keys in another order is the same write.
        digest = content_hash(write.kind, msgspec.json.encode(payload))
        made = on_server_clock(write.device_time, batch.sent_at, now)
        by_kind.setdefault(write.kind, []).append((position, Incoming(write.id, made, payload, digest)))

    try:
        async with write_transaction() if by_kind else contextlib.nullcontext():  # nothing to store: no write lock
            for name, items in by_kind.items():
                stored = await REGISTRY[name].ingest(user, [incoming for _, incoming in items], now)
                for position, incoming in items:
                    answers[position] = stored[incoming.id]
    except Exception:
        # Nothing of the batch landed. Each write is tried alone, so that one the server cannot store does not
        # hold up the phone's whole outbox.
        log.exception("sync batch failed; its %d writes are tried one by one", sum(len(i) for i in by_kind.values()))
        refused += await _one_by_one(user, batch, by_kind, answers, now)

    for position in repeats:
        write = batch.writes[position]
        first = batch.writes[first_seen[write.id]]
        if content_hash(first.kind, bytes(first.payload)) != content_hash(write.kind, bytes(write.payload)):
            answers[position] = rejection(write.id, "id_reused")
        elif answers[first_seen[write.id]].status in ("accepted", "duplicate"):
            answers[position] = Answer(id=write.id, status="duplicate", seq=answers[first_seen[write.id]].seq)
        else:
            answers[position] = answers[first_seen[write.id]]
    for position, write in enumerate(batch.writes[:MAX_BATCH]):
        if abs(write.device_time - now) > CLOCK_TOLERANCE and answers[position].status in ("accepted", "duplicate"):
            answers[position] = msgspec.structs.replace(answers[position], warning="device_clock_off")
    for position, answer in answers.items():
        if answer.status == "rejected" and answer.reason not in ("unknown_kind", "invalid", "wrong_user"):
            refused.append((batch.writes[position], answer.reason or "", ""))
    await _record_refused(user, refused, now)
    return BatchAnswer(answers=[answers[i] for i in range(len(batch.writes))], received_at=now)


async def _one_by_one(
    user: CurrentUser, batch: Batch, by_kind: dict[str, list[tuple[int, Incoming]]], answers: dict, now: datetime
) -> list[tuple[Write, str, str]]:
    """After a batch failed whole: each write alone, in its own transaction. Returns the failures to record.

    - Alone, it lands: answered as usual.
    - It fails alone while others of the batch land: the fault is the write's (its content meets a bug). It is
      answered "retry" and its failure is counted ("failed_retry"); at the FAILURES_BEFORE_REFUSAL-th it is refused
      ("server_error") and kept, so that the writes queued behind it on that phone go through, and a person sees it.
    - Every write fails alone: the database itself is down (the disk full, the server unreachable): all retry,
      nothing is counted against the writes.
    """
    failed: list[tuple[int, Incoming]] = []
    landed = 0
    for name, items in by_kind.items():
        for position, incoming in items:
            try:
                async with write_transaction():
                    stored = await REGISTRY[name].ingest(user, [incoming], now)
            except Exception:
                log.exception("sync write %s (%s) failed alone", incoming.id, name)
                failed.append((position, incoming))
                answers[position] = Answer(id=incoming.id, status="retry", reason="server_error")
            else:
                answers[position] = stored[incoming.id]
                landed += 1
    if not landed or not failed:
        return []
    earlier: dict[uuid.UUID, int] = {}
    for row in await SyncRejection.select(SyncRejection.write_id).where(
        SyncRejection.write_id.is_in([incoming.id for _, incoming in failed]) & (SyncRejection.reason == "failed_retry")
    ):
        earlier[row["write_id"]] = earlier.get(row["write_id"], 0) + 1
    counted = []
    for position, incoming in failed:
        if earlier.get(incoming.id, 0) + 1 >= FAILURES_BEFORE_REFUSAL:
            answers[position] = rejection(incoming.id, "server_error")  # kept by the caller, as every refusal
        else:
            counted.append((batch.writes[position], "failed_retry", ""))
    return counted


async def _record_refused(user: CurrentUser, refused: list[tuple[Write, str, str]], now: datetime) -> None:
    if not refused:
        return
    await SyncRejection.insert(
        *[
            SyncRejection(
                write_id=write.id,
                kind=_storable(write.kind)[:32],
                user=user.id,
                reason=reason[:32],
                detail=_storable(detail)[:2000],
                # As sent, but storable: a refused payload may be bytes that are no text, or hold a NUL.
                body=_storable(msgspec.json.encode(write).decode(errors="replace"))[:MAX_KEPT_BODY],
                device_time=min(max(write.device_time, EARLIEST), LATEST),  # the body keeps the time as sent
                received_at=now,
            )
            for write, reason, detail in refused
        ]
    )


def _storable(text: str) -> str:
    return text.replace("\x00", "\ufffd")


async def purge_refused(now: datetime) -> None:
    """Refused writes may hold what a person wrote about a neighbour's health: kept a month, then dropped."""
    await SyncRejection.delete().where(SyncRejection.received_at < now - timedelta(days=KEEP_REFUSED_DAYS))
