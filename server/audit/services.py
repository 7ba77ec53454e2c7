"""The audit log: who read or exported which sensitive record."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from server.access.scope import CurrentUser
from server.audit.tables import AuditEntry


async def record_read(
    user: CurrentUser, action: str, target_type: str, target_id: uuid.UUID | str, address: str = ""
) -> None:
    await AuditEntry.insert(
        AuditEntry(
            community=user.community_id,
            user=user.id,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            address=address[:64],
            at=datetime.now(UTC),
        )
    )
