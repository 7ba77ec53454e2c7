"""Log in, log out, choose a language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect

from server.accounts import devices, login_devices, services
from server.accounts.schemas import LanguageForm, LoginForm
from server.i18n import LOCALE_COOKIE, translate
from server.web.auth import PUBLIC, SESSION_COOKIE, client_address, current_user, session_cookie
from server.web.pages import render, safe_next, settings_of

FormBody = Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


def _too_many(request: Request, by: str, minutes: int) -> str:
    """Which limit held the log-in, so the person knows what helps: waiting, or the phone they always use."""
    if by == "phone":
        return translate(
            request,
            "Too many wrong tries at this number. Wait %(minutes)s minutes, or log in on the phone you logged in "
            "on before.",
            minutes=minutes,
        )
    if by == "device":
        return translate(
            request,
            "Too many wrong passwords on this phone. Wait %(minutes)s minutes, then try again.",
            minutes=minutes,
        )
    if by == "network":  # an IPv6 /48: networks near this phone's, not its own
        return translate(
            request,
            "Too many wrong tries from networks near yours. Wait %(minutes)s minutes, or log in on the phone you "
            "logged in on before.",
            minutes=minutes,
        )
    return translate(
        request,
        "Too many wrong tries from this network. Wait %(minutes)s minutes, or log in on the phone you logged in "
        "on before.",
        minutes=minutes,
    )


class AuthController(Controller):
    @get("/login", opt=PUBLIC)
    async def login_page(
        self,
        request: Request,
        next: Annotated[str, QueryParameter(max_length=512)] = "/",  # noqa: A002 (query name)
        password: Annotated[bool, QueryParameter()] = False,  # "I have an account" on the join page
    ) -> Response:
        if current_user(request):
            return Redirect(safe_next(next), status_code=303)
        if not password and await devices.guests_on(devices.tokens_of(request.cookies.get(devices.DEVICE_COOKIE))):
            # A guest who joined on this phone and was signed out has no password: the join page says what
            # happened and takes a new code (docs/decisions/0019).
            return Redirect("/join", status_code=303)
        return render(
            request, "accounts/login.html", demo=settings_of(request).demo, next=safe_next(next), phone="", error=None
        )

    @post("/login", opt=PUBLIC)
    async def log_in(self, request: Request, data: FormBody) -> Response:
        settings = settings_of(request)
        tokens = devices.tokens_of(request.cookies.get(login_devices.LOGIN_DEVICE_COOKIE))
        try:
            token, user = await services.log_in(
                settings,
                data.phone,
                data.password,
                client_address(request),
                request.headers.get("user-agent", ""),
                previous_token=request.cookies.get(SESSION_COOKIE),
                device_tokens=tokens,
            )
        except services.LoginError as exc:
            messages = {
                "bad_credentials": (401, translate(request, "Wrong phone number or password.")),
                "inactive": (403, translate(request, "This account is switched off. Ask your community admin.")),
                "too_many_attempts": (429, _too_many(request, exc.by, exc.minutes)),
                # Too many log-ins waiting for their password check (passwords.WAIT_SECONDS): nothing was checked.
                "busy": (503, translate(request, "Many people are logging in right now. Try again in a moment.")),
            }
            status, message = messages[exc.code]
            return render(
                request,
                "accounts/login.html",
                demo=settings.demo,
                status_code=status,
                next=safe_next(data.next),
                phone=data.phone,
                error=message,
            )
        response = Redirect(safe_next(data.next), status_code=303)
        response.set_cookie(session_cookie(token, settings.session_hours, settings.secure_cookies))
        # This phone is now one that logged in to the account: others' wrong tries no longer lock it out.
        remembered = await login_devices.remember(user.id, tokens, datetime.now(UTC))
        response.set_cookie(
            Cookie(
                key=login_devices.LOGIN_DEVICE_COOKIE,
                value=remembered,
                httponly=True,
                samesite="lax",
                secure=settings.secure_cookies,
                max_age=login_devices.DEVICE_DAYS * 24 * 3600,
                path="/",
            )
        )
        return response

    @post("/logout")
    async def log_out(self, request: Request) -> Response:
        await services.log_out(request.cookies.get(SESSION_COOKIE))
        response = Redirect("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        # Pages about residents stay in the browser's cache and htmx's history otherwise; the Back button would
        # show them after log-out on a shared phone.
        response.headers["Clear-Site-Data"] = '"cache"'

        return response

    @post("/language", opt=PUBLIC)
    async def set_language(
        self, request: Request, data: Annotated[LanguageForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
    ) -> Response:
        response = Redirect(safe_next(data.next), status_code=303)
        response.set_cookie(
            Cookie(
                key=LOCALE_COOKIE,
                value=data.lang,
                max_age=365 * 24 * 3600,
                samesite="lax",
                path="/",
                secure=settings_of(request).secure_cookies,
            )
        )
        return response
