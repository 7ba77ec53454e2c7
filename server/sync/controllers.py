"""POST /api/v1/sync: the outbox of every phone empties here, in batches."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from litestar import Request, get, post
from litestar.exceptions import ValidationException
from litestar.utils.empty import value_or_default
from litestar.utils.scope.state import ScopeState

from server.sync import services
from server.web.auth import current_user


@get("/csrf", tags=["sync"])
async def csrf_token(request: Request) -> dict[str, str]:
    """A fresh CSRF token for the outbox, whose saved one went stale (a cached page, a restarted browser)."""
    return {"token": value_or_default(ScopeState.from_scope(request.scope).csrf_token, "")}


@post("/sync", tags=["sync"], status_code=200)
async def sync_writes(request: Request) -> services.BatchAnswer:
    """Store a batch of offline writes ({"writes": [...]}); one answer per write, in order.

    The body is decoded here rather than by Litestar: each write's payload stays raw JSON until its kind is known,
    and a malformed batch is refused whole (400) before anything is stored.
    """
    try:
        batch = msgspec.json.decode(await request.body(), type=services.Batch)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ValidationException(str(exc)) from exc
    return await services.ingest(current_user(request), batch, datetime.now(UTC))
