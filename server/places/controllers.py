"""The register's pages: grid > building > floor > household, and resident search.

Each handler asks one service with the user's scope; an id outside the scope is a 404 (we do not say whether it
exists elsewhere).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, Response, Template

from server.accounts.services import HandoverError, grid_workers, hand_over_grid
from server.audit.services import record_read
from server.places import services
from server.staff.handover import handover_load
from server.web.auth import client_address, current_user, requires_register, scope_of
from server.web.pages import render, settings_of, wants_fragment
from server.web.paths import FloorNumber, UnitNumber, found


class HandoverForm(msgspec.Struct, kw_only=True):
    to_user: uuid.UUID
    confirm: str = ""  # "yes" from the confirm step; without it the step is shown and nothing moves


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

    @post("/grids/{grid_id:uuid}/handover")
    async def hand_over(
        self,
        request: Request,
        grid_id: FromPath[uuid.UUID],
        data: Annotated[HandoverForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response:
        """One action: the grid, with its residents, today's round and open task cards, to another grid worker."""
        user = current_user(request)
        if user.role != "admin":
            raise PermissionDeniedException("admins hand grids over")
        if data.confirm != "yes":
            return await self._confirm_handover(request, grid_id, data.to_user)
        try:
            await hand_over_grid(user, grid_id, data.to_user, datetime.now(UTC))
        except HandoverError as exc:
            if str(exc) == "not_found":
                raise NotFoundException() from exc
            raise PermissionDeniedException(str(exc)) from exc
        return Redirect(f"/grids/{grid_id}", status_code=303)

    async def _confirm_handover(self, request: Request, grid_id: uuid.UUID, to_user: uuid.UUID) -> Template:
        """The step before a handover: who takes the grid, what goes with it, and that it is until handed back."""
        user = current_user(request)
        scope = scope_of(request)
        found(await services.list_buildings(scope, grid_id))
        grid = (await services.community_summary(scope, settings_of(request).today(), only_grid=grid_id)).grids[0]
        to = next((w for w in await grid_workers(user.community_id) if w["id"] == to_user), None)
        if to is None:
            raise PermissionDeniedException("not_a_worker")  # as the handover itself says it
        load = await handover_load(grid_id)
        back = to["grid"] == grid_id  # to its own grid worker: the cover ends
        return render(request, "staff/handover_confirm.html", grid=grid, to=to, load=load, back=back)

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
