"""Photos of a card: the delivery at the door and the receipt. Checked and re-encoded before (guides' Pillow
check: no GPS metadata kept); stored in the database, so both backends need no shared disk."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

from server.access.scope import CurrentUser
from server.db import write_transaction
from server.errands.services import visible_to
from server.errands.tables import Errand, ErrandEvent, ErrandPhoto
from server.sync.services import EARLIEST, LATEST, on_server_clock


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


def taken_time(taken_at: datetime | None, sent_at: datetime | None, arrived: datetime, now: datetime) -> datetime:
    """When a photo was taken, on the server's clock. The phone says when it took it and its clock as it sent it
    (`sent_at`): the taken time is moved by how far that clock is off from the server's when the upload began to
    arrive (`arrived`: the bytes of a photo on a slow signal take minutes, which are no clock's error), as a sync
    batch's writes are (decision 0032); a phone within ON_TIME keeps its time. Without sent_at (a page cached before
    this), believed within TAKEN_WITHIN before now and CLOCK_SLACK after. A time no phone's clock shows, or none:
    the time it arrived."""
    if taken_at is None or not EARLIEST <= taken_at < LATEST:
        return now
    taken = on_server_clock(taken_at, sent_at, arrived)
    return taken if now - TAKEN_WITHIN <= taken <= now + CLOCK_SLACK else now


async def add_photo(
    user: CurrentUser,
    card_id: uuid.UUID,
    role: str,
    picture: tuple[bytes, int, int],
    now: datetime,
    photo_id: uuid.UUID | None = None,
    taken: datetime | None = None,
) -> str | None:
    """Keep a photo (already checked and re-encoded) taken at `taken` (taken_time; now if None): "accepted",
    "duplicate" (a phone's outbox sent the photo it made `photo_id` for again, after an answer lost on a weak signal;
    or the plain form sent the same picture again), or None if it is not the user's to add (or the id is another
    photo's)."""
    if not await may_add_photo(user, card_id, role):
        return None
    data, width, height = picture
    photo_id = photo_id or plain_photo_id(card_id, role, user.id, data)
    taken = taken or now
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


# Ids of photos sent by the plain form (no script): made from the picture, as the outbox makes its own (outbox.js),
# so that the same picture sent twice (a double tap, a photo picked again) is stored once.
PLAIN_PHOTOS = uuid.UUID("6a0d1c52-3f4e-4b8e-9a51-0f7e2c1d9b30")


def plain_photo_id(card_id: uuid.UUID, role: str, user_id: uuid.UUID, data: bytes) -> uuid.UUID:
    return uuid.uuid5(PLAIN_PHOTOS, f"{card_id}/{role}/{user_id}/{hashlib.sha256(data).hexdigest()}")


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
