"""Cross-site request forgery: every write carries a token of the person's own session, from this site.

Two checks on every POST, PUT, PATCH and DELETE (docs/decisions/0015-csrf-tied-to-the-session.md):

1. Where it comes from. A browser names the page that sends a write (`Origin`, or `Referer` when it leaves Origin
   out): a write from a page of another site is refused at once, whatever it carries. A request naming neither
   is not a browser's (curl, a script); it still needs the token, which only this site's pages hold.
2. The token. Logged in, it is an HMAC of the session, made with the secret key: a token read from one session
   (say, a guest's phone) is worth nothing in another, and it ends with its session. Before log-in (the log-in
   and join forms, the language switch) there is no session: the token is then tied to a random cookie of this
   browser, signed (a double-submit cookie).

The `gc_csrf` cookie carries the token of the current session, readable by the page's script and by tests, as
Django's does; it is never what a logged-in write is checked against, only where a page may find its token.
Templates read the token with `csrf_token()`, the outbox from `GET /api/v1/csrf`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection, Request
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from server.web.auth import SESSION_COOKIE, SessionMiddleware, current_user

log = logging.getLogger("gridcare")

CSRF_COOKIE = "gc_csrf"
CSRF_HEADER = "x-csrftoken"
CSRF_FIELD = "_csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
DEFAULT_PORTS = {"http": 80, "https": 443}
CROSS_SITE = "cross-site write refused"  # the detail pages.forbidden tells apart
BAD_TOKEN = "CSRF token verification failed"  # noqa: S105 (a message, not a secret)


def _mac(secret: str, purpose: str, value: str) -> str:
    return hmac.new(secret.encode(), f"gridcare-csrf/{purpose}/{value}".encode(), hashlib.sha256).hexdigest()


def session_token(secret: str, session: str) -> str:
    """The token of a logged-in session (its cookie's value): the same for the session's life, useless elsewhere."""
    return "s." + _mac(secret, "session", session)


def browser_token(secret: str) -> str:
    """A new token for a browser with no session yet: random, signed so that only this server makes them."""
    nonce = secrets.token_hex(16)
    return f"b.{nonce}.{_mac(secret, 'browser', nonce)[:32]}"


def _is_browser_token(secret: str, token: str) -> bool:
    kind, _, rest = token.partition(".")
    nonce, _, mac = rest.partition(".")
    return kind == "b" and len(nonce) == 32 and hmac.compare_digest(mac, _mac(secret, "browser", nonce)[:32])


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL or an Origin header; None for "null" and what cannot be read."""
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname or port is None:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port


def expected_origin(scope: Scope) -> tuple[str, str, int] | None:
    """This site as the browser sees it: the scheme uvicorn took from a trusted proxy's X-Forwarded-Proto
    (GRIDCARE_FORWARDED_ALLOW_IPS; anyone else's is ignored) and the Host header the proxy passed on."""
    host = ASGIConnection(scope).headers.get("host")
    return _origin(f"{scope.get('scheme', 'http')}://{host}") if host else None


def _sent_from(connection: ASGIConnection) -> str | None:
    return connection.headers.get("origin") or connection.headers.get("referer") or None


class CSRFMiddleware(ASGIMiddleware):
    """Runs after SessionMiddleware (it needs the session), after web.anonymous (no body is read here that a request
    without a session may not send) and before the route's guards and handler."""

    # What SessionMiddleware skips (static files, guides read by link, the service worker) takes no writes and
    # shows no form; without a session there, a token would be made and a cookie set for nothing.
    @staticmethod
    def should_bypass_for_scope(scope: Scope) -> bool:
        return SessionMiddleware.should_bypass_for_scope(scope)

    def __init__(self, secret: str, secure_cookie: bool) -> None:
        self.secret = secret
        self.secure_cookie = secure_cookie

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request: Request = Request(scope, receive)
        user = current_user(request)
        cookie = request.cookies.get(CSRF_COOKIE) or ""
        if user is not None:
            token = session_token(self.secret, request.cookies.get(SESSION_COOKIE, ""))
        else:
            token = cookie if _is_browser_token(self.secret, cookie) else browser_token(self.secret)
        ScopeState.from_scope(scope).csrf_token = token  # csrf_token() in templates, /api/v1/csrf
        if request.method not in SAFE_METHODS:
            self._check_origin(scope, request)
            sent = request.headers.get(CSRF_HEADER)
            if not sent and request.content_type[0] in (
                RequestEncodingType.URL_ENCODED,
                RequestEncodingType.MULTI_PART,
            ):
                sent = (await request.form()).get(CSRF_FIELD)
            matches = isinstance(sent, str) and hmac.compare_digest(sent.encode(), token.encode())
            # Before log-in the token must also be the one this browser's cookie holds (double submit).
            # A write without a session reaches here only on a public route: elsewhere (a session that ended, a
            # page left open overnight) it was answered "log in first" before its body was read (web.anonymous).
            if not matches or (user is None and not hmac.compare_digest(cookie.encode(), token.encode())):
                raise PermissionDeniedException(BAD_TOKEN)
        await next_app(scope, receive, self._sending(send, cookie, token))

    def _check_origin(self, scope: Scope, request: Request) -> None:
        sent_from = _sent_from(request)
        if sent_from is None:
            return  # not a browser's request: the token alone decides
        here, there = expected_origin(scope), _origin(sent_from)
        if here is not None and there == here:
            return
        if there is not None and here is not None and there[1:] == here[1:]:
            # Same host, other scheme: most likely https at a proxy whose X-Forwarded-Proto is not trusted.
            log.warning(
                "refused a write from %s://%s to %s://%s: if the site is served over https through a reverse proxy, "
                "set GRIDCARE_FORWARDED_ALLOW_IPS to the proxy's address (README: Running in production)",
                there[0],
                there[1],
                here[0],
                here[1],
            )
        raise PermissionDeniedException(CROSS_SITE)

    def _sending(self, send: Send, cookie: str, token: str) -> Send:
        """Keep the `gc_csrf` cookie at the token of the session the browser holds once this answer arrives: the
        one it came with, one begun here (log-in, join) or none (log-out)."""

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                current = token
                for value in headers.getall("set-cookie", []):
                    if value.startswith(SESSION_COOKIE + "="):
                        morsel = SimpleCookie(value)[SESSION_COOKIE]
                        begun = morsel.value.strip('"') and morsel["max-age"] not in ("0", 0)
                        current = (
                            session_token(self.secret, morsel.value)
                            if begun
                            else (cookie if _is_browser_token(self.secret, cookie) else browser_token(self.secret))
                        )
                if current != cookie:
                    jar = Cookie(key=CSRF_COOKIE, value=current, path="/", samesite="lax", secure=self.secure_cookie)
                    headers.add("set-cookie", jar.to_header(header=""))
            await send(message)

        return wrapped
