"""Closing a sweep (after a confirm step) and reopening it. Thin: the rules are in lifecycle.py.

The confirm step is a page of its own (no JavaScript: a link, then a form), or, with htmx, the same content swapped
in under the button on the progress page.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Response, Template

from server.i18n import translate
from server.sweeps import lifecycle, queries, team
from server.sweeps.pages import team_message
from server.sweeps.schemas import SweepDetail
from server.sweeps.team import COORDINATORS
from server.web.auth import current_user
from server.web.pages import render, wants_fragment
from server.web.paths import found


class CloseForm(msgspec.Struct, kw_only=True):
    confirm: str = ""  # "yes": sent only by the confirm step's button


async def _closable(request: Request, sweep_id: uuid.UUID) -> SweepDetail | Response:
    """The sweep, for a coordinator who may close it; else the page that says why not."""
    user = current_user(request)
    if user.role not in COORDINATORS:
        raise PermissionDeniedException("coordinators only")
    detail = found(await queries.get_sweep(user, sweep_id))
    if not await lifecycle.may_close_sweep(user, sweep_id):
        message = team_message(request, team.TeamError("may_not_close"))
        return render(request, "error.html", status_code=403, status=403, message=message)
    return detail


async def _confirm_step(request: Request, detail: SweepDetail, status_code: int = 200, error: str | None = None):
    ending = await lifecycle.ending(detail.id, datetime.now(UTC))
    template = "sweeps/_close.html" if wants_fragment(request) else "sweeps/close.html"
    return render(request, template, status_code=status_code, sweep=detail, ending=ending, error=error)


class LifecycleController(Controller):
    path = "/sweeps/{sweep_id:uuid}"

    @get("/close")
    async def close_page(self, request: Request, sweep_id: FromPath[uuid.UUID]) -> Response:
        """What closing does, and how many doors are still open, before the coordinator confirms."""
        detail = await _closable(request, sweep_id)
        if not isinstance(detail, SweepDetail):
            return detail
        if detail.status == "closed":  # closed meanwhile, on another phone: its page says so
            if wants_fragment(request):  # htmx would put the whole page in the step's place
                return Response("", headers={"HX-Redirect": f"/sweeps/{sweep_id}"})
            return Redirect(f"/sweeps/{sweep_id}", status_code=303)
        return await _confirm_step(request, detail)

    @post("/close")
    async def close(
        self,
        request: Request,
        sweep_id: FromPath[uuid.UUID],
        data: Annotated[CloseForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response:
        detail = await _closable(request, sweep_id)
        if not isinstance(detail, SweepDetail):
            return detail
        if data.confirm != "yes":  # not sent by the confirm step: show it, nothing changed
            error = translate(request, "Nothing was closed. Read what closing does, then confirm.")
            return await _confirm_step(request, detail, status_code=400, error=error)
        await lifecycle.close_sweep(current_user(request), sweep_id, datetime.now(UTC))
        return Redirect(f"/sweeps/{sweep_id}", status_code=303)

    @post("/reopen")
    async def reopen(self, request: Request, sweep_id: FromPath[uuid.UUID]) -> Template | Response:
        detail = await _closable(request, sweep_id)
        if not isinstance(detail, SweepDetail):
            return detail
        await lifecycle.reopen_sweep(current_user(request), sweep_id)
        return Redirect(f"/sweeps/{sweep_id}", status_code=303)
