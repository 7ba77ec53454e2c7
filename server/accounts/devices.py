"""The phones guests joined on: a long-lived random secret in each phone's join cookie, stored hashed and bound to
the guest. Knows nothing of HTTP. Why: docs/decisions/0019-guest-identity.md.

A guest has no password; their phone number is no secret (a list, a WeChat group). What proves that a guest who was
signed out is the same person coming back is the phone itself: the secret it was given when it joined. A phone shared
by volunteers keeps a few secrets, one per guest who joined on it.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime

from server.accounts.tables import GuestDevice, User

DEVICE_COOKIE = "gc_device"
DEVICE_DAYS = 365  # a volunteer comes back for the next sweep, months later
MAX_PER_PHONE = 4  # guests remembered on one phone; the oldest is forgotten first


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_of(cookie: str | None) -> list[str]:
    """The secrets in a join cookie, newest first; anything malformed is ignored."""
    if not cookie or len(cookie) > 64 * MAX_PER_PHONE:
        return []
    return [token for token in cookie.split(".") if 20 <= len(token) <= 64][:MAX_PER_PHONE]


def cookie_value(tokens: list[str], newest: str) -> str:
    """The cookie again with `newest` first (added, or moved to the front)."""
    return ".".join([newest, *(token for token in tokens if token != newest)][:MAX_PER_PHONE])


async def guests_on(tokens: list[str]) -> list[dict]:
    """The guests who joined on this phone (id, name, phone, community, token), newest first. Accounts that became
    real ones (a password, a role of their own) are no longer opened by the phone."""
    if not tokens:
        return []
    order = {_hash(token): n for n, token in enumerate(tokens)}
    by_hash = {_hash(token): token for token in tokens}
    rows = await GuestDevice.select(
        GuestDevice.token_hash,
        GuestDevice.user.id.as_alias("id"),
        GuestDevice.user.name.as_alias("name"),
        GuestDevice.user.guest_phone.as_alias("phone"),
        GuestDevice.user.community.as_alias("community"),
    ).where(
        GuestDevice.token_hash.is_in(list(order))
        & GuestDevice.user.is_guest.eq(True)
        & GuestDevice.user.is_active.eq(True)
    )
    rows.sort(key=lambda row: order[row["token_hash"]])
    return [row | {"token": by_hash[row.pop("token_hash")]} for row in rows]


def new_token() -> str:
    return secrets.token_urlsafe(32)


async def remember(user_id: uuid.UUID, tokens: list[str], now: datetime) -> str:
    """Bind a secret of this phone to the guest; the caller puts it first in the join cookie.

    The join page gives a phone its secret before anyone joins on it, so that a second tap on "join" (the first
    request still on its way) proves the same phone instead of meeting the guest the first tap just made. A secret
    bound to another guest of a shared phone stays theirs; then a new one is made."""
    bound = {
        row["token_hash"]
        for row in await GuestDevice.select(GuestDevice.token_hash).where(
            GuestDevice.token_hash.is_in([_hash(token) for token in tokens] or [""])
        )
    }
    token = next((token for token in tokens if _hash(token) not in bound), None) or new_token()
    await GuestDevice(token_hash=_hash(token), user=user_id, created_at=now, used_at=now).save()
    return token


async def used(token: str, now: datetime) -> None:
    await GuestDevice.update({GuestDevice.used_at: now}).where(GuestDevice.token_hash == _hash(token))


async def forget(user_id: uuid.UUID) -> None:
    """The guest became an account with a password: phones no longer prove anything for it."""
    await GuestDevice.delete().where(GuestDevice.user == user_id)


def stand_in(user_id: uuid.UUID) -> str:
    """What a guest holds in `account.phone` (unique, NOT NULL): never eleven digits, so never a log-in number."""
    return "g" + user_id.hex[:19]


async def guest_of_phone(community_id: uuid.UUID, phone: str) -> dict | None:
    """The community's guest of a phone number, for joining: id, name, community, is_guest, is_active. Another
    community's guest of the same number is another identity; an account's log-in number is not a guest's."""
    return (
        await User.select(User.id, User.name, User.community, User.is_guest, User.is_active)
        .where((User.community == community_id) & (User.guest_phone == phone))
        .first()
    )
