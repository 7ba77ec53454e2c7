"""What sweeps' pages share: a sweep's progress page, the page of a sweep that has ended, and a team refusal in the
reader's words. Here, not in a route module, so that no route module imports another (docs/decisions/0030)."""

from __future__ import annotations

import uuid

from litestar import Request
from litestar.exceptions import HTTPException, NotFoundException
from litestar.response import Response, Template

from server.i18n import translate
from server.sweeps import lifecycle, queries, team
from server.sweeps.team import COORDINATORS
from server.web.auth import current_user
from server.web.pages import render


class SweepEnded(HTTPException):
    """A volunteer opened a sweep that was closed: say so (410, so the phone drops its copy of the page)."""

    status_code = 410

    def __init__(self, sweep: dict) -> None:
        super().__init__(detail="sweep ended")
        self.sweep = sweep


def ended_page(request: Request, exc: SweepEnded) -> Response:
    return render(request, "sweeps/ended.html", status_code=410, ended=exc.sweep)


async def found_or_ended(request: Request, value, sweep_id: uuid.UUID):
    """A sweep's page or data, if the user sees it; else, for a volunteer of a closed sweep, that it has ended."""
    if value is not None:
        return value
    ended = await queries.ended_sweep(current_user(request), sweep_id)
    if ended is not None:
        raise SweepEnded(ended)
    raise NotFoundException()


async def progress_page(
    request: Request,
    sweep_id: uuid.UUID,
    detail=None,
    *,
    status_code: int = 200,
    error: str | None = None,
    open_unit: uuid.UUID | None = None,
    tried=None,
) -> Template:
    """A sweep's progress page, with `error` at the top when an action on it was refused; `open_unit` is shown
    unfolded (the unit whose claim someone just extended, released or handed over); `tried`: a refused claim's
    unit and floors, shown again in the form they came from."""
    user = current_user(request)
    detail = detail or await found_or_ended(request, await queries.get_sweep(user, sweep_id), sweep_id)
    coordinator = user.role in COORDINATORS
    return render(
        request,
        "sweeps/progress.html",
        status_code=status_code,
        sweep=detail,
        coordinator=coordinator,
        may_close=coordinator and await lifecycle.may_close_sweep(user, sweep_id),
        members=await team.members(sweep_id, user) if coordinator else [],
        error=error,
        open_unit=open_unit,
        tried=tried,
    )


def _too_many_codes(request: Request, by: str, minutes: int) -> str:
    if by == "everyone":
        # Someone is walking the codes: new numbers wait; a volunteer who joined on this phone before does not.
        return translate(
            request,
            "Too many wrong codes are being typed on this server right now. Wait %(minutes)s minutes, then try again.",
            minutes=minutes,
        )
    # Each says which limit held (a stranger's review: a volunteer on another /64 of a /48, who had typed nothing
    # wrong, read only "too many wrong tries").
    if by == "address":
        return translate(
            request,
            "Too many wrong codes from this network. Wait %(minutes)s minutes, then try again.",
            minutes=minutes,
        )
    if by == "network":
        return translate(
            request,
            "Too many wrong codes from networks near yours. Wait %(minutes)s minutes, then try again.",
            minutes=minutes,
        )
    if by == "phone":
        return translate(
            request,
            "Too many wrong tries for this phone number. Wait %(minutes)s minutes, then try again.",
            minutes=minutes,
        )
    if by == "device":
        return translate(
            request, "Too many wrong tries on this phone. Wait %(minutes)s minutes, then try again.", minutes=minutes
        )
    return translate(request, "Too many wrong tries. Wait %(minutes)s minutes, then try again.", minutes=minutes)


def team_message(request: Request, error: team.TeamError) -> str:
    d = error.details
    texts = {
        "unknown_code": lambda: translate(request, "No sweep has this code. Check the 6 digits with the coordinator."),
        "expired_code": lambda: translate(request, "This code has expired or was withdrawn. Ask for a new one."),
        "code_no_longer_valid": lambda: translate(
            request,
            "This code no longer works: whoever made it no longer answers for this place. "
            "Ask the coordinator for a new code.",
        ),
        "too_many_attempts": lambda: _too_many_codes(request, d.get("by", ""), d.get("minutes", 15)),
        "too_many_guests": lambda: translate(
            request,
            "Many new volunteers have just joined from this network. Wait %(minutes)s minutes, then try again, or "
            "ask the coordinator.",
            minutes=d.get("minutes", 15),
        ),
        # The code's own limit of new volunteers: a new code lets them in at once (its coordinator's page says so).
        "code_used_up": lambda: translate(
            request, "Many new volunteers have just joined with this code. Ask the coordinator for a new code."
        ),
        "bad_name": lambda: translate(request, "Write your name."),
        "name_too_long": lambda: translate(
            request, "Your name is too long: at most %(characters)s characters.", characters=d.get("limit", 32)
        ),
        "bad_phone": lambda: translate(request, "Write your 11-digit mobile number."),
        # The same words whether the number is a guest's or an account's: /join does not tell which numbers exist.
        "confirm_needed": lambda: translate(
            request,
            "This phone number cannot join with the code alone. Ask the coordinator for the confirmation code on "
            "their invite page and type it below. If you have an account with a password, log in first.",
        ),
        "wrong_confirmation": lambda: translate(
            request, "This confirmation code is wrong or no longer works. Ask the coordinator again."
        ),
        "other_community": lambda: translate(
            request, "This phone number joined in another community; it cannot join a sweep here."
        ),
        "who_are_you": lambda: translate(request, "Write your name and your phone number."),
        "not_a_volunteer": lambda: translate(request, "Only volunteers join a sweep with a code."),
        "taken": lambda: translate(
            request,
            "Floors %(first)s–%(last)s are held by %(name)s.",
            first=d.get("floor_from"),
            last=d.get("floor_to"),
            name=d.get("name"),
        ),
        "yours": lambda: translate(
            request,
            "You hold floors %(first)s–%(last)s already.",
            first=d.get("floor_from"),
            last=d.get("floor_to"),
        ),
        "bad_floors": lambda: translate(
            request, "Choose floors from 1 to %(floors)s, lowest first.", floors=d.get("floors")
        ),
        "not_in_sweep": lambda: translate(request, "This unit is not in this sweep."),
        "claim_gone": lambda: translate(request, "This claim has ended already."),
        "not_a_member": lambda: translate(request, "Choose another volunteer who joined this sweep."),
        "bad_hours": lambda: translate(request, "Choose how long the code works."),
        "sweep_closed": lambda: translate(request, "This sweep has ended. Thank you for your help."),
        "may_not_close": lambda: translate(
            request, "This sweep covers other grids too: the community admin closes or reopens it."
        ),
        "may_not_sign_out": lambda: translate(
            request, "Volunteers of this code may be working in other grids: its maker or the admin signs them out."
        ),
    }
    return texts.get(error.code, lambda: translate(request, "You cannot do this in this sweep."))()
