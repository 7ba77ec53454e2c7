"""Log-in and sessions; the user and scope they make live in server/access. Knows nothing of HTTP."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta

from server.access.scope import CurrentUser
from server.accounts import attempts, login_devices
from server.accounts.passwords import PasswordsBusy, verify_password_async
from server.accounts.tables import GridCover, SessionGeneration, User, UserSession
from server.db import read_value
from server.errors import DomainError
from server.settings import Settings


class LoginError(DomainError):
    """A log-in refused; `code` picks the message shown to the person."""

    def __init__(self, code: str, minutes: int = 0, by: str = "") -> None:
        super().__init__(code)  # "bad_credentials" | "too_many_attempts" | "inactive" | "busy"
        self.minutes = minutes
        self.by = by  # which limit: "address", "phone" or "device" (attempts.TooManyAttempts)


def normalize_phone(phone: str) -> str:
    """Phones are typed with spaces, dashes, full-width digits or +86; accounts store 11 plain digits."""
    import unicodedata

    # ASCII digits only: NFKC makes full-width ones ASCII; other scripts' digits (١٣, १३) are not a phone's.
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", phone) if "0" <= ch <= "9")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


async def log_in(
    settings: Settings,
    phone: str,
    password: str,
    address: str,
    user_agent: str = "",
    previous_token: str | None = None,
    device_tokens: list[str] | None = None,
) -> tuple[str, CurrentUser]:
    """Check a phone and password; on success make a session and return its cookie token. The session this phone
    had before (`previous_token`, from its cookie) ends: whoever used the phone before is logged out of it, also in
    the database, not only by a new cookie.

    Wrong passwords are counted per phone number and per client address within a sliding window; past the limit even
    a right password is refused, so guessing gains nothing. Only wrong passwords count: right ones at the same
    moment wait their turn instead (attempts.py). A phone that logged in to this account before (`device_tokens`,
    its log-in cookie: login_devices.py) is held by its own limit only (docs/decisions/0026); the caller remembers
    the phone after a success.
    """
    phone = normalize_phone(phone)
    device = await login_devices.known_for(device_tokens or [], phone)
    try:
        attempt = await attempts.begin(
            settings, "login", phone, address, device=login_devices.proof(device) if device else ""
        )
    except attempts.TooManyAttempts as limited:
        raise LoginError("too_many_attempts", minutes=limited.minutes, by=limited.by) from None
    try:
        # Only an 11-digit mobile number can be an account; anything else is not looked up at all.
        row = await User.objects().where(User.phone == phone).first() if len(phone) == 11 else None
        # A phone that logged in to this account before is checked before strangers (passwords.Checks).
        ok = await verify_password_async(row.password_hash if row else None, password, known=device is not None)
    except PasswordsBusy:
        # Nothing was checked: not a guess, never counted (as a refusal by the limit is not).
        await attempts.finish(attempt, "limited")
        raise LoginError("busy") from None
    except BaseException:
        await attempts.finish(attempt, "failed")  # cut off while checking: counted, as a guess may have been
        raise
    if not ok or row is None:
        await attempts.finish(attempt, "failed")
        raise LoginError("bad_credentials")
    await attempts.finish(attempt, "succeeded")
    if not row.is_active:
        raise LoginError("inactive")

    token, session_id = await start_session(row.id, timedelta(hours=settings.session_hours), user_agent)
    await log_out(previous_token)
    return token, await _with_grids(_to_current(row.to_dict(), session_id))


async def start_session(user_id: uuid.UUID, lifetime: timedelta, user_agent: str = "") -> tuple[str, uuid.UUID]:
    """A new session for the user: the cookie token (only its hash is stored) and the session's id."""
    token = secrets.token_urlsafe(32)
    session = UserSession(
        token_hash=_hash_token(token),
        user=user_id,
        created_at=_now(),
        expires_at=_now() + lifetime,
        user_agent=user_agent[:256],
    )
    await session.save()
    return token, session.id


def _to_current(row: dict, session_id: uuid.UUID | None = None) -> CurrentUser:
    return CurrentUser(
        id=row["id"],
        community_id=row["community"],
        name=row["name"],
        phone=(row.get("guest_phone") or "") if row.get("is_guest") else row["phone"],  # a guest's: not a log-in
        role=row["role"],
        grid_id=row["grid"],
        resident_id=row["resident"],
        session_id=session_id,
        is_guest=bool(row.get("is_guest")),
    )


_USER_COLUMNS = (
    UserSession.id.as_alias("session_id"),
    UserSession.user.id.as_alias("id"),
    UserSession.user.community.as_alias("community"),
    UserSession.user.name.as_alias("name"),
    UserSession.user.phone.as_alias("phone"),
    UserSession.user.role.as_alias("role"),
    UserSession.user.grid.as_alias("grid"),
    UserSession.user.resident.as_alias("resident"),
    UserSession.user.is_guest.as_alias("is_guest"),
    UserSession.user.guest_phone.as_alias("guest_phone"),
)


