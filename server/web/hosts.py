"""A request whose Host header cannot be read as an address is refused in words (a stranger's third walk of issue 15,
C): `Host: a:b`, `127.0.0.1:99999`, `127.0.0.1:-1` or `[::1]:70000` made every page a 500, in English, without the
security headers, and logged two tracebacks: a page's language form and the error handler built `request.url`, which
reads the port as a number and raised. A browser never sends such a header; a proxy passes on what it was sent
(README: `proxy_set_header Host $http_host`). Checked first, before anything builds a URL from it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

BAD_HOST = "the Host header is not an address"  # the detail server.web.pages tells apart


class BadHost(HTTPException):
    status_code = 400

    def __init__(self) -> None:
        super().__init__(detail=BAD_HOST)


def readable_host(host: str) -> bool:
    """Whether a URL can be made of this Host header: a name or address and, when given, a port of 0 to 65535."""
    try:
        parts = urlsplit(f"//{host}")
        parts.port  # noqa: B018 (reading it is the check: it raises on a port that is not one)
    except ValueError:
        return False
    return bool(parts.hostname) or not host


class CheckHost(ASGIMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        for name, value in scope.get("headers", ()):
            if name == b"host" and not readable_host(value.decode("latin-1")):
                # What is built from the request from here on (the error page's language form) must not read the
                # header again: the server's own address stands in for it in this answer.
                scope["headers"] = [(n, v) for n, v in scope["headers"] if n != b"host"]
                raise BadHost
        await next_app(scope, receive, send)
