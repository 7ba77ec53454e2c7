"""The community admin's page of the people who work in Gridcare: the grid workers and admins, a new one added (a
grid worker who is sick or quarantined is replaced the same day), a new password, someone deactivated. Each change
is in the audit log. The work itself is staff/provisioning.py, shared with the command line."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Template

from server.accounts.tables import User
from server.audit.services import record_read
from server.i18n import translate
from server.staff import provisioning
from server.web.auth import client_address, current_user
from server.web.pages import render


class PersonForm(msgspec.Struct, kw_only=True):
    # Longer than the rules allow, so that too long a name or number is said in words on the form, not refused whole.
    name: Annotated[str, msgspec.Meta(max_length=500)] = ""
    phone: Annotated[str, msgspec.Meta(max_length=100)] = ""
    role: Annotated[str, msgspec.Meta(max_length=16)] = "grid_worker"
    grid: Annotated[str, msgspec.Meta(max_length=8)] = ""


def _messages(request: Request) -> dict[str, str]:
    return {
        "bad_phone": translate(request, "Type their 11-digit mobile number: it is what they log in with."),
        "bad_name": translate(request, "Type their name."),
        "name_too_long": translate(request, "This name is too long: at most %(characters)s characters.", characters=32),
        "grid_needed": translate(request, "A grid worker needs a grid; an admin has none."),
        "phone_taken": translate(request, "This number already has an account."),
        "no_grid": translate(request, "There is no such grid."),
        "grid_taken": translate(request, "This grid already has its grid worker. Deactivate them first."),
        "bad_role": translate(request, "Choose grid worker or admin."),
        "busy": translate(request, "Many people are logging in right now. Try again in a moment."),
    }


class PeopleController(Controller):
    path = "/people"

    async def _page(self, request: Request, form: PersonForm | None = None, page: int = 1, **context) -> Template:
        user = current_user(request)
        people, free_grids, total = await provisioning.staff(user.community_id, page)
        start = (page - 1) * provisioning.PEOPLE_PAGE
        return render(
            request,
            "staff/people.html",
            status_code=400 if context.get("error") else 200,
            people=people,
            place={"page": page, "first": start + 1, "last": start + len(people), "total": total},
            free_grids=free_grids,
            form=form or PersonForm(),
            **({"shown": None, "deactivated": None, "error": None} | context),
        )

    @staticmethod
    def _admin(request: Request):
        user = current_user(request)
        if user is None or user.role != "admin":
            raise PermissionDeniedException("accounts are for the community's admin")
        return user

    async def _person(self, request: Request, user_id: uuid.UUID) -> dict:
        row = (
            await User.select(User.id, User.name, User.phone)
            .where(
                (User.id == user_id)
                & (User.community == self._admin(request).community_id)
                & User.role.is_in(list(provisioning.ROLES))  # residents' and volunteers' accounts are not the admin's
                & User.is_guest.eq(False)
            )
            .first()
        )
        if row is None:
            raise NotFoundException()
        return row

    @get("/")
    async def people(self, request: Request, page: Annotated[int, QueryParameter(ge=1, le=100_000)] = 1) -> Template:
        self._admin(request)
        return await self._page(request, page=page)

    @post("/")
    async def add(
        self, request: Request, data: Annotated[PersonForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
    ) -> Template:
        admin = self._admin(request)
        grid = int(data.grid) if data.role == "grid_worker" and data.grid.isascii() and data.grid.isdigit() else None
        try:
            made = await provisioning.add_user(admin.community_id, data.role, data.phone, data.name, grid)
        except provisioning.ProvisioningError as exc:
            return await self._page(request, data, error=_messages(request).get(exc.code, str(exc)))
        await record_read(admin, "account.made", "user", made.user_id, client_address(request))
        name = " ".join(data.name.split())
        return await self._page(request, shown={"name": name, "phone": made.phone, "password": made.password})

    @post("/{user_id:uuid}/password")
    async def new_password(self, request: Request, user_id: FromPath[uuid.UUID]) -> Template:
        admin = self._admin(request)
        person = await self._person(request, user_id)
        if person["id"] == admin.id:
            raise PermissionDeniedException("an admin changes their own password elsewhere")
        try:
            made = await provisioning.reset_password(person["phone"], admin.community_id)
        except provisioning.ProvisioningError as exc:
            if exc.code == "busy":
                return await self._page(request, error=_messages(request)["busy"])
            raise NotFoundException() from exc  # a guest or a deactivated account has no password to renew
        await record_read(admin, "account.password", "user", user_id, client_address(request))
        return await self._page(request, shown={"name": person["name"], "phone": made.phone, "password": made.password})

    @post("/{user_id:uuid}/deactivate")
    async def deactivate(self, request: Request, user_id: FromPath[uuid.UUID]) -> Template:
        admin = self._admin(request)
        person = await self._person(request, user_id)
        if person["id"] == admin.id:
            raise PermissionDeniedException("an admin does not lock themselves out")
        try:
            await provisioning.deactivate_user(person["phone"], admin.community_id)
        except provisioning.ProvisioningError as exc:
            if exc.code == "last_admin":
                return await self._page(request, error=translate(request, "The community's last admin stays."))
            raise NotFoundException() from exc
        await record_read(admin, "account.deactivated", "user", user_id, client_address(request))
        return await self._page(request, deactivated=person["name"])
