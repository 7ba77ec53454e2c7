"""How many large bodies the server takes in at once (a stranger's walk of issue 15, F3; docs/decisions/0018).

Twenty 50 MB lists sent at once by one logged-in grid worker, all refused as too large, took the server from 111 MB
to 379 MB, and more on each repeat (40 from three accounts: 655 MB), kept: each request's body was taken in whole
(Litestar spools a file past 1 MB to disk, but the multipart parsing, the file's chunks and the bytes of each waiting
upload pass through the process's memory, which glibc keeps once freed from many threads) while the upload slots
(server.offload) only bounded the reading that came after. Now a body larger than any form (bodies.MAX_BODY) is let
in only if it is that person's only large body in flight, and within a budget of bytes in flight for the whole
process (`upload_bodies_mb`). Any other is answered at once, before a byte of it is read, with a 503 in the person's
words (their other file is still being sent or read; or the server is busy): nothing is saved, and a phone's outbox
sends a photo answered 503 again later. A body's size is its Content-Length or, sent in chunks without one, its
route's largest (request_max_body_size).
"""

from __future__ import annotations

from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from server import offload
from server.web.bodies import MAX_BODY, declared_size

BUSY_SERVER = "large bodies: the server's budget is taken"  # the details server.web.pages tells apart
BUSY_PERSON = "large bodies: this person's other one is in flight"


class BodiesBusy(HTTPException):
    status_code = 503

    def __init__(self, detail: str) -> None:
        super().__init__(detail=detail)


class UploadBudget(ASGIMiddleware):
    """Runs after the session middleware (it knows the person: offload.uploader) and before the CSRF check, which
    may parse a multipart form."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget = budget_bytes
        self.in_flight = 0  # bytes of the large bodies let in and not yet answered, in this process
        self.people: set[str] = set()  # whose large body is in flight

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await next_app(scope, receive, send)
            return
        size = declared_size(scope)
        if size is None:  # chunked: as large as its route allows
            route = scope.get("route_handler")
            size = (route.resolve_request_max_body_size() if route is not None else None) or MAX_BODY
        if size <= MAX_BODY:
            await next_app(scope, receive, send)
            return
        # Someone is known here: a request without a session reaches this only on a public route, whose body is at
        # most 16 KB (server.web.anonymous), so bodies of strangers never take from the budget.
        who = offload.uploader.get()
        if who is not None and who in self.people:
            raise BodiesBusy(BUSY_PERSON)
        if self.in_flight + size > self.budget and self.in_flight > 0:  # one body alone always fits
            raise BodiesBusy(BUSY_SERVER)
        self.in_flight += size
        if who is not None:
            self.people.add(who)
        try:
            await next_app(scope, receive, send)
        finally:
            self.in_flight -= size
            if who is not None:
                self.people.discard(who)
