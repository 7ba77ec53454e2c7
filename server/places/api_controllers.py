"""The register as JSON under /api/v1: the same services and scope as the pages."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Request, get
from litestar.params import FromPath, QueryParameter

from server.audit.services import record_read
from server.places import schemas, services
from server.web.auth import client_address, current_user, requires_register, scope_of
from server.web.pages import settings_of
from server.web.paths import FloorNumber, UnitNumber, found


class PlacesApi(Controller):
    guards = [requires_register]
    tags = ["places"]

    @get("/community")
    async def get_community(self, request: Request) -> schemas.CommunitySummary:
        return await services.community_summary(scope_of(request), settings_of(request).today())

    @get("/grids/{grid_id:uuid}/buildings")
    async def list_buildings(self, request: Request, grid_id: FromPath[uuid.UUID]) -> list[schemas.BuildingSummary]:
        return found(await services.list_buildings(scope_of(request), grid_id))

    @get("/buildings/{building_id:uuid}")
    async def get_building(self, request: Request, building_id: FromPath[uuid.UUID]) -> schemas.BuildingDetail:
        return found(await services.get_building(scope_of(request), building_id))

    @get("/buildings/{building_id:uuid}/units/{unit:int}/floors/{floor:int}")
    async def get_floor(
        self,
        request: Request,
        building_id: FromPath[uuid.UUID],
        unit: UnitNumber,
        floor: FloorNumber,
    ) -> schemas.FloorDetail:
        return found(await services.get_floor(scope_of(request), building_id, unit, floor))

    @get("/households/{household_id:uuid}")
    async def get_household(self, request: Request, household_id: FromPath[uuid.UUID]) -> schemas.HouseholdDetail:
        detail = found(await services.get_household(scope_of(request), household_id, settings_of(request).today()))
        await record_read(current_user(request), "household.view", "household", household_id, client_address(request))
        return detail

    @get("/residents")
    async def search_residents(
        self, request: Request, q: Annotated[str, QueryParameter(max_length=100)] = ""
    ) -> list[schemas.SearchHit]:
        return await services.search_residents(scope_of(request), q, settings_of(request).today())
