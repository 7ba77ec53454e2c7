"""Rate limits on log-in and on joining a sweep by code: only wrong guesses count. Knows nothing of HTTP.

Each attempt is a row. It goes ahead as `pending` only while the failures plus the attempts still pending stay under
each limit, decided and written in one locked step, so no burst can get more than the limit of checks at once: a
pending attempt may yet turn out wrong. It ends `succeeded`, `failed` (a wrong password, code or confirmation: the
only ones counted) or, refused by the limit (a 429), is written `limited`: never counted, or a burst of log-ins would
lock its own address out. An attempt that would go past the limit only because others are still being checked waits
for them instead of being refused: a community's workers behind one NAT at 8:00 all get in, one after another,
within the time argon2 takes for each (docs/decisions/0019).
"""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from piccolo.engine.postgres import PostgresEngine

from server.accounts.tables import LoginAttempt
from server.db import write_transaction
from server.piccolo_conf import DB
from server.settings import Settings

# An attempt still pending this long was cut off (its request or process died): counted as a failure. This also
# bounds how long an attempt can wait for those ahead of it.
STALE_PENDING = timedelta(minutes=1)
# Waiting attempts look again after 50 ms, then less and less often (at most once a second): a flood of them from
# one address must not turn into a flood of queries.
FIRST_WAIT_SECONDS = 0.05
LONGEST_WAIT_SECONDS = 1.0
_LOCK = 0x4C4F47494E  # PostgreSQL advisory lock of the decision; SQLite's IMMEDIATE transaction is one already


class TooManyAttempts(Exception):
    def __init__(self, minutes: int, by: str = "address") -> None:
        super().__init__("too_many_attempts")
        self.minutes = minutes
        self.by = by  # what reached its limit: "address", "phone" or (new guests) "code"


def subscriber(address: str) -> str:
    """Whom the limits count as one client: an IPv4 address, or an IPv6 address's /64. One phone or one home line
    gets a whole /64 (a carrier hands each phone its own), and chooses any address in it at will: counted per
    address, a script took as many new guests as it liked from one phone (a stranger's second review of issue 15).
    An IPv4 address written as IPv6 (::ffff:192.0.2.1) is that IPv4 address. Anything else is kept as it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass(frozen=True, slots=True)
class Attempt:
    id: uuid.UUID


def _now() -> datetime:
    return datetime.now(UTC)


async def begin(settings: Settings, kind: str, phone: str, address: str, per_phone: bool = True) -> Attempt:
    """Record an attempt (`kind`: "login" or "join") once the limits let it be checked.

    Per phone number (of its kind: a wrong join code does not lock someone's log-in) and per client address (log-in
    and join together: one budget of guesses per address). A phone that is not 11 digits has no bucket of its own:
    it cannot be an account, and is not looked up. Raises TooManyAttempts, with the attempt recorded as `limited`.
    per_phone=False: the phone's own join cookie proved the number is theirs, so others' wrong guesses at it do not
    lock its owner out (the address's limit still holds).
    """
    phone, address = phone[:20], subscriber(address)
    buckets = [(LoginAttempt.address == address, settings.login_max_failures_per_address)]
    if len(phone) == 11 and per_phone:
        buckets.append(
            ((LoginAttempt.kind == kind) & (LoginAttempt.phone == phone), settings.login_max_failures_per_account)
        )
    pause = FIRST_WAIT_SECONDS
    while True:
        async with write_transaction():
            if isinstance(DB, PostgresEngine):
                await LoginAttempt.raw("SELECT pg_advisory_xact_lock({})", _LOCK)
            verdict = "go"
            for bucket, limit in buckets:
                failed, pending = await _count(settings, bucket)
                if failed >= limit:
                    verdict = "limited"
                    break
                if failed + pending >= limit:
                    verdict = "wait"
            if verdict != "wait":
                attempt = LoginAttempt(
                    kind=kind,
                    phone=phone,
                    address=address,
                    at=_now(),
                    outcome="pending" if verdict == "go" else verdict,
                )
                await attempt.save()
        if verdict == "go":
            return Attempt(id=attempt.id)
        if verdict == "limited":
            raise TooManyAttempts(settings.login_window_minutes)
        await asyncio.sleep(pause)  # others are being checked: nothing of this one is written until its turn
        pause = min(LONGEST_WAIT_SECONDS, pause * 1.5)


async def new_guest(settings: Settings, code: str, address: str) -> None:
    """Count a new guest made with this code from this address, or raise TooManyAttempts when either has made its
    limit of them within the window. Called inside the write transaction that makes the guest, so that a burst
    cannot pass the limit (the same lock as begin's). Rows of kind "guest" keep the code where others keep a phone;
    they are never failures, and log-in's limits do not count them."""
    if isinstance(DB, PostgresEngine):
        await LoginAttempt.raw("SELECT pg_advisory_xact_lock({})", _LOCK)
    address = subscriber(address)
    since = _now() - timedelta(minutes=settings.login_window_minutes)
    made = (LoginAttempt.kind == "guest") & (LoginAttempt.at >= since)
    for by, bucket, limit in (
        ("address", LoginAttempt.address == address, settings.join_max_new_guests_per_address),
        ("code", LoginAttempt.phone == code[:20], settings.join_max_new_guests_per_code),
    ):
        if await LoginAttempt.count().where(made & bucket) >= limit:
            raise TooManyAttempts(settings.login_window_minutes, by=by)
    await LoginAttempt(
        kind="guest", phone=code[:20], address=address, at=_now(), outcome="succeeded", succeeded=True
    ).save()


async def new_guests_by_code(settings: Settings, codes: list[str]) -> dict[str, int]:
    """New guests each code made within the window: its coordinator sees a code being used up (by a crowd, or by a
    script), before its limit turns new numbers away."""
    if not codes:
        return {}
    since = _now() - timedelta(minutes=settings.login_window_minutes)
    rows = await LoginAttempt.select(LoginAttempt.phone).where(
        (LoginAttempt.kind == "guest") & (LoginAttempt.at >= since) & LoginAttempt.phone.is_in(codes)
    )
    counts = dict.fromkeys(codes, 0)
    for row in rows:
        counts[row["phone"]] += 1
    return counts


async def _count(settings: Settings, bucket) -> tuple[int, int]:
    """Failures in the window, and attempts being checked now."""
    now = _now()
    rows = await LoginAttempt.select(LoginAttempt.at, LoginAttempt.outcome).where(
        bucket
        & (LoginAttempt.at >= now - timedelta(minutes=settings.login_window_minutes))
        & LoginAttempt.outcome.is_in(["failed", "pending"])
    )
    stale = now - STALE_PENDING
    failed = sum(1 for row in rows if row["outcome"] == "failed" or row["at"] < stale)
    return failed, len(rows) - failed


async def finish(attempt: Attempt, outcome: str) -> None:
    """`succeeded`, `failed` or `limited`."""
    await LoginAttempt.update({LoginAttempt.outcome: outcome, LoginAttempt.succeeded: outcome == "succeeded"}).where(
        LoginAttempt.id == attempt.id
    )


async def purge(older_than: datetime) -> None:
    await LoginAttempt.delete().where(LoginAttempt.at < older_than)
