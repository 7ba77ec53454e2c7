"""A request whose body trickles in is ended with a 408 and its connection closed (a stranger's second review of
issue 15: 4,000 connections sending a byte a second stayed open against `python -m server serve` for as long as
they liked; docs/decisions/0022).

uvicorn has no timeout for a request still arriving: `timeout_keep_alive` counts only the idle time between
requests, and each byte received starts it again. Once the headers are in, the app reads the body through ASGI's
`receive`, and this middleware gives that reading a deadline the way Apache's mod_reqtimeout does
(`body=20,MinRate=500`): `body_timeout_seconds` from the start, and one more second for each
`body_min_bytes_per_second` bytes received. A phone on a weak signal (a few kB/s) sends a 1 MB sync batch or a
20 MB list in time; a stall longer than what it has earned, or a byte a second, ends the request with a 408 in the
person's words, nothing saved (a write lands whole or not at all; the outbox sends again). Headers that trickle in
never reach the app: against those only a reverse proxy helps (README, "Running in production").
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.web.bodies import has_body

TOO_SLOW = "the request body arrived too slowly"  # the detail server.web.pages tells apart
ARRIVED = "gridcare_arrived_at"  # the request's state: when its headers were in (arrived_at)


class BodyTooSlow(HTTPException):
    status_code = 408

    def __init__(self) -> None:
        super().__init__(detail=TOO_SLOW)


class SlowBodies(ASGIMiddleware):
    def __init__(self, timeout_seconds: float, min_bytes_per_second: int) -> None:
        self.timeout_seconds = timeout_seconds
        self.min_bytes_per_second = max(1, min_bytes_per_second)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["type"] != "http":
            await next_app(scope, receive, send)
            return
        # The first middleware runs as the headers are in: a photo's sender says its clock then (arrived_at).
        scope.setdefault("state", {})[ARRIVED] = datetime.now(UTC)  # type: ignore[typeddict-item]
        start = time.monotonic()
        received = 0
        whole = False

        async def timed_receive() -> Message:
            nonlocal received, whole
            if whole:  # the body is in: waiting for a disconnect during a long answer (a download) has no deadline
                return await receive()
            if self.timeout_seconds <= 0:
                message = await receive()
            else:
                left = start + self.timeout_seconds + received / self.min_bytes_per_second - time.monotonic()
                try:
                    message = await asyncio.wait_for(receive(), timeout=max(left, 0.001))
                except TimeoutError:
                    raise BodyTooSlow from None
            received += len(message.get("body", b""))
            whole = message["type"] != "http.request" or not message.get("more_body", False)
            if whole:
                scope[_WHOLE] = True  # type: ignore[literal-required]  # a key of our own in the request's scope
            return message

        await next_app(scope, timed_receive, send)


def arrived_at(request: Request) -> datetime:
    """When the request's headers were in and its body began to arrive (the first middleware's moment): before a
    hook or a handler has read the body, which takes minutes for a photo on a slow signal."""
    arrived = request.state.get(ARRIVED)
    return arrived if isinstance(arrived, datetime) else datetime.now(UTC)


_UNREAD = "gridcare.body_unread"  # a key of the ASGI scope: this request's body was left unread on purpose
_WHOLE = "gridcare.body_whole"  # and this one: its body arrived whole


def leave_unread(scope: Scope) -> None:
    """The answer about to be given leaves the request's body unread (server.web.anonymous): the connection ends
    with it, as after a 408."""
    scope[_UNREAD] = True  # type: ignore[literal-required]  # a key of our own in the request's scope


async def close_unread(message: Message, scope: Scope) -> None:
    """A `before_send` hook (errors included, which a middleware's own `send` would not see): a 408, or any answer
    given before the request's body arrived whole, ends the connection. The rest of the body is not waited for, and
    uvicorn (httptools) would otherwise keep the connection and read the next trickled bytes as the same body, or,
    after an early answer, read and drop them for as long as they come. That includes answers no middleware sees: a
    path or a method no route has (404, 405) is answered by the router before any, and its trickled body kept the
    connection open without end (a stranger's fourth walk of issue 15)."""
    if message["type"] != "http.response.start":
        return
    if message["status"] == 408 or scope.get(_UNREAD) or (has_body(scope) and not scope.get(_WHOLE)):
        MutableScopeHeaders.from_message(message)["connection"] = "close"
