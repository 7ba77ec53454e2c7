"""Rendering pages and answering errors, the same way for every domain."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template

from server.errors import DomainError
from server.i18n import translate
from server.settings import Settings
from server.web import anonymous
from server.web.auth import current_user
from server.web.bodies import MAX_ANONYMOUS_BODY, MAX_FIELDS, part_header_too_long, too_many_fields
from server.web.csrf import CROSS_SITE
from server.web.hosts import BAD_HOST
from server.web.slow_bodies import TOO_SLOW
from server.web.upload_budget import BUSY_PERSON, BUSY_SERVER

log = logging.getLogger("gridcare")

# Pages differ by whether htmx asked for a fragment: caches must keep both apart.
VARY = {"Vary": "HX-Request"}


def settings_of(connection: ASGIConnection) -> Settings:
    """The settings the app was made with (tests make apps with settings of their own)."""
    return connection.app.state.settings


# A page the phone may keep and open without network (frontend/sw.js): a resident's own pages, his home and his
# requests, which hold nothing about anyone else. Offline, 郝大爷 read "this page needs the network", with no number to
# call, though a phone call needs no data (a stranger's walk of issue 16); now he opens his last copy, his grid
# worker's number one tap away, at his text size. Log-out, or another person logging in, clears the copies.
KEEP_HEADER = "X-Gridcare-Keep"


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> Template:
    user = current_user(request)
    keep = user is not None and user.role == "resident" and status_code == 200
    return Template(
        template_name=template,
        context={"user": user, **context},
        status_code=status_code,
        headers={**VARY, KEEP_HEADER: "1"} if keep else VARY,
    )


def wants_fragment(request: Request) -> bool:
    """An htmx request for part of a page; a history restore gets the whole page (htmx config in base.html)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def path_of(request: Request) -> str:
    """The request's path, read from the scope: `request.url` also parses the Host header, and raised on one whose
    port is not a number (server.web.hosts)."""
    return request.scope.get("root_path", "") + request.scope["path"]


def is_api(request: Request) -> bool:
    return path_of(request).startswith("/api/")


def safe_next(target: str | None) -> str:
    """Only same-site paths: a crafted ?next= must not send someone to another site after log-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def error_answer(request: Request, status: int, message: str) -> Response:
    """An error in the person's words: JSON under /api/, else the error page."""
    if is_api(request):
        return Response({"status_code": status, "detail": message}, status_code=status, media_type=MediaType.JSON)
    return render(request, "error.html", status_code=status, status=status, message=message)


