"""The app factory: one place that wires the domains, the middleware and the settings together."""

from __future__ import annotations

import gc
import logging
from datetime import UTC, datetime

import anyio.to_thread
from litestar import Litestar, Router
from litestar.config.compression import CompressionConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router

from server import db, offload
from server.accounts.api import get_me
from server.accounts.controllers import AuthController
from server.accounts.services import demo_accounts_exist, purge_expired, user_for_token
from server.errands.actions import ACTION as ERRAND_ACTION
from server.errands.controllers import AskController, ErrandsController
from server.guides.controllers import GuidesController
from server.guides.reading import GuideReader, guide_font
from server.home.controllers import home_page, now_page
from server.places.api import PlacesApi
from server.places.controllers import PlacesController
from server.pwa import controllers as pwa
from server.reconcile.controllers import ReconcileController
from server.register.controllers import RegisterAdminController, RegisterController, round_phones
from server.register.import_controllers import RegisterImportController
from server.register.round import CHECK_IN
from server.settings import DEFAULT_SECRET, Settings, get_settings
from server.staff.controllers import PeopleController
from server.staff.handover_controllers import HandoverController
from server.sweeps.controllers import SweepsController
from server.sweeps.join_controllers import JoinController
from server.sweeps.lifecycle_controllers import LifecycleController
from server.sweeps.team_controllers import TeamController
from server.sweeps.ticks import TICK
from server.sync import services as sync
from server.sync.controllers import csrf_token, sync_writes
from server.sync.refused_controllers import RefusedController
from server.web.auth import SessionMiddleware, requires_login
from server.web.bodies import MAX_BODY, MAX_FIELDS, FormLimits
from server.web.csrf import CSRFMiddleware
from server.web.headers import add_security_headers
from server.web.input import refuse_nul
from server.web.pages import EXCEPTION_HANDLERS, DropQueryStrings
from server.web.slow_bodies import SlowBodies, close_after_408
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


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    logging.getLogger("uvicorn.access").addFilter(DropQueryStrings())

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

    sync.register(TICK)  # the kinds of offline write the sync endpoint accepts
    sync.register(CHECK_IN)
    sync.register(ERRAND_ACTION)
    api = Router(path="/api/v1", route_handlers=[get_me, PlacesApi, sync_writes, csrf_token, round_phones])
    static = create_static_files_router(
        path="/static",
        directories=[STATIC],
        file_system=ServedStaticFiles(),  # scripts and styles without their comments
        opt={"public": True},
        # URLs carry a content hash (static_url), so each one may be cached for a year.
        cache_control=CacheControlHeader(max_age=365 * 24 * 3600, public=True, immutable=True),
        include_in_schema=False,
    )
    return Litestar(
        route_handlers=[
            AuthController,
            PeopleController,
            home_page,
            now_page,
            PlacesController,
            HandoverController,
            RegisterController,
            RegisterAdminController,
            RegisterImportController,
            SweepsController,
            JoinController,
            TeamController,
            LifecycleController,
            ReconcileController,
            GuidesController,
            ErrandsController,
            AskController,
            RefusedController,
            GuideReader,
            guide_font,
            api,
            static,
            pwa.manifest,
            pwa.service_worker,
            pwa.offline_page,
            pwa.healthz,
        ],
        guards=[requires_login],
        # A body that trickles in ends with a 408 (server/web/slow_bodies.py); a form's fields counted before anything
        # parses it; CSRF after the session, which its tokens are tied to (server/web/bodies.py, server/web/csrf.py).
        middleware=[
            SlowBodies(settings.body_timeout_seconds, settings.body_min_bytes_per_second),
            FormLimits(),
            SessionMiddleware(user_for_token),
            UploadBudget(settings.upload_bodies_mb * 2**20),  # large bodies: one a person, a budget for all
            CSRFMiddleware(settings.secret_key, settings.secure_cookies),
        ],
        # Any request taking no file: at most MAX_BODY bytes, MAX_FIELDS fields (routes taking a list or a photo set
        # a larger body of their own). Refused with 413 before it is parsed (server/web/bodies.py).
        request_max_body_size=MAX_BODY,
        multipart_form_part_limit=MAX_FIELDS,
        # A phone on a weak signal downloads a third of the bytes (issue 3 budgets the first visit at 60 KB).
        # Brotli (quality 5: no more CPU than gzip 6) where the browser asks for it, as every browser does over https:
        # a first visit of the door screen 57 KB instead of 60, its page a fifth smaller (decision 0020). gzip at
        # level 6 for the others: within 0.5% of level 9 on htmx, for less CPU on every page.
        compression_config=CompressionConfig(
            backend="brotli", brotli_quality=5, brotli_gzip_fallback=True, gzip_compress_level=6, minimum_size=500
        ),
        plugins=[HTMXPlugin()],
        template_config=template_config(),
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=refuse_nul,  # text no database keeps (NUL), refused at the edge (server.web.input)
        before_send=[add_security_headers, close_after_408],  # errors included (server/web/headers.py)
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
