"""The installable shell: web app manifest, service worker, offline page, health check."""

from __future__ import annotations

import json
from functools import cache

from litestar import Request, Response, get
from litestar.response import Template

from server.accounts.tables import User
from server.i18n import HTML_LANG, locale_of, translate
from server.web import scripts
from server.web.auth import PUBLIC
from server.web.pages import render
from server.web.static_files import without_comments
from server.web.templating import FRONTEND, SHELL_ASSETS, THEME_COLOR, shell_version, static_url


@get("/manifest.webmanifest", opt=PUBLIC, include_in_schema=False)
async def manifest(request: Request) -> Response:
    body = {
        "id": "/",
        "name": translate(request, "Gridcare"),
        "short_name": translate(request, "Gridcare"),
        "description": translate(request, "Every household supplied and accounted for."),
        "lang": HTML_LANG[locale_of(request)],  # the language its name is written in
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOR,
        "background_color": "#ffffff",
        "icons": [
            {"src": static_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": static_url("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return Response(body, media_type="application/manifest+json", headers={"Cache-Control": "no-cache"})


@cache
def _service_worker_source() -> str:
    # Without its comments, as every script is served (half of the worker's compressed bytes); after the scripts it
    # shares with the pages (the names of caches, the outbox: server/web/scripts.py WORKER), so that it imports none.
    worker = scripts.join(scripts.WORKER) + (FRONTEND / "sw.js").read_text(encoding="utf-8")
    source = without_comments("sw.js", worker)
    shell = json.dumps([static_url(path) for path in SHELL_ASSETS])
    return source.replace("__VERSION__", shell_version()).replace("__SHELL__", shell)


@get("/sw.js", opt=PUBLIC, include_in_schema=False)
async def service_worker() -> Response:
    # Served from the root so that its scope is the whole app; no-cache so that updates are seen at once.
    return Response(
        _service_worker_source(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@get("/offline", opt=PUBLIC, include_in_schema=False)
async def offline_page(request: Request) -> Template:
    # Cached by the service worker for everyone on this phone: it must hold nothing about the user.
    return render(request, "offline.html", user=None)


@get("/healthz", opt=PUBLIC, tags=["health"])
async def healthz() -> dict[str, str]:
    await User.count()  # the database answers
    return {"status": "ok"}