def not_authorized(request: Request, exc: NotAuthorizedException) -> Response:
    if is_api(request):
        return error_answer(request, 401, translate(request, "Please log in first."))
    target = "/login"
    if request.method == "GET":  # after log-in, the browser GETs `next`: only a page can be returned to
        query = request.scope.get("query_string", b"").decode(errors="replace")
        target += "?next=" + quote(path_of(request) + (f"?{query}" if query else ""))
    if request.headers.get("hx-request"):
        # htmx would swap a redirect's page into a fragment; ask it to load the log-in page whole.
        return Response("", status_code=200, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def forbidden(request: Request, exc: PermissionDeniedException) -> Response:
    if exc.detail == CROSS_SITE:
        message = translate(request, "This came from another website and was refused. Nothing was changed.")
    elif "CSRF" in str(exc.detail):
        message = translate(request, "This page has expired. Go back, reload the page and try again.")
    else:
        message = translate(request, "Your account cannot open this page.")
    return error_answer(request, 403, message)


def not_found(request: Request, exc: NotFoundException) -> Response:
    return error_answer(request, 404, translate(request, "Not found, or not in your grid."))


def domain_error(request: Request, exc: DomainError) -> Response:
    """A service's refusal that its route did not say in its own words: the words of its status, as Litestar's own
    404 and 403 are said (a guide or grid the user does not see is "not found, or not in your grid")."""
    if exc.status == 404:
        return not_found(request, NotFoundException())
    if exc.status == 403:
        return forbidden(request, PermissionDeniedException())
    return error_answer(request, exc.status, translate(request, "That did not work. Go back and try again."))


def invalid(request: Request, exc: ValidationException) -> Response:
    if is_api(request):
        return Response(
            {"status_code": 400, "detail": translate(request, "Invalid input."), "extra": exc.extra},
            status_code=400,
        )
    return error_answer(request, 400, translate(request, "Invalid input."))


# What Litestar says when the body stops coming because the client went away (litestar.connection.Request.stream).
_CLIENT_GONE = "client disconnected prematurely"


def http_error(request: Request, exc: HTTPException) -> Response:
    if exc.detail == _CLIENT_GONE:
        # A phone that lost signal mid-request, or gave up on a stalled one: the network's doing, not a server error.
        # Nobody reads the answer; the phone sends the writes again (0004).
        log.info("client went away during %s %s", request.method, path_of(request))
        return Response(b"", status_code=400)
    if exc.detail in (BUSY_PERSON, BUSY_SERVER):  # a large body refused before it was read (upload_budget)
        from server.web.imports import busy_text  # here: server.web.imports reaches server.imports, heavy to load

        return error_answer(request, 503, busy_text(request, own=exc.detail == BUSY_PERSON))
    if exc.detail == anonymous.BUSY:  # bodies without a session, too many at once: refused before reading
        return error_answer(
            request, 503, translate(request, "Many people are logging in right now. Try again in a moment.")
        )
    if exc.status_code >= 500:
        return server_error(request, exc)
    if exc.detail == anonymous.TOO_LARGE:
        return error_answer(
            request,
            413,
            translate(request, "This form is too large (at most %(kb)s KB).", kb=MAX_ANONYMOUS_BODY // 1024),
        )
    if exc.detail == BAD_HOST:
        return error_answer(
            request,
            400,
            translate(request, "This request names an address that is not this site's. Nothing was done."),
        )
    if part_header_too_long(exc):
        return error_answer(
            request, 400, translate(request, "The file's name is too long. Give it a shorter name and try again.")
        )
    if too_many_fields(exc):
        return error_answer(
            request,
            413,
            translate(request, "This form has too many fields (at most %(count)s).", count=f"{MAX_FIELDS:,}"),
        )
    if exc.status_code == 413:
        return too_large(request)
    if exc.detail == TOO_SLOW:
        return error_answer(
            request,
            408,
            translate(
                request,
                "The connection was too slow: what was sent did not all arrive, and nothing was saved. Try again "
                "where the signal is better.",
            ),
        )
    # Litestar's own details are English and technical; a person gets one plain sentence.
    return error_answer(request, exc.status_code, translate(request, "That did not work. Go back and try again."))


def too_large(request: Request) -> Response:
    """A body past its route's limit, said with that limit: a photo's, a list's, or any other request's."""
    opt = request.route_handler.opt
    if opt.get("photo_mb"):  # routes taking a photo say their limit
        message = translate(request, "This photo is too large (at most %(mb)s MB).", mb=opt["photo_mb"])
    elif opt.get("list_mb"):  # routes taking a list: the file's limit, which is what a person can act on
        message = translate(request, "The file is too large. Lists must be smaller than %(mb)s MB.", mb=opt["list_mb"])
    else:
        limit = request.route_handler.resolve_request_max_body_size() or 0
        megabytes = f"{limit / 2**20:.1f}".removesuffix(".0")
        message = translate(request, "This request is too large (at most %(mb)s MB).", mb=megabytes)
    return error_answer(request, 413, message)


def unreadable_text(request: Request, exc: UnicodeDecodeError) -> Response:
    """A form or body whose text is not UTF-8 (a crafted request: browsers send UTF-8). Litestar's form parser raises
    this for a multipart text field, also in the CSRF check before any handler, even on /login."""
    return error_answer(
        request, 400, translate(request, "The form sent text that could not be read. Reload the page and try again.")
    )


def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, path_of(request), exc_info=exc)
    return error_answer(request, 500, translate(request, "Something went wrong on our side. Nothing was saved."))


EXCEPTION_HANDLERS = {
    NotAuthorizedException: not_authorized,
    PermissionDeniedException: forbidden,
    NotFoundException: not_found,
    DomainError: domain_error,
    ValidationException: invalid,
    HTTPException: http_error,
    UnicodeDecodeError: unreadable_text,
    Exception: server_error,
}


# A guide link's token opens the guide: like a password, it stays out of the logs.
_GUIDE_LINK = re.compile(r"^/g/[^/]+")


class DropQueryStrings(logging.Filter):
    """Access logs keep the path, not the query: a search for a resident's name or phone must not land in a log.

    Nor a guide link's token: /g/<token> is logged as /g/<link>.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            path = _GUIDE_LINK.sub("/g/<link>", record.args[2].split("?", 1)[0])
            record.args = (*record.args[:2], path, *record.args[3:])
        return True
