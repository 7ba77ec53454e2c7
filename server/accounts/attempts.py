"""Rate limits on log-in and on joining a sweep by code: only wrong guesses count. Knows nothing of HTTP.

Each attempt is a row. It goes ahead as `pending` only while the failures plus the attempts still pending stay under
each limit, decided and written in one locked step, so no burst can get more than the limit of checks at once: a
pending attempt may yet turn out wrong. It ends `succeeded`, `failed` (a wrong password, code or confirmation: the
only ones counted) or, refused by the limit (a 429), is written `limited`: never counted, or a burst of log-ins would
lock its own address out. An attempt that would go past the limit only because others are still being checked waits
for them instead of being refused: a community's workers behind one NAT at 8:00 all get in, one after another,
within the time argon2 takes for each (docs/decisions/0019).

Who is counted where (docs/decisions/0026): an attempt with a proof (a phone that logged in to the account before, a
guest's join cookie, a session) only against that proof's own small limit; any other against the phone number's,
the client address's, the IPv6 /48's and, for a join, everyone's together (a sweep of the million codes).
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from piccolo.engine.postgres import PostgresEngine

from server.accounts.tables import LoginAttempt
from server.db import write_transaction
from server.networks import site, subscriber
from server.piccolo_conf import DB
from server.settings import Settings

# An attempt still pending this long was cut off (its request or process died): counted as a failure. This also
# bounds how long an attempt can wait for those ahead of it.
STALE_PENDING = timedelta(minutes=1)
# Waiting attempts look again after 50 ms, then less and less often (at most once a second): a flood of them from
# one address must not turn into a flood of queries.
FIRST_WAIT_SECONDS = 0.05
LONGEST_WAIT_SECONDS = 1.0
log = logging.getLogger(__name__)
_LOCK = 0x4C4F47494E  # PostgreSQL advisory lock of the decision; SQLite's IMMEDIATE transaction is one already


class TooManyAttempts(Exception):
    def __init__(self, minutes: int, by: str = "address") -> None:
        super().__init__("too_many_attempts")
        self.minutes = minutes
        # what reached its limit: "address", "phone", "device" (a phone that logged in before), "network" (an IPv6
        # /48), "everyone" (wrong join codes of all) or (new guests) "code"
        self.by = by


@dataclass(frozen=True, slots=True)
class Attempt:
    id: uuid.UUID


def _now() -> datetime:
    return datetime.now(UTC)


async def begin(settings: Settings, kind: str, phone: str, address: str, device: str = "") -> Attempt:
    """Record an attempt (`kind`: "login" or "join") once the limits let it be checked.

    `device`: what proved this client is someone known, when something did: a phone that logged in to this account
    before (its log-in cookie, login_devices.py), a guest's join cookie for this number, a signed-in session. Such an
    attempt is held by that proof's own small limit only: neither strangers' wrong tries at the number nor a NAT's at
    the address lock its owner out, and a stolen phone still cannot guess freely (docs/decisions/0026).

    Anyone else is limited per phone number of its kind (a wrong join code does not lock someone's log-in), per
    client address (log-in and join together: one budget of guesses per address; attempts with a proof are not in
    it) and per IPv6 /48 (log-ins and joins each their own). Joins are limited also for everyone together (wrong
    codes: a code names no community until it matches). A phone that is not 11 digits has no bucket of its own: it
    cannot be an account, and is not looked up. Raises TooManyAttempts, with the attempt recorded as `limited`.
    """
    phone, network, address = phone[:20], site(address), subscriber(address)
    device = device[:64]
    buckets: list[tuple[str, object, int]] = []
    if device:
        buckets.append(("device", LoginAttempt.device == device, settings.login_max_failures_per_device))
    else:
        anonymous = LoginAttempt.device == ""
        buckets.append(
            ("address", (LoginAttempt.address == address) & anonymous, settings.login_max_failures_per_address)
        )
        if len(phone) == 11:
            buckets.append(
                (
                    "phone",
                    (LoginAttempt.kind == kind) & (LoginAttempt.phone == phone),
                    settings.login_max_failures_per_account,
                )
            )
        if network:  # an IPv6 /48: wrong passwords and wrong codes each have a limit there (one site, many /64s)
            per_site = settings.join_max_failures_per_site if kind == "join" else settings.login_max_failures_per_site
            site_bucket = (LoginAttempt.kind == kind) & anonymous & (LoginAttempt.network == network)
            buckets.append(("network", site_bucket, per_site))
        if kind == "join":
            buckets.append(("everyone", (LoginAttempt.kind == "join") & anonymous, settings.join_max_wrong_codes))
    pause = FIRST_WAIT_SECONDS
    while True:
        async with write_transaction():
            if isinstance(DB, PostgresEngine):
                await LoginAttempt.raw("SELECT pg_advisory_xact_lock({})", _LOCK)
            verdict, by, minutes = "go", "", 0
            now = _now()
            for name, bucket, limit in buckets:
                failures, pending = await _count(settings, bucket, now)
                if len(failures) >= limit:
                    verdict, by, minutes = "limited", name, _minutes_left(settings, failures, limit, now)
                    break
                if len(failures) + pending >= limit:
                    verdict = "wait"
            if verdict != "wait":
                attempt = LoginAttempt(
                    kind=kind,
                    phone=phone,
                    address=address,
                    network=network,
                    device=device,
                    at=now,
                    outcome="pending" if verdict == "go" else verdict,
                )
                await attempt.save()
        if verdict == "go":
            return Attempt(id=attempt.id)
        if verdict == "limited":
            if by == "everyone":
                _warn_sweep(settings)
            raise TooManyAttempts(minutes, by=by)
        await asyncio.sleep(pause)  # others are being checked: nothing of this one is written until its turn
        pause = min(LONGEST_WAIT_SECONDS, pause * 1.5)


def _minutes_left(settings: Settings, failures: list[datetime], limit: int, now: datetime) -> int:
    """Whole minutes until enough failures leave the window for one more try: what the person is told to wait, and
    after which they do get in (a sliding window: the full window only right after the last wrong try)."""
    oldest_to_go = sorted(failures)[len(failures) - limit]
    left = oldest_to_go + timedelta(minutes=settings.login_window_minutes) - now
    return max(1, math.ceil(left.total_seconds() / 60))


_warned_at: datetime | None = None


def _warn_sweep(settings: Settings) -> None:
    """Say in the log, at most once a minute, that joining by code is held up for new numbers: someone is walking
    the codes (or the limit is too low for this deployment)."""
    global _warned_at
    now = _now()
    if _warned_at is None or now - _warned_at >= timedelta(minutes=1):
        _warned_at = now
        log.warning(
            "join codes: %s wrong codes within %s minutes from everyone together; new numbers wait "
            "(GRIDCARE_JOIN_MAX_WRONG_CODES)",
            settings.join_max_wrong_codes,
            settings.login_window_minutes,
        )


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


async def _count(settings: Settings, bucket, now: datetime) -> tuple[list[datetime], int]:
    """When each failure in the window happened, and how many attempts are being checked now."""
    rows = await LoginAttempt.select(LoginAttempt.at, LoginAttempt.outcome).where(
        bucket
        # Strictly within: a failure exactly a window old is gone, as _minutes_left tells the person.
        & (LoginAttempt.at > now - timedelta(minutes=settings.login_window_minutes))
        & LoginAttempt.outcome.is_in(["failed", "pending"])
    )
    stale = now - STALE_PENDING
    failures = [row["at"] for row in rows if row["outcome"] == "failed" or row["at"] < stale]
    return failures, len(rows) - len(failures)


async def finish(attempt: Attempt, outcome: str) -> None:
    """`succeeded`, `failed` or `limited`."""
    await LoginAttempt.update({LoginAttempt.outcome: outcome, LoginAttempt.succeeded: outcome == "succeeded"}).where(
        LoginAttempt.id == attempt.id
    )


async def forgive_number(phone: str) -> None:
    """The wrong passwords counted at a number stop counting (after a password reset): they are kept, marked, for
    the record."""
    await LoginAttempt.update({LoginAttempt.outcome: "forgiven"}).where(
        (LoginAttempt.kind == "login") & (LoginAttempt.phone == phone) & (LoginAttempt.outcome == "failed")
    )


async def purge(older_than: datetime) -> None:
    await LoginAttempt.delete().where(LoginAttempt.at < older_than)
