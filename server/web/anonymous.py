"""A request without a session is answered before its body is read, unless its route is public; a public route takes
a small body, and few of them at once from one address (a stranger's third walk of issue 15, A and F).

Before, the CSRF check read the whole body of every write, also a write sent without a session to a route that then
refused it ("log in first"): three anonymous uploads trickled at 1 kB/s to /reconcile/preview held the server's
budget of large bodies (server.web.upload_budget, which counts per person and so could not tell strangers apart) for
as long as they liked, and an honest grid worker's 1.7 MB list was told the server was busy; 125 anonymous 50 MB
bodies at full speed were each parsed whole (593 MB). Now, right after the session is known and before anything
reads a byte of the body (form limits, the large-body budget, CSRF):
- a route that is not public answers a request without a session as its guard would (log in first: 303 to /login,
  401 under /api/), at once;
- a public route (log-in, joining a sweep, the language switch: forms of a few hundred bytes) takes at most
  MAX_ANONYMOUS_BODY bytes without a session (413 past it, counted as it arrives when sent in chunks), and at most
  PER_ADDRESS such bodies arriving at once from one client (an IPv4 address, an IPv6 /64: server.networks),
  PER_SITE from an IPv6 /48 and IN_ALL from everyone: past them a 503 in words, before reading, unless the phone's
  cookies say it logged in or joined before (accounts.login_devices.any_known): it has a lane of its own, PER_PHONE
  at once, which strangers cannot fill, itself bounded per address and in all (KNOWN_PER_ADDRESS, KNOWN_IN_ALL):
  guests can be made with a join code. A form arrives in milliseconds, so honest phones
  behind one carrier NAT do not meet the bound; bodies trickled in to hold connections (1,100 of them held every
  connection of the worker: uvicorn's limit_concurrency) do, and once a body is whole it no longer counts.
Each such answer closes the connection (its body was left unread: server.web.slow_bodies.leave_unread), so that
what is still being sent is not read as the next request, nor keeps the connection open after its answer.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from http.cookies import CookieError, SimpleCookie

from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.networks import site, subscriber
from server.web.bodies import MAX_ANONYMOUS_BODY, declared_size
from server.web.bodies import has_body as body_follows
from server.web.slow_bodies import leave_unread

# Bodies without a session arriving at once, from one client and from everyone. A body counts from when its route is
# known until it is whole: an honest form, whole on arrival, still counts for a turn or two of the event loop, so a
# burst of log-ins behind one NAT at 8:00 (32 at once in tests/accounts) stays far below PER_ADDRESS. IN_ALL is a
# quarter of uvicorn's limit_concurrency (GRIDCARE_LIMIT_CONCURRENCY, 1,000 a worker): the rest stay for people
# signed in.
# A stranger's fourth walk: four addresses of 64 trickled log-ins each filled IN_ALL, and every log-in and join
# waited behind them, known phones included. Now one IPv6 /48 holds no more than one address could, and a phone
# that logged in (or joined as a guest) before has a lane of its own, PER_PHONE at once, apart from strangers'.
PER_ADDRESS = 16
PER_SITE = 32
IN_ALL = 250
PER_PHONE = 4
# The known phones' lane is bounded as the strangers' is, per address and in all: a stranger's fifth walk minted guest
# devices with one join code (30 an address a window) and held 96 trickled bodies an address through their lanes,
# past every bound (4 addresses x 76 of them filled a limit_concurrency of 300). With both lanes full, a form whole
# at once still goes on (FIRST_PART_SECONDS); strangers and known phones together hold at most half the limit.
KNOWN_PER_ADDRESS = 16
KNOWN_IN_ALL = 250
# Past the bounds, a body whole in its first part, arriving within this, still goes on: bursts of honest forms from one
# NAT were all counted at once while they waited for the event loop (32 log-ins at 8:00 with PER_ADDRESS 16), though
# none of them trickles. A phone on 2G sends a form's few hundred bytes within a round trip.
FIRST_PART_SECONDS = 2.0
TOO_LARGE = "a body without a session past its limit"  # the details server.web.pages tells apart
BUSY = "bodies without a session: too many arriving at once"


class AnonymousTooLarge(HTTPException):
    status_code = 413

    def __init__(self) -> None:
        super().__init__(detail=TOO_LARGE)


class AnonymousBusy(HTTPException):
    status_code = 503

    def __init__(self) -> None:
        super().__init__(detail=BUSY)


class AnonymousBodies(ASGIMiddleware):
    """Runs right after the session middleware (it needs to know whether there is a person) and before every
    middleware that reads a body."""

    def __init__(
        self,
        per_address: int = PER_ADDRESS,
        in_all: int = IN_ALL,
        known: Callable[[Mapping[str, str]], Awaitable[bool]] | None = None,
        per_site: int = PER_SITE,
    ) -> None:
        self.per_address = per_address
        self.per_site = max(per_site, per_address)
        self.in_all = in_all
        self.known = known  # whether a request's cookies name a phone known before (accounts.login_devices)
        self.arriving: Counter[str] = Counter()  # bodies without a session still arriving, per client (and site)
        self.total: Counter[str] = Counter()  # and in all, per lane: "strangers", "known"

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["type"] != "http" or scope.get("user") is not None:
            await next_app(scope, receive, send)
            return
        route = scope.get("route_handler")
        has_body = body_follows(scope)
        if route is None or not route.opt.get("public"):
            if has_body:
                leave_unread(scope)
            raise NotAuthorizedException("login required")  # what the guard (web.auth.requires_login) says
        if not has_body:
            await next_app(scope, receive, send)
            return
        size = declared_size(scope)
        if size is not None and size > MAX_ANONYMOUS_BODY:
            leave_unread(scope)
            raise AnonymousTooLarge
        address = scope["client"][0] if scope.get("client") else "unknown"
        counted = [("a:" + subscriber(address), self.per_address)]
        if network := site(address):  # an IPv6 /48 (an IPv4 address is its own site)
            counted.append(("s:" + network, self.per_site))
        lane = "strangers"
        if self.total[lane] >= self.in_all or any(self.arriving[key] >= limit for key, limit in counted):
            phone = await self._known_phone(scope)
            known = [(phone, PER_PHONE), ("k:" + subscriber(address), KNOWN_PER_ADDRESS)] if phone else []
            if known and self.total["known"] < KNOWN_IN_ALL and all(self.arriving[k] < n for k, n in known):
                counted, lane = known, "known"
            else:
                # Full: a body that is whole at once (an honest form: 32 log-ins at once behind one NAT) goes on,
                # uncounted; one that trickles, or does not come, is told to wait.
                first = await _whole_at_once(receive)
                if first is None:
                    leave_unread(scope)
                    raise AnonymousBusy
                await next_app(scope, _replayed(first, receive), send)
                return
        keys = [key for key, _ in counted]
        for key in keys:
            self.arriving[key] += 1
        self.total[lane] += 1
        arriving = True
        received = 0

        def arrived() -> None:
            nonlocal arriving
            if arriving:
                arriving = False
                self.total[lane] -= 1
                for key in keys:
                    self.arriving[key] -= 1
                    if self.arriving[key] <= 0:
                        del self.arriving[key]  # no key kept per address that came once

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_ANONYMOUS_BODY:  # sent in chunks, without a length: counted as it comes
                arrived()
                leave_unread(scope)
                raise AnonymousTooLarge
            if message["type"] != "http.request" or not message.get("more_body", False):
                arrived()  # whole (or the client left): it no longer holds anything
            return message

        try:
            await next_app(scope, counted_receive, send)
        finally:
            arrived()

    async def _known_phone(self, scope: Scope) -> str | None:
        """The lane of a phone its cookies say logged in or joined before, when the strangers' lanes are full."""
        if self.known is None:
            return None
        cookies = _cookies(scope)
        if not cookies or not await self.known(cookies):
            return None
        return "phone:" + hashlib.sha256(repr(sorted(cookies.items())).encode()).hexdigest()


async def _whole_at_once(receive: Receive) -> Message | None:
    """The whole body when it all comes within FIRST_PART_SECONDS (a form sent at once, perhaps in a few parts), as
    one message; else None: it trickles, or nothing came."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FIRST_PART_SECONDS
    parts: list[bytes] = []
    size = 0
    while True:
        try:
            message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0.001))
        except TimeoutError:
            return None
        if message["type"] != "http.request":
            return message  # the client left
        part = message.get("body", b"")
        size += len(part)
        if size > MAX_ANONYMOUS_BODY:
            return None
        parts.append(part)
        if not message.get("more_body", False):
            return {"type": "http.request", "body": b"".join(parts), "more_body": False}


def _replayed(first: Message, receive: Receive) -> Receive:
    given = False

    async def replayed() -> Message:
        nonlocal given
        if not given:
            given = True
            return first
        return await receive()

    return replayed


def _cookies(scope: Scope) -> dict[str, str]:
    jar = SimpleCookie()
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:
                return {}
    return {key: morsel.value for key, morsel in jar.items()}
