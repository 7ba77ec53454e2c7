"""One check at the edge, before any handler: text that no database column can keep is refused in words.

A NUL character (typed as %00 in a URL or a form, \\u0000 in JSON, or sent raw in a multipart field) is kept by SQLite
but refused by PostgreSQL, which answered a 500 from deep inside whichever query met it first. No person types one:
it is refused here for every path, query, form and JSON body, so that no domain has to think of it. The sync
endpoint's writes are the exception: a phone's batch must not fail whole for one write, so server.sync refuses such
a write alone (and keeps it).
"""

from __future__ import annotations

from litestar import Request, Response

from server.i18n import translate
from server.web.pages import error_answer

_SYNC = "/api/v1/sync"


async def refuse_nul(request: Request) -> Response | None:
    """Litestar's before_request hook: None lets the request through, a 400 answer stops it."""
    if "\x00" in request.scope["path"] or b"%00" in request.scope["query_string"]:
        return _refused(request)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    content_type = request.content_type[0]
    if content_type == "application/x-www-form-urlencoded":
        body = await request.body()  # kept by the request: the handler parses the same bytes
        if b"%00" in body or b"\x00" in body:
            return _refused(request)
    elif content_type == "multipart/form-data":
        form = await request.form()  # parsed once: the handler gets this same form
        if any(isinstance(value, str) and "\x00" in value for _, value in form.multi_items()):
            return _refused(request)
    elif content_type.endswith("json") and request.scope["path"] != _SYNC:
        if b"\\u0000" in await request.body():
            return _refused(request)
    return None


def _refused(request: Request) -> Response:
    return error_answer(
        request, 400, translate(request, "This holds a character that cannot be saved. Remove it and try again.")
    )
