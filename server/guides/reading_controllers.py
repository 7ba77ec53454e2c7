"""Reading a guide by its link: anyone holding the link, no account. The pages speak the guide's own language."""

from __future__ import annotations

import re
import uuid

import msgspec
from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Response, Template

from server.accounts.services import user_for_token
from server.guides import services
from server.guides.links import link_of, qr_svg
from server.guides.schemas import GoneLink
from server.i18n import HTML_LANG, translations
from server.places.worker import grid_worker_of
from server.web.auth import PUBLIC, SESSION_COOKIE
from server.web.pages import render
from server.web.templating import THEME_COLOR, static_url


def reader_gettext(lang: str):
    """`_()` for the reading pages: they speak the guide's own language, whatever the phone's cookie says."""
    catalog = translations(lang)

    def gettext(message: str, **params) -> str:
        text = catalog.gettext(message)
        return text % params if params else text

    return gettext


_FONT_KEY = re.compile(r"[0-9a-f]{32}")  # fonts.subset_key


def _font_url(key: str) -> str | None:
    return f"/guide-fonts/{key}.woff2" if key else None


def _font_css(key: str) -> str | None:
    """The subset's @font-face as a style sheet of its own: the page's policy allows no inline style."""
    return f"/guide-fonts/{key}.css" if key else None


def _unavailable(request: Request, found: GoneLink | None) -> Template:
    """A withdrawn or mistyped link: a kind page in large type, with who to call when that is known."""
    status = 410 if found is not None else 404
    return render(request, "guides/gone.html", status_code=status, gone=found, user=None)


class GuideReader(Controller):
    path = "/g"
    opt = PUBLIC

    @get("/{token:str}", opt=PUBLIC)
    async def read(self, request: Request, token: FromPath[str], step: FromQuery[int] = 1) -> Template:
        found = await services.read_guide(token)
        if found is None or isinstance(found, GoneLink):
            return _unavailable(request, found)
        total = len(found.steps)
        current = min(max(step, 1), total + 1) if total else 1
        # The session is not read for /g/ (anyone may hold a link); it is here only when a cookie comes with it.
        cookie = request.cookies.get(SESSION_COOKIE)
        reader = await user_for_token(cookie) if cookie else None
        if reader is not None and reader.role == "resident":
            # A resident reading with their account calls their own grid worker when stuck, not whoever wrote a
            # community's guide (郝大爷's shared guides named the admin: a stranger's walk of issue 16).
            worker = await grid_worker_of(reader.resident_id)
            if worker is not None:
                found = msgspec.structs.replace(found, contact_name=worker.name, contact_phone=worker.phone)
        return render(
            request,
            "guides/read.html",
            user=None,
            guide=found,
            current=current,
            total=total,
            _=reader_gettext(found.lang),
            reader_lang=HTML_LANG[found.lang],
            font_url=_font_url(found.font_key),
            font_css=_font_css(found.font_key),
            manifest_url=f"/g/{token}/manifest.webmanifest",
        )

    @get("/{token:str}/print", opt=PUBLIC)
    async def print_page(self, request: Request, token: FromPath[str]) -> Template:
        found = await services.read_guide(token)
        if found is None or isinstance(found, GoneLink):
            return _unavailable(request, found)
        link = link_of(request, token)
        return render(
            request,
            "guides/print.html",
            user=None,
            guide=found,
            _=reader_gettext(found.lang),
            reader_lang=HTML_LANG[found.lang],
            font_url=_font_url(found.font_key),
            font_css=_font_css(found.font_key),
            link=link,
            qr=qr_svg(link),
        )

    @get("/{token:str}/manifest.webmanifest", opt=PUBLIC, include_in_schema=False)
    async def manifest(self, request: Request, token: FromPath[str]) -> Response:
        """Installing a guide puts it on the home screen by itself: it opens straight at the guide."""
        found = await services.read_guide(token)
        if found is None or isinstance(found, GoneLink):
            raise NotFoundException()
        start = f"/g/{token}"
        body = {
            "id": start,
            "name": found.title,
            "short_name": found.title[:12],
            "lang": HTML_LANG[found.lang],
            "start_url": start,
            "scope": start,
            "display": "standalone",
            "orientation": "portrait",
            "theme_color": THEME_COLOR,
            "background_color": "#fffdf6",
            "icons": [
                {"src": static_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
                {"src": static_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            ],
        }
        return Response(body, media_type="application/manifest+json", headers={"Cache-Control": "no-cache"})

    @get("/{token:str}/pictures/{step_id:uuid}", opt=PUBLIC)
    async def picture(self, token: FromPath[str], step_id: FromPath[uuid.UUID]) -> Response:
        picture = await services.step_picture(token, step_id)
        if picture is None:
            raise NotFoundException()
        # Private, and asked for again each time (a changed step keeps its URL); the service worker keeps a copy.
        return Response(picture, media_type="image/jpeg", headers={"Cache-Control": "private, no-cache"})


@get("/guide-fonts/{name:str}", opt=PUBLIC, include_in_schema=False)
async def guide_font(name: FromPath[str]) -> Response:
    """A font subset, or its @font-face (`.css`). Its name is a hash of what it holds, so each URL may be cached for
    ever."""
    immutable = {"Cache-Control": "public, max-age=31536000, immutable"}
    if name.endswith(".css") and _FONT_KEY.fullmatch(key := name.removesuffix(".css")):
        face = f'@font-face{{font-family:"Guide Hand";src:url("{_font_url(key)}") format("woff2");font-display:swap}}'
        return Response(face, media_type="text/css", headers=immutable)
    key = name.removesuffix(".woff2")
    woff2 = await services.font_subset(key) if name.endswith(".woff2") else None
    if woff2 is None:
        raise NotFoundException()
    return Response(woff2, media_type="font/woff2", headers=immutable)
