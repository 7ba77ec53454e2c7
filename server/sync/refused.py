"""Writes the server refused, for the people who can act on them (issue 16, a stranger's walk: a call refused after a
grid's hand-over showed on the phone as 未被接受: 1 beside ✓ 已全部发送, with no reason, and was seen by nobody: it was
only in sync_rejection). Decision 0034.

Who sees which, from the last KEEP_REFUSED_DAYS: the person who made it; the community's admin, every one of the
community; a grid worker, also those about a person of the grids they answer for now (each kind says what its writes
are about: Kind.describe). Any of them may say it is dealt with (settle): it is then no longer counted on their home
page, and stays listed, marked, until it is purged. Knows nothing of HTTP and of no domain.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec

from server.access.scope import CurrentUser, Scope
from server.db import as_datetime
from server.sync.services import KEEP_REFUSED_DAYS, REGISTRY
from server.sync.tables import SyncRejection

SHOWN = 50  # on the page, newest first
SCANNED = 500  # refused writes of a community read at most (refusals are rare: a few a day)
NOT_REFUSALS = ("failed_retry",)  # a failure counted towards refusing a write, which the phone still holds


@dataclass(frozen=True, slots=True)
class Refused:
    id: uuid.UUID
    write_id: uuid.UUID
    kind: str
    reason: str
    by: str  # who made it
    mine: bool
    made: datetime | None  # when, as the phone said
    received_at: datetime
    settled_at: datetime | None
    settled_by: str | None
    about: dict | None  # what the kind says it was about (Kind.describe), or None


class _Body(msgspec.Struct):
    payload: msgspec.Raw


async def visible_refusals(user: CurrentUser, now: datetime, limit: int = SHOWN) -> list[Refused]:
    """The refused writes this person may see, newest first."""
    return (await _visible(user, now, None))[:limit]


async def unsettled_count(user: CurrentUser, now: datetime) -> int:
    """How many of those nobody has said are dealt with: counted on the home page's "needs you now"."""
    return sum(1 for refused in await _visible(user, now, None) if refused.settled_at is None)


async def settle(user: CurrentUser, rejection_id: uuid.UUID, now: datetime) -> bool:
    """Say that a refused write is dealt with (passed on, recorded again, not needed). False: not one this person may
    see. Settled twice: the first says who."""
    if not await _visible(user, now, rejection_id):
        return False
    await SyncRejection.update({SyncRejection.settled_at: now, SyncRejection.settled_by: user.id}).where(
        (SyncRejection.id == rejection_id) & SyncRejection.settled_at.is_null()
    )
    return True


async def _visible(user: CurrentUser, now: datetime, only: uuid.UUID | None) -> list[Refused]:
    query = SyncRejection.select(
        SyncRejection.id,
        SyncRejection.write_id,
        SyncRejection.kind,
        SyncRejection.reason,
        SyncRejection.body,
        SyncRejection.device_time,
        SyncRejection.received_at,
        SyncRejection.settled_at,
        SyncRejection.user,
        SyncRejection.user.name.as_alias("by"),
        SyncRejection.settled_by.name.as_alias("settled_by_name"),
    ).where(
        (SyncRejection.user.community == user.community_id)
        & (SyncRejection.received_at >= now - timedelta(days=KEEP_REFUSED_DAYS))
        & SyncRejection.reason.not_in(list(NOT_REFUSALS))
    )
    if only is not None:
        query = query.where(SyncRejection.id == only)
    rows = await query.order_by(SyncRejection.received_at, ascending=False).limit(SCANNED)
    described = await _describe(rows)
    scope = Scope.for_user(user)
    shown = []
    for row, about in zip(rows, described, strict=True):
        if about is not None and about.get("community") != user.community_id:
            about = None  # a write naming another community's resident says nothing of them
        mine = row["user"] == user.id
        theirs = about is not None and scope is not None and scope.allows_grid(about["grid"])
        if not (mine or user.role == "admin" or theirs):
            continue
        shown.append(
            Refused(
                id=row["id"],
                write_id=row["write_id"],
                kind=row["kind"],
                reason=row["reason"],
                by=row["by"] or "",
                mine=mine,
                made=as_datetime(row["device_time"]) if row["device_time"] is not None else None,
                received_at=as_datetime(row["received_at"]),
                settled_at=as_datetime(row["settled_at"]) if row["settled_at"] is not None else None,
                settled_by=row["settled_by_name"],
                about=about,
            )
        )
    return shown


async def _describe(rows: list[dict]) -> list[dict | None]:
    """What each refused write was about, by its kind (Kind.describe): None where its body cannot be read again (cut
    at MAX_KEPT_BODY, unreadable as sent) or its kind says nothing."""
    described: list[dict | None] = [None] * len(rows)
    by_kind: dict[str, list[tuple[int, object]]] = {}
    for n, row in enumerate(rows):
        kind = REGISTRY.get(row["kind"])
        if kind is None or kind.describe is None:
            continue
        try:
            payload = msgspec.json.decode(msgspec.json.decode(row["body"], type=_Body).payload, type=kind.payload_type)
        except (msgspec.ValidationError, msgspec.DecodeError):
            continue
        by_kind.setdefault(row["kind"], []).append((n, payload))
    for name, items in by_kind.items():
        describe = REGISTRY[name].describe
        assert describe is not None
        for (n, _), about in zip(items, await describe([payload for _, payload in items]), strict=True):
            described[n] = about
    return described
