"""The admin hands a grid to another grid worker from the grid's page: a confirm step saying what goes with it, then
the handover (staff/handover.py). The URL is the grid's (/grids/{id}/handover); the route lives here, above the
domains whose rows the confirm step counts (docs/decisions/0030)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Controller, Request, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Response, Template

from server.accounts.services import grid_workers
from server.places import services
from server.staff.handover import hand_over_grid, handover_load
from server.web.auth import current_user, requires_register, scope_of
from server.web.pages import render, settings_of
from server.web.paths import found


class HandoverForm(msgspec.Struct, kw_only=True):
    to_user: uuid.UUID
    confirm: str = ""  # "yes" from the confirm step; without it the step is shown and nothing moves


class HandoverController(Controller):
    guards = [requires_register]

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
        # A refusal (no such grid: 404; not a grid worker here: 403) is said by the app's handler (server/errors.py).
        await hand_over_grid(user, grid_id, data.to_user, datetime.now(UTC))
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
