"""What a refused call was about, for the people who see refused writes (sync/refused.py, docs/decisions/0034): whom
it was to, what was said, and who answers for that person's grid now, whom to pass it on to. Knows nothing of HTTP."""

from __future__ import annotations

from typing import Any

from server.access.masks import mask_phone
from server.places.tables import Resident
from server.places.worker import grid_holders


async def describe_calls(payloads: list[Any]) -> list[dict | None]:
    """For each call's payload (register.round.CheckInPayload): the resident's name, door and masked phone, their grid
    and community (who may see it), the outcome and need as recorded, and the grid's worker now; None for a resident
    not known."""
    ids = list({payload.resident_id for payload in payloads})
    rows = {
        row["id"]: row
        for row in await Resident.select(
            Resident.id,
            Resident.name,
            Resident.phone,
            Resident.community,
            Resident.household.door.as_alias("door"),
            Resident.household.building.grid.as_alias("grid"),
        ).where(Resident.id.is_in(ids))
    }
    holders = await grid_holders(list({row["grid"] for row in rows.values()}))
    described: list[dict | None] = []
    for payload in payloads:
        row = rows.get(payload.resident_id)
        if row is None:
            described.append(None)
            continue
        holder = holders.get(row["grid"])
        described.append(
            {
                "community": row["community"],
                "grid": row["grid"],
                "resident_id": row["id"],
                "name": row["name"],
                "door": row["door"],
                # Masked: whoever holds the grid now taps to see it whole, logged as on the round (refused.html
                # shows it to no one else).
                "phone_masked": mask_phone(row["phone"]) or "",
                "outcome": payload.outcome,
                "need": payload.need,
                "holder": holder.name if holder else "",
                "holder_phone": holder.phone if holder else "",
            }
        )
    return described
