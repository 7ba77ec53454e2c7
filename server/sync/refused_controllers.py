"""The writes the server refused, said in words to whoever can act on them (/refused, docs/decisions/0034): the
phone's sync strip links here from 未被接受, the admin's home page counts them. Thin: sync/refused.py decides who sees
which."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.sync import refused
from server.web.auth import current_user
from server.web.pages import render
from server.web.paths import found


class RefusedController(Controller):
    path = "/refused"

    @get("/")
    async def refused_page(self, request: Request) -> Template:
        """What was refused, why, and what to do: a person's own writes; for a grid worker, also those about the
        people of their grids; for the admin, the community's."""
        user = current_user(request)
        return render(request, "sync/refused.html", items=await refused.visible_refusals(user, datetime.now(UTC)))

    @post("/{rejection_id:uuid}/settle")
    async def settle(self, request: Request, rejection_id: FromPath[uuid.UUID]) -> Redirect:
        """Dealt with: no longer counted on the home page; still listed, marked, for the others who see it."""
        found(await refused.settle(current_user(request), rejection_id, datetime.now(UTC)) or None)
        return Redirect(f"/refused#r-{rejection_id}", status_code=303)
