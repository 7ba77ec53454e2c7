"""Writes made by a page's plain form take the phone outbox's way: through the sync layer, with ids the page drew.

So a form sent twice (a double tap, a resend after a lost answer) stores one write, exactly as the outbox does.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
from litestar import Request

from server.sync import services as sync
from server.web.auth import current_user


async def submit(request: Request, kind: str, writes: list[tuple[uuid.UUID, dict]]) -> sync.Answer | None:
    """Send the writes; None when all were stored (or already were), else the first refusal."""
    now = datetime.now(UTC)
    batch = sync.Batch(
        writes=[
            sync.Write(id=write_id, kind=kind, device_time=now, payload=msgspec.Raw(msgspec.json.encode(payload)))
            for write_id, payload in writes
        ]
    )
    answers = (await sync.ingest(current_user(request), batch, now)).answers
    return next((a for a in answers if a.status not in ("accepted", "duplicate")), None)
