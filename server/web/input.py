"""One check at the edge, before any handler: text that no database column can keep is refused in words.

A NUL character (typed as %00 in a URL or a form, \\u0000 in JSON, or sent raw in a multipart field) is kept by SQLite
but refused by PostgreSQL, which answered a 500 from deep inside whichever query met it first. No person types one:
it is refused here for every path, query, form and JSON body, so that no domain has to think of it. The sync
endpoint's writes are the exception: a phone's batch must not fail whole for one write, so server.sync refuses such
a write alone (and keeps it).

Then every text a form or JSON body brings is cleaned (server/text.py): of invisible format characters (bidi
controls such as U+202E reorder the page around a name), of line breaks a single-line field cannot show (U+2028 in a
name) and of other control characters; a text that draws nothing (HANGUL FILLER, spaces of any width) becomes "", so
the handler's own "required" check refuses it in place. Here for all routes, so that no form that stores a name or a
note can forget it: the handler parses the cleaned body. Nothing is refused here but NUL: a sync write whose name is
blank is refused alone by its kind, as any empty name.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import msgspec
from litestar import Request, Response
from litestar.datastructures import FormMultiDict
from litestar.utils.scope.state import ScopeState

from server.i18n import translate
from server.text import clean_field, clean_structure, needs_cleaning
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
        _clean_form(request)
        _clean_url_encoded(request, body)
    elif content_type == "multipart/form-data":
        form = await request.form()  # parsed once: the handler gets this same form
        if any(isinstance(value, str) and "\x00" in value for _, value in form.multi_items()):
            return _refused(request)
        _clean_form(request)
    elif content_type.endswith("json"):
        body = await request.body()
        if request.scope["path"] != _SYNC and b"\\u0000" in body:
            return _refused(request)
        _clean_json(request, body)
    return None


def _replace_body(request: Request, body: bytes) -> None:
    """The handler (a new Request on the same scope) reads the body kept in the scope's state."""
    state = ScopeState.from_scope(request.scope)
    state.body = body
    request._body = body


def _clean_form(request: Request) -> None:
    """A form parsed already (the CSRF check reads its token field) is cleaned where it is kept."""
    form = ScopeState.from_scope(request.scope).form
    if not isinstance(form, dict):
        return
    for key, value in form.items():
        if isinstance(value, str):
            form[key] = clean_field(key, value)
        elif isinstance(value, list):
            form[key] = [clean_field(key, item) if isinstance(item, str) else item for item in value]
    request._form = FormMultiDict.from_form_data(form)


def _clean_url_encoded(request: Request, body: bytes) -> None:
    try:
        text = body.decode("ascii")
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return  # not a form anyone's browser sends: the handler refuses it in words
    cleaned = [(clean_field("", key), clean_field(key, value)) for key, value in pairs]
    if cleaned != pairs:
        _replace_body(request, urlencode(cleaned).encode())


def _clean_json(request: Request, body: bytes) -> None:
    """Only a body holding a character to clean (as UTF-8, or escaped: \\uXXXX, \\n) is decoded and written again."""
    try:
        if not (b"\\" in body or needs_cleaning(body.decode("utf-8"))):
            return
        value = msgspec.json.decode(body)
        cleaned = clean_structure(value)
    except (UnicodeDecodeError, msgspec.DecodeError, RecursionError):
        return  # the handler answers a malformed (or absurdly deep) body in words
    if cleaned != value:
        _replace_body(request, msgspec.json.encode(cleaned))


def _refused(request: Request) -> Response:
    return error_answer(
        request, 400, translate(request, "This holds a character that cannot be saved. Remove it and try again.")
    )
