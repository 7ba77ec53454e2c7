"""POST /api/v1/sync: the outbox of every phone empties here, in batches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.exceptions import ValidationException
from litestar.openapi.spec import Operation
from litestar.utils.empty import value_or_default
from litestar.utils.scope.state import ScopeState

from server.sync import services
from server.web.auth import current_user


@get("/csrf", tags=["sync"])
async def csrf_token(request: Request) -> dict[str, str]:
    """A fresh CSRF token for the outbox, whose saved one went stale (a cached page, a restarted browser)."""
    return {"token": value_or_default(ScopeState.from_scope(request.scope).csrf_token, "")}


@dataclass
class SyncOperation(Operation):
    """The OpenAPI of POST /api/v1/sync. Litestar cannot see its body (the handler reads it, see below): it is
    described here from the same Structs, each kind's payload from the kinds registered when it is asked for."""

    def to_schema(self) -> dict[str, Any]:
        schema = super().to_schema()
        schema["requestBody"] = {"required": True, "content": {"application/json": {"schema": batch_schema()}}}
        return schema


def batch_schema() -> dict[str, Any]:
    batch = _inlined(msgspec.json.schema(services.Batch))
    write = batch["properties"]["writes"]["items"]
    kinds = sorted(services.REGISTRY.values(), key=lambda kind: kind.name)
    write["properties"]["kind"]["description"] = "One of: " + ", ".join(kind.name for kind in kinds)
    write["properties"]["device_time"]["description"] = (
        f"The phone's clock, with its offset; from {services.EARLIEST:%Y} to {services.LATEST:%Y}"
    )
    write["properties"]["payload"] = {
        "description": "The payload of the write's kind: the schemas below, in the order of the kinds above",
        "anyOf": [_inlined(msgspec.json.schema(kind.payload_type)) for kind in kinds],
    }
    return batch


def _inlined(schema: Any, definitions: dict[str, Any] | None = None) -> Any:
    """msgspec's JSON Schema with every "$ref" replaced by what it names: its refs point into its own "$defs",
    which an OpenAPI document does not have."""
    if definitions is None and isinstance(schema, dict):
        definitions = schema.get("$defs", {})
    if isinstance(schema, list):
        return [_inlined(item, definitions) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return _inlined(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions)
    inlined = {key: _inlined(value, definitions) for key, value in schema.items() if key != "$defs"}
    if "discriminator" in inlined:
        inlined["discriminator"] = {"propertyName": inlined["discriminator"]["propertyName"]}  # its mapping: refs
    return inlined


@post("/sync", tags=["sync"], status_code=200, operation_class=SyncOperation)
async def sync_writes(request: Request) -> services.BatchAnswer:
    """Store a batch of offline writes ({"writes": [...]}); one answer per write, in order.

    The body is decoded here rather than by Litestar: each write's payload stays raw JSON until its kind is known,
    and a malformed batch is refused whole (400) before anything is stored.
    """
    try:
        batch, unreadable = services.decode_batch(await request.body())
    except services.BatchUnreadable as exc:
        # Also JSON nested past msgspec's depth (a crafted body; a phone's is three levels deep).
        raise ValidationException(str(exc)) from None
    return await services.ingest(current_user(request), batch, datetime.now(UTC), unreadable)
