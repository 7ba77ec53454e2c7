"""Joining a sweep by code or QR code, and joining again after being signed out. Thin: the rules are in
joining.py, the phone's join cookie in accounts/devices.py (docs/decisions/0019)."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Response, Template

from server.accounts import devices
from server.accounts.services import log_out
from server.sweeps import joining
from server.sweeps.pages import team_message
from server.sweeps.team import TeamError
from server.web.auth import PUBLIC, SESSION_COOKIE, client_address, current_user, session_cookie
from server.web.pages import render, settings_of

# A guest back in a sweep: the phone's outbox sends again what the server refused while they were signed out of it
# (status.js reads this cookie once, then deletes it).
JOINED_COOKIE = "gc_joined"
# What someone typed who must confirm with the coordinator's one-time code (code, name, phone), for the step's page.
CONFIRM_COOKIE = "gc_confirm"
# Refusals that are no mistake in what was typed: a limit (429), or a role that cannot join (403).
LIMITED = {"too_many_attempts": 429, "too_many_guests": 429, "code_used_up": 429, "not_a_volunteer": 403}


class JoinForm(msgspec.Struct, kw_only=True):
    code: str = ""
    name: str = ""
    phone: str = ""
    confirm: str = ""  # the one-time code the coordinator tells someone joining again from another phone
    again: str = ""  # "1": as the guest this phone joined as before (the code alone)


@dataclass(frozen=True, slots=True)
class Back:
    """The guest this phone joined as, and what became of their last sweep: said on the join page."""

    name: str
    last: joining.LastSweep | None


def _now() -> datetime:
    return datetime.now(UTC)


async def _back(request: Request, tokens: list[str]) -> Back | None:
    if current_user(request) is not None:
        return None
    on_phone = await devices.guests_on(tokens)
    if not on_phone:
        return None
    return Back(name=on_phone[0]["name"], last=await joining.last_sweep(on_phone[0]["id"]))


def _device_cookie(value: str, secure: bool) -> Cookie:
    """The phone's join secrets: sent only to this site, read by no script, kept for a year."""
    return Cookie(
        key=devices.DEVICE_COOKIE,
        value=value,
        httponly=True,
        samesite="lax",
        secure=secure,
        max_age=devices.DEVICE_DAYS * 24 * 3600,
        path="/",
    )


def _with_secret(request: Request, response: Response, tokens: list[str]) -> Response:
    """A phone that has no join secret yet gets one before anyone joins on it: a second tap on "join" then proves
    the same phone as the first (devices.remember)."""
    if current_user(request) is None and not tokens:
        response.set_cookie(_device_cookie(devices.new_token(), settings_of(request).secure_cookies))
    return response


class JoinController(Controller):
    path = "/join"

    @get("/", opt=PUBLIC)
    async def join_page(
        self,
        request: Request,
        code: Annotated[str, QueryParameter(max_length=16)] = "",
        new: Annotated[bool, QueryParameter()] = False,  # someone else on a phone a guest joined on
    ) -> Template:
        tokens = devices.tokens_of(request.cookies.get(devices.DEVICE_COOKIE))
        back = None if new else await _back(request, tokens)
        page = render(request, "sweeps/join.html", form=JoinForm(code=code), error=None, back=back, confirming=False)
        return _with_secret(request, page, tokens)

    @get("/confirm", opt=PUBLIC)
    async def confirm_page(self, request: Request) -> Response:
        """Joining with a number this phone cannot prove is its own: the coordinator's one-time code, said in person."""
        form = _typed(request.cookies.get(CONFIRM_COOKIE))
        if form is None:
            return Redirect("/join", status_code=303)  # nothing typed, or it was long ago: the whole form
        tokens = devices.tokens_of(request.cookies.get(devices.DEVICE_COOKIE))
        notice = team_message(request, TeamError("confirm_needed"))
        page = render(request, "sweeps/join.html", form=form, error=None, notice=notice, back=None, confirming=True)
        return _with_secret(request, page, tokens)

    @post("/", opt=PUBLIC)
    async def join(
        self, request: Request, data: Annotated[JoinForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
    ) -> Response:
        settings = settings_of(request)
        tokens = devices.tokens_of(request.cookies.get(devices.DEVICE_COOKIE))
        asking = joining.JoinAsking(
            name=data.name[:64],
            phone=data.phone[:32],
            confirm=data.confirm[:16],
            again=data.again == "1",
            device_tokens=tuple(tokens),
            user_agent=request.headers.get("user-agent", ""),
        )
        try:
            joined = await joining.join(
                settings, data.code[:16], client_address(request), _now(), current_user(request), asking
            )
        except TeamError as error:
            if error.code == "confirm_needed":
                # The same answer as a join that went through, a 303 (docs/decisions/0019): the confirmation step
                # is a page of its own, which keeps what was typed in a short cookie of this phone.
                step = Redirect("/join/confirm", status_code=303)
                step.set_cookie(_confirm_cookie(data, settings.secure_cookies))
                return _with_secret(request, step, tokens)
            status = LIMITED.get(error.code, 400)
            back = await _back(request, tokens) if asking.again and error.code != "who_are_you" else None
            page = render(
                request,
                "sweeps/join.html",
                status_code=status,
                form=data,
                error=team_message(request, error),
                back=back,
                confirming=error.code in ("confirm_needed", "wrong_confirmation"),
            )
            return _with_secret(request, page, tokens)
        response = Redirect(f"/sweeps/{joined.sweep_id}", status_code=303)
        if joined.token:
            await log_out(request.cookies.get(SESSION_COOKIE))  # a session this phone still had ends here
            response.set_cookie(session_cookie(joined.token, settings.join_session_hours, settings.secure_cookies))
        response.set_cookie(_joined_cookie(joined.sweep_id, settings.secure_cookies))
        if CONFIRM_COOKIE in request.cookies:
            response.delete_cookie(CONFIRM_COOKIE, path="/join")
        if joined.device_token:
            value = devices.cookie_value(tokens, joined.device_token)
            response.set_cookie(_device_cookie(value, settings.secure_cookies))
        return response


def _confirm_cookie(data: JoinForm, secure: bool) -> Cookie:
    typed = msgspec.json.encode([data.code[:16], data.name[:64], data.phone[:32]])
    return Cookie(
        key=CONFIRM_COOKIE,
        value=base64.urlsafe_b64encode(typed).decode(),
        httponly=True,
        samesite="lax",
        secure=secure,
        max_age=joining.CONFIRM_MINUTES * 60,
        path="/join",
    )


def _typed(value: str | None) -> JoinForm | None:
    """What the confirm cookie keeps; None when it is missing or not ours."""
    try:
        code, name, phone = msgspec.json.decode(
            base64.urlsafe_b64decode((value or "")[:512]), type=tuple[str, str, str]
        )
    except (ValueError, msgspec.DecodeError):
        return None
    return JoinForm(code=code[:16], name=name[:64], phone=phone[:32]) if value else None


def _joined_cookie(sweep_id: uuid.UUID, secure: bool) -> Cookie:
    return Cookie(key=JOINED_COOKIE, value=str(sweep_id), max_age=600, samesite="lax", secure=secure, path="/")
