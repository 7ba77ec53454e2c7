"""The home page: task cards for the person's role, and at its top what needs a worker now (also its own page)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from litestar import Request, get
from litestar.response import Template

from server.access.scope import Scope
from server.errands import services as errands
from server.guides.services import guides_of_resident
from server.home.now import needs_now
from server.i18n import locale_of
from server.places import services as places
from server.places.worker import grid_worker_of, own_grid_covered
from server.sweeps import queries as sweep_queries
from server.web.auth import current_user, requires_register
from server.web.pages import render, settings_of, wants_fragment


@get("/")
async def home_page(request: Request) -> Template:
    user = current_user(request)
    scope = Scope.for_user(user)
    today = settings_of(request).today()
    summary = await places.community_summary(scope, today) if scope else None
    buildings = None
    if user.role == "grid_worker":
        buildings = []
        for grid_id in user.grid_ids:  # their own grid, and any they cover for a colleague
            buildings += await places.list_buildings(scope, grid_id) or []
    now = None
    if user.can_read_register and scope is not None:
        now = await needs_now(user, scope, today, datetime.now(UTC))
    sweeps = await sweep_queries.list_sweeps(user)
    ended = await sweep_queries.ended_sweeps(user)  # a volunteer's: their work there is over
    guides = await guides_of_resident(user, locale_of(request))
    worker = await grid_worker_of(user.resident_id) if user.role == "resident" else None
    # His own requests and what happens next, on his home too (issue 16: only /ask said it).
    requests = await _own_requests(request) if user.role == "resident" and user.resident_id else []
    # A grid worker whose own grid is handed over (ill, away) is told so and to whom, not that they have no grid.
    cover = await own_grid_covered(user)
    return render(
        request,
        "home.html",
        summary=summary,
        buildings=buildings,
        sweeps=sweeps,
        ended=ended,
        guides=guides,
        now=now,
        worker=worker,
        covered_by=cover,
        cards=requests,
        new_id=uuid.uuid4,
    )


async def _own_requests(request: Request) -> list:
    settings = settings_of(request)
    day_start = datetime.combine(settings.today(), time(0), tzinfo=ZoneInfo(settings.timezone)).astimezone(UTC)
    return (await errands.board(current_user(request), "grid", datetime.now(UTC), day_start)).cards


@get("/now", guards=[requires_register])
async def now_page(request: Request) -> Template:
    """What needs the worker now: the home page's top card, refreshed in place (htmx) so that a second missed call,
    a resident's request or a card going late shows without a reload; a page of its own without JavaScript."""
    user = current_user(request)
    now = await needs_now(user, Scope.for_user(user), settings_of(request).today(), datetime.now(UTC))
    template = "home/_now.html" if wants_fragment(request) else "home/now.html"
    return render(request, template, now=now)
