"""Password hashing with argon2id (argon2-cffi's default type).

Each check takes argon2's 64 MiB of memory and tens of milliseconds of CPU. Run in anyio's worker threads without a
bound of their own, up to 40 ran at once: a stranger's 80 wrong log-ins at once, from 80 addresses, took the server to
1.9 GB and /healthz to 2.4 s (issue 15). At most CHECKS run at once in a process (one a core: more would only share
the cores, each holding its 64 MiB meanwhile), so their memory is CHECKS x 64 MiB by design; the others queue, each
holding only its request, and get their turn one after another (a community's workers behind one NAT at 8:00 all get
in). A check that waits longer than WAIT_SECONDS is not made: the person is told the server is busy and to try again
in a moment (PasswordsBusy), rather than waiting without end while a flood is checked before them.
"""

from __future__ import annotations

import asyncio
import os
from collections import deque

import anyio
import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Verified against when the phone number is unknown, so that a wrong phone costs as much time as a wrong password
# and response times do not tell which phone numbers have accounts.
_DUMMY_HASH = _hasher.hash("gridcare-no-such-account")


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use (a container's share), not the machine's
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# How many checks run at once in one server process (each uvicorn worker has its own).
CHECKS = max(1, _cores())
# How long a check waits for its turn: 80 checks at once on 2 cores are all made within ~4 s; a STALE_PENDING
# attempt (server.accounts.attempts, 1 minute) must never be reached while waiting.
WAIT_SECONDS = 20.0
_limiter: Checks | None = None


class Checks:
    """At most `total` password checks at once; the others wait their turn in order of arrival, except that a log-in
    from a phone known for the account (login_devices.py) goes before every stranger's. A flood of strangers' wrong
    passwords (a stranger's third walk of issue 15: 120 /64s of one /48, or many addresses) then keeps the checks
    busy for strangers only: a grid worker on her own phone waits for the checks running now, not for the queue. A
    stranger's log-in still has its WAIT_SECONDS, and each known phone has its own small limit of wrong passwords
    (attempts.py), so known phones cannot starve the queue for long."""

    def __init__(self, total: int) -> None:
        self.free = total
        self.waiting: tuple[deque[asyncio.Future], deque[asyncio.Future]] = (deque(), deque())  # known, strangers

    async def acquire(self, known: bool = False) -> None:
        if self.free > 0 and not (self.waiting[0] or self.waiting[1]):
            self.free -= 1
            return
        turn = asyncio.get_running_loop().create_future()
        line = self.waiting[0 if known else 1]
        line.append(turn)
        try:
            await turn
        except BaseException:
            if turn.done() and not turn.cancelled():
                self.release()  # given a check at the moment it stopped waiting: the next in line has it
            elif turn in line:
                line.remove(turn)
            raise

    def release(self) -> None:
        for line in self.waiting:
            while line:
                turn = line.popleft()
                if not turn.done():  # one that stopped waiting (cancelled) is passed over
                    turn.set_result(None)
                    return
        self.free += 1


class PasswordsBusy(Exception):
    """No check came free within WAIT_SECONDS: nothing was checked; the person tries again in a moment."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        # An account with no password (a guest who joined a sweep by code) can never log in with one.
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def limiter() -> Checks:
    global _limiter
    if _limiter is None:
        _limiter = Checks(CHECKS)
    return _limiter


async def verify_password_async(password_hash: str | None, password: str, known: bool = False) -> bool:
    """`verify_password` off the event loop, at most CHECKS at once, a `known` phone's before strangers' (Checks);
    raises PasswordsBusy after WAIT_SECONDS."""
    slots = limiter()
    with anyio.move_on_after(WAIT_SECONDS) as waited:
        await slots.acquire(known)
    if waited.cancelled_caught:  # ran out of time waiting (a check given at that moment went to the next in line)
        raise PasswordsBusy
    try:
        # `verify_password` is looked up at each call: the tests count the checks running at once by wrapping it.
        return await anyio.to_thread.run_sync(verify_password, password_hash, password)
    finally:
        slots.release()


async def hash_password_async(password: str) -> str:
    """`hash_password` off the event loop, taking its turn among the checks (argon2's 64 MiB and its CPU are the
    same): an admin adding people or resetting a password held every other request for the hash (issue 15). Called
    before a write transaction opens, so that the database is not held while it waits. The admin is known: her turn
    comes before strangers' log-ins."""
    slots = limiter()
    with anyio.move_on_after(WAIT_SECONDS) as waited:
        await slots.acquire(known=True)
    if waited.cancelled_caught:
        raise PasswordsBusy
    try:
        return await anyio.to_thread.run_sync(hash_password, password)
    finally:
        slots.release()
