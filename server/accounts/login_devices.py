"""The phones that logged in to an account before: a long-lived random secret in each phone's log-in cookie, stored
hashed and bound to the account. Knows nothing of HTTP. Why: docs/decisions/0026.

A grid worker's phone that logged in to her account is no stranger at her number: others' wrong tries at the number
(anyone who knows it) and at the address (a community's workers share one carrier NAT) do not lock her out on it. It
has a small limit of its own, so a stolen phone still cannot guess her password. Apart from the guests' join cookie
(devices.py), which proves a guest who has no password: that one opens a guest's identity, this one opens nothing,
it only tells the limits who is typing.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import datetime

from server.accounts.devices import DEVICE_COOKIE, MAX_PER_PHONE, cookie_value, new_token, tokens_of
from server.accounts.tables import GuestDevice, LoginDevice

LOGIN_DEVICE_COOKIE = "gc_signin"
DEVICE_DAYS = 365  # a grid worker logs in again after months, in the next emergency
# A shared phone remembers up to MAX_PER_PHONE accounts, the one logged in to longest ago forgotten first (its row
# too: a row no cookie names only fills the table). An account keeps its MAX_PER_ACCOUNT newest phones: a worker has a
# phone or two, and someone logging in from fresh browsers again and again must not grow the table without end.
MAX_PER_ACCOUNT = 8
__all__ = [
    "LOGIN_DEVICE_COOKIE",
    "MAX_PER_ACCOUNT",
    "MAX_PER_PHONE",
    "any_known",
    "forget",
    "known_for",
    "purge",
    "remember",
]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def proof(device_id: uuid.UUID) -> str:
    """How attempts.py names this phone's own bucket of wrong passwords."""
    return f"login:{device_id}"


async def known_for(tokens: list[str], phone: str) -> uuid.UUID | None:
    """The id of this phone's device row for the account of `phone`, when the phone logged in to it before."""
    if not tokens or len(phone) != 11:
        return None
    row = (
        await LoginDevice.select(LoginDevice.id)
        .where(LoginDevice.token_hash.is_in([_hash(token) for token in tokens]) & (LoginDevice.user.phone == phone))
        .first()
    )
    return row["id"] if row else None


async def any_known(cookies: Mapping[str, str]) -> bool:
    """Whether a phone's cookies name a phone that logged in to an account, or joined a sweep as a guest, before: its
    bodies without a session have their own small lane (server.web.anonymous), apart from strangers'."""
    tokens, guests = tokens_of(cookies.get(LOGIN_DEVICE_COOKIE)), tokens_of(cookies.get(DEVICE_COOKIE))
    if tokens and await LoginDevice.exists().where(LoginDevice.token_hash.is_in([_hash(t) for t in tokens])):
        return True
    return bool(guests) and await GuestDevice.exists().where(GuestDevice.token_hash.is_in([_hash(t) for t in guests]))


async def remember(user_id: uuid.UUID, tokens: list[str], now: datetime) -> str:
    """After a right password: the log-in cookie's new value, with this account's secret first (the one the phone
    already holds for it, or a new one)."""
    hashes = {_hash(token): token for token in tokens}
    mine = (
        await LoginDevice.select(LoginDevice.token_hash)
        .where(LoginDevice.token_hash.is_in(list(hashes) or [""]) & (LoginDevice.user == user_id))
        .first()
    )
    if mine is not None:
        token = hashes[mine["token_hash"]]
        await LoginDevice.update({LoginDevice.used_at: now}).where(LoginDevice.token_hash == mine["token_hash"])
    else:
        token = new_token()
        await LoginDevice(token_hash=_hash(token), user=user_id, created_at=now, used_at=now).save()
        kept = (
            await LoginDevice.select(LoginDevice.id)
            .where(LoginDevice.user == user_id)
            .order_by(LoginDevice.used_at, ascending=False)
        )
        if len(kept) > MAX_PER_ACCOUNT:
            await LoginDevice.delete().where(LoginDevice.id.is_in([row["id"] for row in kept[MAX_PER_ACCOUNT:]]))
    value = cookie_value(tokens, token)
    dropped = [_hash(old) for old in tokens if old not in value.split(".")]
    if dropped:  # the shared phone's oldest account, no longer in its cookie
        await LoginDevice.delete().where(LoginDevice.token_hash.is_in(dropped))
    return value


async def forget(user_id: uuid.UUID) -> None:
    """A new password or a deactivation: the phones that logged in before are strangers again (a lost or stolen
    one among them must not keep tries of its own)."""
    await LoginDevice.delete().where(LoginDevice.user == user_id)


async def purge(unused_since: datetime) -> None:
    await LoginDevice.delete().where(LoginDevice.used_at < unused_since)