# Sessions read in the last few seconds, by token hash, in this process: a sync round's batches and a volunteer's
# taps come seconds apart, and each lookup is a joined query (and a second one for a grid worker's grids). Each
# entry is kept with the sessions' generation read before it was looked up (SessionGeneration: one number, raised
# after every change that ends a session or changes what it carries, by any process or the command line). Every
# request reads that number (microseconds on SQLite, one round trip on PostgreSQL: `make bench`, sessions) and uses
# an entry only of the generation it reads now: a deactivated account's session is refused on the next request in
# every worker process (a stranger's second review found it served for seconds after `deactivate-user`). The few
# seconds bound only what changes without raising the number (an edit made by hand in the database).
SESSION_CACHE_SECONDS = 5.0
SESSION_CACHE_SIZE = 10_000
_clock = time.monotonic
# hash: (good until, session expiry, user, generation)
_recent_sessions: dict[str, tuple[float, datetime, CurrentUser, int]] = {}
_GENERATION = "SELECT value FROM session_generation WHERE id = 1"
_NEXT_GENERATION = (
    "INSERT INTO session_generation (id, value) VALUES (1, 1)"
    " ON CONFLICT (id) DO UPDATE SET value = session_generation.value + 1"
)


async def _generation() -> int | None:
    """The sessions' generation now; None when it cannot be read at once (then nothing kept is used)."""
    return await read_value(_GENERATION, default=0)


async def sessions_changed() -> None:
    """Every process reads every session again from the database on its next request: sessions ended, or what they
    carry changed (the grids a grid worker answers for, an account deactivated). Called after the change is
    written, or inside its transaction: never before, or a process could keep what it read in between as new."""
    _recent_sessions.clear()
    await SessionGeneration.raw(_NEXT_GENERATION)


async def user_for_token(token: str | None) -> CurrentUser | None:
    """The user of a live session, in one query; None for a missing, unknown, expired or tampered token."""
    if not token or len(token) > 128:
        return None
    token_hash = _hash_token(token)
    generation = await _generation()
    recent = _recent_sessions.get(token_hash)
    if (
        recent is not None
        and generation is not None
        and recent[3] == generation
        and recent[0] > _clock()
        and recent[1] > _now()
    ):
        return recent[2]
    row = (
        await UserSession.select(*_USER_COLUMNS, UserSession.expires_at)
        .where(
            (UserSession.token_hash == token_hash)
            & (UserSession.expires_at > _now())
            & UserSession.user.is_active.eq(True)
        )
        .first()
    )
    if row is None:
        _recent_sessions.pop(token_hash, None)  # unknown tokens are not kept: guessing must not fill memory
        return None
    user = await _with_grids(_to_current(row, row["session_id"]))
    if generation is not None:
        if len(_recent_sessions) >= SESSION_CACHE_SIZE:
            _recent_sessions.clear()
        _recent_sessions[token_hash] = (_clock() + SESSION_CACHE_SECONDS, row["expires_at"], user, generation)
    return user


async def _with_grids(user: CurrentUser) -> CurrentUser:
    """Add the grids a grid worker answers for: one small query, for grid workers only."""
    if user.role != "grid_worker":
        return user
    return dataclasses.replace(user, grid_ids=await answered_for(user.id, user.grid_id))


async def answered_for(user_id: uuid.UUID, grid_id: uuid.UUID | None) -> tuple[uuid.UUID, ...]:
    """The grids a grid worker answers for now: their own (unless handed to a colleague) and any they cover. Also
    what a join code they made still opens (sweeps/team.code_opens): a code opens its maker's scope of today."""
    covers = await GridCover.select(GridCover.grid, GridCover.user).where(
        (GridCover.user == user_id) | (GridCover.grid == grid_id) if grid_id else GridCover.user == user_id
    )
    own = () if not grid_id or any(c["grid"] == grid_id and c["user"] != user_id for c in covers) else (grid_id,)
    covered = tuple(c["grid"] for c in covers if c["user"] == user_id and c["grid"] != grid_id)
    return own + covered


async def log_out(token: str | None) -> None:
    """The session of this token ends, in every process."""
    if token:
        token_hash = _hash_token(token)
        _recent_sessions.pop(token_hash, None)
        await UserSession.delete().where(UserSession.token_hash == token_hash)
        await sessions_changed()


async def end_sessions(user_ids: list[uuid.UUID]) -> None:
    """Sign these accounts out on every phone, in every process from the next request on (deactivated, a new
    password, a coordinator ended what a sweep's join code gave its guests)."""
    if not user_ids:
        return
    await UserSession.delete().where(UserSession.user.is_in(user_ids))
    await sessions_changed()


async def purge_expired(older_than_days: int = 30) -> None:
    """Housekeeping: drop dead sessions, old log-in attempts, and phones not logged in on for as long as their
    cookie lasts (the cookie is gone from the phone too)."""
    await UserSession.delete().where(UserSession.expires_at < _now())
    await attempts.purge(_now() - timedelta(days=older_than_days))
    await login_devices.purge(_now() - timedelta(days=login_devices.DEVICE_DAYS))


async def demo_accounts_exist() -> bool:
    return await User.exists().where(User.is_demo.eq(True))


async def grid_workers(community_id: uuid.UUID) -> list[dict]:
    """The community's grid workers an admin can hand a grid to, with their own grid."""
    return await (
        User.select(User.id, User.name, User.grid)
        .where((User.community == community_id) & (User.role == "grid_worker") & User.is_active.eq(True))
        .order_by(User.name)
    )
