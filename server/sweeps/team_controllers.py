"""A sweep's codes (the invite page) and claims on floors. Thin: the rules are in invites.py and team.py; joining
with a code: join_controllers.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import msgspec
import segno
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Response, Template

from server.sweeps import invites, lifecycle, queries, team
from server.sweeps.pages import SweepEnded, ended_page, found_or_ended, progress_page, team_message
from server.sweeps.team import COORDINATORS
from server.web.auth import current_user
from server.web.pages import render, safe_next, settings_of


class InviteForm(msgspec.Struct, kw_only=True):
    hours: int = 4


class ClaimForm(msgspec.Struct, kw_only=True):
    unit_id: uuid.UUID
    floor_from: int
    floor_to: int
    back: str = ""


class RevokeForm(msgspec.Struct, kw_only=True):
    sign_out: str = ""  # "yes": the guests who joined with the code leave the sweep too


class ClaimActionForm(msgspec.Struct, kw_only=True):
    to_user: uuid.UUID | None = None  # reassign only
    back: str = ""


async def _sweep(request: Request, sweep_id: uuid.UUID) -> dict:
    return await found_or_ended(request, await queries.visible_sweep(current_user(request), sweep_id), sweep_id)


def _now() -> datetime:
    return datetime.now(UTC)


def _join_url(request: Request, code: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/join?code={code}"


def _qr_svg(url: str) -> str:
    # Inline SVG: no image request, sharp at any size, drawn on the coordinator's phone for others to scan.
    return segno.make_qr(url, error="m").svg_inline(scale=6, border=2, omitsize=True)


class TeamController(Controller):
    path = "/sweeps/{sweep_id:uuid}"
    exception_handlers = {SweepEnded: ended_page}

    @get("/invite")
    async def invite_page(self, request: Request, sweep_id: FromPath[uuid.UUID]) -> Template:
        """The coordinator's phone shows the code big and as a QR code, for volunteers to join on the spot; and for
        each code, live or not, how many guests who joined with it are still in, to sign them out."""
        user = current_user(request)
        if user.role not in COORDINATORS:
            raise NotFoundException()
        sweep = await _sweep(request, sweep_id)
        now = _now()
        guests = await lifecycle.guests_by_code(user, sweep_id, now)
        none = lifecycle.CodeGuests(code="", live=True, guests=0, may_sign_out=False)
        live = []
        codes = await invites.live_invites(sweep_id, now)
        use = await invites.code_use(settings_of(request), [invite["code"] for invite in codes])
        for invite in codes:
            # A code that opens more than the viewer's grids (the admin's, in a sweep over several grids) is not
            # shown to them: joining with it would take them into the other grids (docs/decisions/0019).
            shown = invites.within_scope(user, invite["grids"]) and invite["works"]
            url = _join_url(request, invite["code"]) if shown else ""
            live.append(
                invite
                | {
                    "code": invite["code"] if shown else "",
                    "shown": shown,
                    "url": url,
                    "qr": _qr_svg(url) if shown else "",
                    "guests": guests.get(invite["id"], none),
                    "use": use[invite["code"]],
                }
            )
        # Codes withdrawn or run out whose guests are still in: what they gave can still be ended.
        past = {invite_id: c for invite_id, c in guests.items() if not c.live and c.may_sign_out}
        return render(
            request,
            "sweeps/invite.html",
            sweep=sweep,
            invites=live,
            past=past,
            hours=invites.INVITE_HOURS,
            members=await team.members(sweep_id, user),
            asking=await invites.asking_to_join(user, sweep_id, now),
        )

    @post("/invites")
    async def create_invite(
        self,
        request: Request,
        sweep_id: FromPath[uuid.UUID],
        data: Annotated[InviteForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response:
        sweep = await _sweep(request, sweep_id)
        try:
            await invites.create_invite(current_user(request), sweep, data.hours, _now())
        except team.TeamError as error:
            return render(request, "error.html", status_code=403, status=403, message=team_message(request, error))
        return Redirect(f"/sweeps/{sweep_id}/invite", status_code=303)

    @post("/invites/{invite_id:uuid}/revoke")
    async def revoke_invite(
        self,
        request: Request,
        sweep_id: FromPath[uuid.UUID],
        invite_id: FromPath[uuid.UUID],
        data: Annotated[RevokeForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response:
        """Withdraw a code; with sign_out=yes, the guests who joined with it leave the sweep too (lifecycle.py)."""
        await _sweep(request, sweep_id)
        try:
            await lifecycle.withdraw_code(current_user(request), sweep_id, invite_id, data.sign_out == "yes", _now())
        except team.TeamError as error:
            return render(request, "error.html", status_code=403, status=403, message=team_message(request, error))
        return Redirect(f"/sweeps/{sweep_id}/invite", status_code=303)

    @post("/claims")
    async def claim(
        self,
        request: Request,
        sweep_id: FromPath[uuid.UUID],
        data: Annotated[ClaimForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response:
        sweep = await _sweep(request, sweep_id)
        minutes = settings_of(request).claim_minutes
        try:
            await team.claim(
                current_user(request), sweep, data.unit_id, data.floor_from, data.floor_to, _now(), minutes
            )
        except team.TeamError as error:
            return await self._refused(request, sweep_id, error, tried=data)
        return Redirect(safe_next(data.back or f"/sweeps/{sweep_id}#u-{data.unit_id}"), status_code=303)

    @post("/claims/{claim_id:uuid}/{action:str}")
    async def claim_action(
        self,
        request: Request,
        sweep_id: FromPath[uuid.UUID],
        claim_id: FromPath[uuid.UUID],
        action: FromPath[str],
        data: Annotated[ClaimActionForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response:
        await _sweep(request, sweep_id)
        user = current_user(request)
        minutes = settings_of(request).claim_minutes
        try:
            if action == "extend":
                await team.extend(user, sweep_id, claim_id, _now(), minutes)
            elif action == "release":
                await team.release(user, sweep_id, claim_id, _now())
            elif action == "reassign" and data.to_user:
                await team.reassign(user, sweep_id, claim_id, data.to_user, _now(), minutes)
            elif action == "reassign":
                raise team.TeamError("not_a_member")
            else:
                raise NotFoundException()
        except team.TeamError as error:
            return await self._refused(request, sweep_id, error)
        return Redirect(safe_next(data.back or f"/sweeps/{sweep_id}"), status_code=303)

    async def _refused(
        self, request: Request, sweep_id: uuid.UUID, error: team.TeamError, tried: ClaimForm | None = None
    ) -> Response:
        """The progress page again, with the reason at the top and nothing changed; the floors someone asked for
        stay in the form they typed them in."""
        status = 403 if error.code == "not_allowed" else 409 if error.code in ("taken", "yours", "claim_gone") else 400
        return await progress_page(
            request, sweep_id, status_code=status, error=team_message(request, error), tried=tried
        )
