"""Photos of a card: the delivery at the door and the receipt. Checked and re-encoded before (guides' Pillow
check: no GPS metadata kept); stored in the database, so both backends need no shared disk."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from server.access.scope import CurrentUser
from server.db import write_transaction
from server.errands.services import visible_to
from server.errands.tables import Errand, ErrandEvent, ErrandPhoto


async def may_add_photo(user: CurrentUser, card_id: uuid.UUID, role: str) -> bool:
    """Workers of the card add delivery and receipt photos; the rider only one of the delivery; none on a
    cancelled card. Checked before the upload is even decoded."""
    card = await Errand.select(Errand.deliverer, Errand.state).where((Errand.id == card_id) & visible_to(user)).first()
    if card is None or card["state"] == "cancelled":
        return False
    if user.can_read_register:
        return role in ("delivery", "receipt")
    return card["deliverer"] == user.id and role == "delivery"


# A photo kept on a phone without signal is sent with the time it was taken: believed within a month before it
# arrives (a phone left off for days) and a few minutes after (a phone's clock a little ahead); else its arrival.
TAKEN_WITHIN = timedelta(days=31)
CLOCK_SLACK = timedelta(minutes=5)


async def add_photo(
    user: CurrentUser,
    card_id: uuid.UUID,
    role: str,
    picture: tuple[bytes, int, int],
    now: datetime,
    photo_id: uuid.UUID | None = None,
    taken_at: datetime | None = None,
) -> str | None:
    """Keep a photo (already checked and re-encoded): "accepted", "duplicate" (a phone's outbox sent the photo it
    made `photo_id` for again, after an answer lost on a weak signal), or None if it is not the user's to add (or
    the id is another photo's)."""
    if not await may_add_photo(user, card_id, role):
        return None
    data, width, height = picture
    photo_id = photo_id or uuid.uuid4()
    taken = taken_at if taken_at is not None and now - TAKEN_WITHIN <= taken_at <= now + CLOCK_SLACK else now
    async with write_transaction():
        stored = (
            await ErrandPhoto.insert(
                ErrandPhoto(
                    id=photo_id, errand=card_id, role=role, data=data, width=width, height=height, by=user.id, at=taken
                )
            )
            .on_conflict(target=ErrandPhoto.id, action="DO NOTHING")
            .returning(ErrandPhoto.id)
        )
        if not stored:
            same = await ErrandPhoto.exists().where(
                (ErrandPhoto.id == photo_id) & (ErrandPhoto.errand == card_id) & (ErrandPhoto.by == user.id)
            )
            return "duplicate" if same else None
        await ErrandEvent.insert(
            ErrandEvent(
                id=photo_id,
                content_hash="",
                errand=card_id,
                action="photo",
                detail=role,
                by=user.id,
                device_time=taken,  # when it was taken, also in a stairwell hours before it could be sent
                received_at=now,
            )
        )
        await Errand.update({Errand.version: Errand.version + 1, Errand.updated_at: now}).where(Errand.id == card_id)
    return "accepted"


async def photo_bytes(user: CurrentUser, photo_id: uuid.UUID) -> bytes | None:
    """A photo for those who may see its card; a rider sees only delivery photos (a receipt shows what was bought
    for whom and what it cost)."""
    row = (
        await ErrandPhoto.select(ErrandPhoto.data, ErrandPhoto.errand, ErrandPhoto.role)
        .where(ErrandPhoto.id == photo_id)
        .first()
    )
    if row is None:
        return None
    card = await Errand.select(Errand.resident).where((Errand.id == row["errand"]) & visible_to(user)).first()
    if card is None:
        return None
    if not (user.can_read_register or card["resident"] == user.resident_id or row["role"] == "delivery"):
        return None
    return bytes(row["data"])
