"""Who is asking: the session cookie is looked up in the database on each request.

Litestar's server-side session middleware writes the session back on every response, a database write per page
view; sessions here change only at log-in and log-out, so this small middleware only reads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from server.access.scope import CurrentUser
from server.access.scope import Scope as DataScope
from server.offload import uploader

SESSION_COOKIE = "gc_session"
# A route anyone may open, logged in or not (requires_login and the CSRF check read it).
PUBLIC = {"public": True}


class SessionMiddleware(ASGIMiddleware):
    """Puts the user of the session cookie on the request. `lookup` (server.accounts.services.user_for_token, given
    by the app) is passed in so that web, below every domain, does not import accounts."""

    def __init__(self, lookup: Callable[[str | None], Awaitable[CurrentUser | None]]) -> None:
        self.lookup = lookup

    # Static files, the service worker and guides read by link (residents have no account) need no user: spare
    # them the query.
    @staticmethod
    def should_bypass_for_scope(scope: Scope) -> bool:
        path = scope["path"]
        return path.startswith(("/static/", "/g/", "/guide-fonts/")) or path in (
            "/sw.js",
            "/manifest.webmanifest",
            "/healthz",
        )

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        connection = ASGIConnection(scope)
        scope["user"] = user = await self.lookup(connection.cookies.get(SESSION_COOKIE))
        asking = uploader.set(str(user.id) if user else None)  # one upload read at a time a person (server.offload)
        try:
            await next_app(scope, receive, send)
        finally:
            uploader.reset(asking)


def current_user(connection: ASGIConnection) -> CurrentUser | None:
    return connection.scope.get("user")


async def requires_login(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Applied to the whole app: every route needs a logged-in user unless it is marked opt=PUBLIC."""
    if handler.opt.get("public"):
        return
    if current_user(connection) is None:
        raise NotAuthorizedException("login required")


async def requires_register(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """The register (households, residents) is for admins and grid workers only."""
    user = current_user(connection)
    if user is None:
        raise NotAuthorizedException("login required")
    if not user.can_read_register:
        raise PermissionDeniedException("register not allowed for this role")


def scope_of(connection: ASGIConnection) -> DataScope:
    """The data scope of a user already let through `requires_register`."""
    data_scope = DataScope.for_user(current_user(connection))
    assert data_scope is not None  # guaranteed by requires_register
    return data_scope


def client_address(connection: ASGIConnection) -> str:
    # Behind a proxy uvicorn puts the X-Forwarded-For address here (GRIDCARE_FORWARDED_ALLOW_IPS).
    return connection.client.host if connection.client else "unknown"


def session_cookie(token: str, hours: int, secure: bool) -> Cookie:
    """The session cookie: HTTP only (no script reads it), sent on same-site navigations, gone when it expires."""
    return Cookie(
        key=SESSION_COOKIE, value=token, httponly=True, samesite="lax", secure=secure, max_age=hours * 3600, path="/"
    )
