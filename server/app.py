"""The app factory: one place that wires the domains, the middleware and the settings together."""

from __future__ import annotations

import gc
import importlib
import logging
from datetime import UTC, datetime

import anyio.to_thread
from litestar import Litestar, Router
from litestar.datastructures import CacheControlHeader, State
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router

from server import db, offload
from server.accounts import login_devices
from server.accounts.services import demo_accounts_exist, purge_expired, user_for_token
from server.settings import DEFAULT_SECRET, Settings, get_settings
from server.sync import services as sync
from server.web.anonymous import AnonymousBodies
from server.web.auth import PUBLIC, SessionMiddleware, requires_login
from server.web.bodies import MAX_BODY, MAX_FIELDS, FormLimits
from server.web.compression import compression_config
from server.web.csrf import CSRFMiddleware
from server.web.domains import Domain
from server.web.headers import add_security_headers
from server.web.hosts import CheckHost
from server.web.input import refuse_nul
from server.web.pages import EXCEPTION_HANDLERS, DropQueryStrings
from server.web.server_busy import harden_uvicorns_bad_request, word_uvicorns_busy_answer
from server.web.slow_bodies import SlowBodies, close_unread
from server.web.static_files import ServedStaticFiles
from server.web.templating import STATIC, template_config
from server.web.upload_budget import UploadBudget

log = logging.getLogger("gridcare")


MIN_SECRET_LENGTH = 32


class UnsafeStart(RuntimeError):
    """A production start with demo data or the default secret."""


async def check_safe_to_serve(settings: Settings) -> None:
    """Outside demo mode, refuse to serve with the published demo password or the default secret."""
    if settings.demo:
        return
    if settings.secret_key == DEFAULT_SECRET or len(settings.secret_key) < MIN_SECRET_LENGTH:
        raise UnsafeStart(
            f"GRIDCARE_SECRET_KEY is the default or shorter than {MIN_SECRET_LENGTH} characters; "
            "set a long random secret (see README.md)."
        )
    if await demo_accounts_exist():
        raise UnsafeStart(
            "The database holds demo accounts with a published password; "
            "use a fresh database in production, or run with GRIDCARE_DEMO=1 for a demo."
        )


# The domains the app serves, each by its package's name: server/<name>/domain.py says its routes and offline writes.
DOMAINS = ("accounts", "staff", "home", "places", "register", "sweeps", "reconcile", "guides", "errands", "sync", "pwa")


def domain(name: str) -> Domain:
    return importlib.import_module(f"server.{name}.domain").DOMAIN


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    logging.getLogger("uvicorn.access").addFilter(DropQueryStrings())
    word_uvicorns_busy_answer()  # past GRIDCARE_LIMIT_CONCURRENCY, uvicorn's own 503 in the person's words
    harden_uvicorns_bad_request()  # uvicorn's own 400 carries every answer's headers

    async def on_startup() -> None:
        await db.open_database()
        await db.prepare_database()
        await check_safe_to_serve(settings)
        await purge_expired()
        await sync.purge_refused(datetime.now(UTC))
        await anyio.to_thread.run_sync(offload.start)  # the children that read uploads (decision 0018)
        # What exists now (modules, the app, its routes and templates: a few hundred thousand objects) lives as long
        # as the process: the garbage collector stops looking at it. Otherwise each full collection, set off by a
        # request's allocations, walked all of it, 10 to 50 ms in the middle of a request (profiled: a fifth of a
        # batch of ticks' time, and the slowest requests; decision 0007).
        gc.collect()
        gc.freeze()

    domains = [domain(name) for name in DOMAINS]
    for kind in (kind for d in domains for kind in d.writes):
        sync.register(kind)  # the kinds of offline write the sync endpoint accepts
    api = Router(path="/api/v1", route_handlers=[handler for d in domains for handler in d.api])
    static = create_static_files_router(
        path="/static",
        directories=[STATIC],
        file_system=ServedStaticFiles(),  # scripts and styles without their comments
        opt=PUBLIC,
        # URLs carry a content hash (static_url), so each one may be cached for a year.
        cache_control=CacheControlHeader(max_age=365 * 24 * 3600, public=True, immutable=True),
        include_in_schema=False,
    )
    return Litestar(
        route_handlers=[*(handler for d in domains for handler in d.pages), api, static],
        guards=[requires_login],
        # A Host header that is no address is refused first (server/web/hosts.py); a body that trickles in ends with
        # a 408 (server/web/slow_bodies.py); without a session, no body is read but a public route's small one
        # (server/web/anonymous.py); a form's fields counted before anything parses it; CSRF after the session,
        # which its tokens are tied to (server/web/bodies.py, server/web/csrf.py).
        middleware=[
            CheckHost(),
            SlowBodies(settings.body_timeout_seconds, settings.body_min_bytes_per_second),
            SessionMiddleware(user_for_token),
            AnonymousBodies(known=login_devices.any_known),
            FormLimits(),
            UploadBudget(settings.upload_bodies_mb * 2**20),  # large bodies: one a person, a budget for all
            CSRFMiddleware(settings.secret_key, settings.secure_cookies),
        ],
        # Any request taking no file: at most MAX_BODY bytes, MAX_FIELDS fields (routes taking a list or a photo set
        # a larger body of their own). Refused with 413 before it is parsed (server/web/bodies.py).
        request_max_body_size=MAX_BODY,
        multipart_form_part_limit=MAX_FIELDS,
        compression_config=compression_config(),  # brotli, or gzip; each encoder let go once its answer is out
        plugins=[HTMXPlugin()],
        template_config=template_config({name: f for d in domains for name, f in d.template_globals.items()}),
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=refuse_nul,  # text no database keeps (NUL), refused at the edge (server.web.input)
        before_send=[add_security_headers, close_unread],  # errors included (server/web/headers.py)
        openapi_config=OpenAPIConfig(
            # The schema as JSON only: a reader page (Swagger UI) would run a CDN's script on the app's origin, where
            # a signed-in person's session lives (a stranger's walk of issue 15). Developers open the JSON in a tool.
            title="Gridcare API",
            version="1",
            path="/api/v1/schema",
            render_plugins=[JsonRenderPlugin()],
        ),
        state=State({"settings": settings}),
        on_startup=[on_startup],
        on_shutdown=[db.close_database, offload.close],  # children still reading are ended
        # 4xx answers are normal traffic; unexpected errors are logged by pages.server_error.
        logging_config=LoggingConfig(log_exceptions="never", root={"level": settings.log_level.upper()}),
        debug=False,
    )
