"""The register's pages: grid > building > floor > household, and resident search.

Each handler asks one service with the user's scope; an id outside the scope is a 404 (we do not say whether it
exists elsewhere).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Request, get
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from server.accounts.services import grid_workers
from server.audit.services import record_read
from server.places import services
from server.web.auth import client_address, current_user, requires_register, scope_of
from server.web.pages import render, settings_of, wants_fragment
from server.web.paths import FloorNumber, UnitNumber, found


class PlacesController(Controller):
    guards = [requires_register]

    @get("/grids/{grid_id:uuid}")
    async def grid_page(self, request: Request, grid_id: FromPath[uuid.UUID]) -> Template:
        scope = scope_of(request)
        buildings = found(await services.list_buildings(scope, grid_id))  # None unless the grid is in scope
        summary = await services.community_summary(scope, settings_of(request).today(), only_grid=grid_id)
        grid = summary.grids[0]
        user = current_user(request)
        workers = await grid_workers(user.community_id) if user.role == "admin" else []
        return render(request, "places/grid.html", grid=grid, buildings=buildings, workers=workers, error=None)

    @get("/buildings/{building_id:uuid}")
    async def building_page(self, request: Request, building_id: FromPath[uuid.UUID]) -> Template:
        detail = found(await services.get_building(scope_of(request), building_id))
        return render(request, "places/building.html", detail=detail)

    @get("/buildings/{building_id:uuid}/units/{unit:int}/floors/{floor:int}")
    async def floor_page(
        self,
        request: Request,
        building_id: FromPath[uuid.UUID],
        unit: UnitNumber,
        floor: FloorNumber,
    ) -> Template:
        detail = found(await services.get_floor(scope_of(request), building_id, unit, floor))
        return render(request, "places/floor.html", detail=detail)

    @get("/households/{household_id:uuid}")
    async def household_page(self, request: Request, household_id: FromPath[uuid.UUID]) -> Template:
        detail = found(await services.get_household(scope_of(request), household_id, settings_of(request).today()))
        await record_read(current_user(request), "household.view", "household", household_id, client_address(request))
        return render(request, "places/household.html", detail=detail)

    @get("/search")
    async def search_page(self, request: Request, q: Annotated[str, QueryParameter(max_length=100)] = "") -> Template:
        hits = await services.search_residents(scope_of(request), q, settings_of(request).today())
        template = "places/_search_results.html" if wants_fragment(request) else "places/search.html"
        return render(request, template, q=q, hits=hits)
