"""The home page: task cards for the person's role."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from server.accounts.services import Scope
from server.guides.services import guides_of_resident
from server.places import services as places
from server.sweeps import queries as sweep_queries
from server.web.auth import current_user
from server.web.pages import render, settings_of


@get("/")
async def home_page(request: Request) -> Template:
    user = current_user(request)
    scope = Scope.for_user(user)
    summary = await places.community_summary(scope, settings_of(request).today()) if scope else None
    buildings = None
    if user.role == "grid_worker":
        buildings = []
        for grid_id in user.grid_ids:  # their own grid, and any they cover for a colleague
            buildings += await places.list_buildings(scope, grid_id) or []
    sweeps = await sweep_queries.list_sweeps(user)
    ended = await sweep_queries.ended_sweeps(user)  # a volunteer's: their work there is over
    guides = await guides_of_resident(user)
    return render(request, "home.html", summary=summary, buildings=buildings, sweeps=sweeps, ended=ended, guides=guides)
