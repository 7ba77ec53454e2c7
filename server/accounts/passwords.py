"""Password hashing with argon2id (argon2-cffi's default type)."""

from __future__ import annotations

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Verified against when the phone number is unknown, so that a wrong phone costs as much time as a wrong password
# and response times do not tell which phone numbers have accounts.
_DUMMY_HASH = _hasher.hash("gridcare-no-such-account")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        # An account with no password (a guest who joined a sweep by code) can never log in with one.
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    # argon2 takes tens of milliseconds of CPU: keep it off the event loop.
    return await anyio.to_thread.run_sync(verify_password, password_hash, password)
