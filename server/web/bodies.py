"""How large a request may be before anything reads it (issue 15; docs/decisions/0018).

Any request that takes no file (a form, the sync endpoint's JSON) may carry at most MAX_BODY bytes: Litestar refuses
a larger one with 413 from its Content-Length, before reading it, or, sent in chunks, as soon as it passes the limit
(`request_max_body_size`, set on the app; the routes taking a list or a photo set a larger one of their own). A
form may carry at most MAX_FIELDS fields: Litestar's multipart parser stops at the first past it
(`multipart_form_part_limit`), and a URL-encoded form is counted here, before anything parses it. A 9.5 MB form of
2.4 million fields sent to /login, without logging in, was parsed in the event loop: the whole server stopped for
seconds and took 450 MB.
"""

from __future__ import annotations

from litestar.connection import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

# The largest body a phone sends is a sync batch: 100 writes (outbox.js BATCH), each at most ~6.5 KB (two texts of
# 500 characters, 3 bytes each in UTF-8, some escaped as \uXXXX in JSON, and the write's ids): ~650 KB.
MAX_BODY = 1024 * 1024
# A request without a session may go only to a public route (server.web.anonymous): the log-in form, joining a sweep,
# the language switch. Their largest honest body is ~5 KB (a 256-character password and a 512-character `next`, each
# character percent-encoded as up to 9 bytes); 16 KB leaves room and bounds what a stranger makes the server read.
MAX_ANONYMOUS_BODY = 16 * 1024
# The largest form a page sends: a sweep of a whole community's buildings and units, a few hundred checkboxes.
# Parsing 2,000 fields takes ~3 ms; 250,000 (1 MB of "a=1&") took 4 s.
MAX_FIELDS = 2_000
TOO_MANY_FIELDS = "too many form fields"  # the detail server.web.pages tells apart
_MULTIPART_LIMIT = "Request Entity Too Large"  # Litestar's detail when multipart_form_part_limit is passed


def declared_size(scope: Scope) -> int | None:
    """A request's Content-Length; None when it has none (sent in chunks, or no body) or it is not a number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def has_body(scope: Scope) -> bool:
    """The request says a body follows: a length above 0, or sent in chunks."""
    return bool(declared_size(scope)) or any(
        name == b"transfer-encoding" and b"chunked" in value.lower() for name, value in scope.get("headers", ())
    )


class TooManyFields(HTTPException):
    status_code = 413

    def __init__(self) -> None:
        super().__init__(detail=TOO_MANY_FIELDS)


def _multipart_limit(exc: HTTPException) -> str:
    """Which limit of the multipart parser a form passed ("" for none): Litestar says "Request Entity Too Large" for
    each, and keeps the parser's own exception as the context of its own."""
    if exc.status_code != 400 or exc.detail != _MULTIPART_LIMIT:
        return ""
    return str(exc.__context__ or "") or "?"


def too_many_fields(exc: HTTPException) -> bool:
    """A form past MAX_FIELDS: counted here (URL-encoded), or by Litestar's multipart parser (which says 400)."""
    limit = _multipart_limit(exc)
    return exc.detail == TOO_MANY_FIELDS or "segment count" in limit or limit == "?"


def part_header_too_long(exc: HTTPException) -> bool:
    """A part of a multipart form whose header passed the parser's ~4 KB: a file name of thousands of characters (a
    stranger's third walk of issue 15 was told the form had too many fields)."""
    return "header length" in _multipart_limit(exc)


class FormLimits(ASGIMiddleware):
    """Counts a URL-encoded form's fields before the CSRF check, a before_request hook or a handler parses it. The
    body read here (within the route's size limit) is kept by the request: nothing reads it twice."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope.get("method") not in ("GET", "HEAD", "OPTIONS"):
            request: Request = Request(scope, receive)
            if request.content_type[0] == RequestEncodingType.URL_ENCODED:
                body = await request.body()
                if body.count(b"&") >= MAX_FIELDS:
                    raise TooManyFields
        await next_app(scope, receive, send)
