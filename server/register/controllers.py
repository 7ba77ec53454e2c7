"""Register pages: today's round of calls, a resident's profile, a phone number shown on a tap. Thin: the rules
are in services.py. Only admins and grid workers come here (requires_register), each inside their scope."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from itertools import zip_longest
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, Response, Template

from server.i18n import translate
from server.places.worker import own_grid_covered
from server.register import changes, offline, round, services
from server.sync import forms
from server.web import downloads
from server.web.auth import client_address, current_user, requires_register, scope_of
from server.web.pages import render, safe_next, settings_of, wants_fragment
from server.web.paths import found


class CallForm(msgspec.Struct, kw_only=True):
    call_id: uuid.UUID  # drawn with the page: a form sent twice stores one call
    resident_id: uuid.UUID
    outcome: str
    day: str
    need: str = ""
    note: str = ""
    back: str = "/round"


class FollowUpForm(msgspec.Struct, kw_only=True):
    found: str = ""  # ok / unwell / needs: what the visit found (the person's contact of the day)
    outcome: str = ""  # in words


def _error_text(request: Request, code: str) -> str:
    texts = {
        "bad_date": lambda: translate(request, "Write the date as year-month-day, e.g. 1948-03-12."),
        "impossible_birth": lambda: translate(
            request, "This birth date cannot be right: it is in the future or more than 120 years ago."
        ),
        "too_long": lambda: translate(request, "This is too long."),
        "contact_name": lambda: translate(request, "Write the contact's name."),
        "contact_unreachable": lambda: translate(request, "A contact needs a phone number to be reachable."),
        "bad_phone": lambda: translate(request, "A phone number has digits only (spaces, dashes and +86 are fine)."),
        "masked_edited": lambda: translate(
            request,
            "The hidden digits cannot be changed one by one: leave the number as shown, or delete it all and type "
            "the whole new number.",
        ),
    }
    return texts.get(code, lambda: translate(request, "Choose one."))()


def _profile_form(data: dict) -> services.ProfileForm:
    """The form's flat fields (contact_name, contact_phone... repeated) into one ProfileForm."""

    def many(name: str) -> list[str]:
        value = data.get(name, [])
        return value if isinstance(value, list) else [value]

    ids, names, relations, phones, lives = (many(f"contact_{k}") for k in ("id", "name", "relation", "phone", "lives"))
    # Blank blocks are dropped here, so that a form shown again has only the blocks filled in (plus the two blank
    # ones every form has), and an error's place ("contacts.1.phone") is that of the block shown again.
    contacts = [
        services.ContactForm(id=i, name=n, relation=r, phone=p, lives=w)
        for i, n, r, p, w in zip_longest(ids, names, relations, phones, lives, fillvalue="")
        if any(value.strip() for value in (n, r, p, w))
    ]
    single = {k: (v[-1] if isinstance(v, list) else v) for k, v in data.items() if not k.startswith("contact_")}
    return msgspec.convert(
        {
            "version": single.get("version", "0"),
            "birth_date": single.get("birth_date", ""),
            "living": single.get("living", "family"),
            "mobility": single.get("mobility", "good"),
            "conditions": single.get("conditions", ""),
            "medicines": single.get("medicines", ""),
            "interests": single.get("interests", ""),
            "best_time": single.get("best_time", ""),
            "priority": single.get("priority", "auto"),
            "in_round": single.get("in_round") == "1",
            "notes": single.get("notes", ""),
            "contacts": contacts,
        },
        services.ProfileForm,
        strict=False,
    )


async def _profile(request: Request, resident_id: uuid.UUID, for_edit: bool = False) -> services.ProfileView:
    """The profile in the user's scope (404 outside it); the read is audited by the service."""
    return found(
        await services.get_profile(
            scope_of(request),
            current_user(request),
            resident_id,
            settings_of(request).today(),
            client_address(request),
            for_edit=for_edit,
        )
    )


class RegisterController(Controller):
    guards = [requires_register]

    @get("/round")
    async def round_page(
        self,
        request: Request,
        since: Annotated[datetime | None, QueryParameter()] = None,
        members: Annotated[str | None, QueryParameter(max_length=64)] = None,
        rows: Annotated[list[uuid.UUID] | None, QueryParameter(max_items=round.MAX_ADDED)] = None,
        page: Annotated[int, QueryParameter(ge=1, le=100_000)] = 1,
    ) -> Template:
        """Today's round; asked by the page itself (htmx) with `since`, only the rows whose calls arrived since then
        (and the go-and-look cards, when any did), and who is on the round when that changed from the page's
        `members`: what another worker recorded, and a person added or taken off, show without a reload. With
        `rows`, the rows of these people of the round (the page asks for those it lacks). `page`: 50 people a page in
        need order (issue 18); asked by htmx, the next page's rows to add below those shown."""
        settings = settings_of(request)
        today, now = settings.today(), datetime.now(UTC)
        if rows and wants_fragment(request):
            return await self._added_rows(request, today, now, set(rows))
        if since is not None and wants_fragment(request):
            return await self._fresh_rows(request, today, now, since, members or "")
        everyone = await round.today_round(scope_of(request), today, now)
        shown = round.page_of(everyone, page)
        if page > 1 and wants_fragment(request):  # 后 50 人 with htmx: added below the rows shown
            return render(request, "register/_round_more.html", shown=shown, today=today, new_id=uuid.uuid4)
        follow_ups = await round.open_follow_ups(scope_of(request))
        user = current_user(request)
        # A grid worker's phone keeps the round's whole numbers for calls without signal (decision 0010).
        key = None
        if user.role == "grid_worker":
            key = offline.offline_key(user.id, today, [r.resident_id for r in everyone if r.phone_masked])
        return render(
            request,
            "register/round.html",
            rows=shown.rows,
            shown=shown,
            follow_ups=follow_ups,
            today=today,
            new_id=uuid.uuid4,
            waiting=sum(1 for r in everyone if not r.reached),
            offline_key=key,
            since=(now - round.FRESH_OVERLAP).isoformat(),
            # A round of one page follows who is on it (decision 0029); a paged one does on a reload (decision 0038).
            members="" if shown.paged else round.members_key([r.resident_id for r in everyone]),
            covered_by=await own_grid_covered(user),
        )

    async def _fresh_rows(
        self, request: Request, today: date, now: datetime, since: datetime, members: str
    ) -> Template:
        scope = scope_of(request)
        changed = await round.changed_since(scope, today, since if since.tzinfo else since.replace(tzinfo=UTC))
        rows = await round.today_round(scope, today, now, only=changed) if changed else []
        # Who is on the round, only when it is no longer who the page shows (decision 0029, issue 16).
        people = await round.round_members(scope) if members else []
        key = round.members_key(people)
        return render(
            request,
            "register/_round_fresh.html",
            rows=rows,
            follow_ups=await round.open_follow_ups(scope) if rows else None,
            today=today,
            new_id=uuid.uuid4,
            since=(now - round.FRESH_OVERLAP).isoformat(),
            members=(key, people) if members and key != members else None,  # a paged round: none (decision 0038)
        )

    async def _added_rows(self, request: Request, today: date, now: datetime, wanted: set[uuid.UUID]) -> Template:
        """The rows of people added to the round that the page lacks (of the scope's round only: another grid's
        person asked for is not there)."""
        rows = await round.today_round(scope_of(request), today, now, only=wanted)
        return render(
            request,
            "register/_round_fresh.html",
            rows=rows,
            follow_ups=None,
            today=today,
            new_id=uuid.uuid4,
            since="",
            members=None,
        )

    @post("/round/calls")
    async def record_call(
        self, request: Request, data: Annotated[CallForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
    ) -> Response:
        payload = {
            "resident_id": str(data.resident_id),
            "outcome": data.outcome,
            "day": data.day,
            "need": data.need,
            "note": data.note,
        }
        refused = await forms.submit(request, "checkin.outcome", [(data.call_id, payload)])
        if refused is None:
            return Redirect(safe_next(data.back), status_code=303)
        message = {
            "need_not_described": translate(request, "Write what they need."),
            "not_allowed": translate(request, "This person is not in your grid."),
            "handed_over": translate(
                request, "This grid was handed to a colleague before this call: tell them, or the community's admin."
            ),
        }.get(refused.reason or "", translate(request, "That did not work. Go back and try again."))
        status = 403 if refused.reason in ("not_allowed", "handed_over") else 400
        return render(request, "error.html", status_code=status, status=status, message=message)

    @post("/follow-ups/{card_id:uuid}/done")
    async def close_follow_up(
        self,
        request: Request,
        card_id: FromPath[uuid.UUID],
        data: Annotated[FollowUpForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response:
        settings = settings_of(request)
        try:
            closed = await round.close_follow_up(
                scope_of(request),
                current_user(request),
                card_id,
                data.found,
                data.outcome,
                settings.today(),
                datetime.now(UTC),
            )
        except round.FollowUpProblem as problem:
            message = {
                "choose": translate(request, "Choose what you found."),
                "need_not_described": translate(request, "Write what they need."),
            }[problem.code]
            return render(request, "error.html", status_code=400, status=400, message=message)
        found(closed or None)
        return Redirect("/round", status_code=303)

    @get("/residents/{resident_id:uuid}/profile")
    async def profile_page(self, request: Request, resident_id: FromPath[uuid.UUID]) -> Template:
        return render(request, "register/profile.html", p=await _profile(request, resident_id))

    @get("/residents/{resident_id:uuid}/calls")
    async def calls_page(
        self,
        request: Request,
        resident_id: FromPath[uuid.UUID],
        before: Annotated[int | None, QueryParameter(ge=0)] = None,
    ) -> Template:
        """The resident's earlier calls, a page at a time: in place of 更早的电话 on the profile (htmx), or a page."""
        resident, page = found(
            await services.get_calls(
                scope_of(request), current_user(request), resident_id, before, client_address(request)
            )
        )
        template = "register/_calls.html" if wants_fragment(request) else "register/calls.html"
        return render(
            request, template, calls=page.calls, older=page.older, resident_id=resident_id, name=resident["name"]
        )

    @get("/residents/{resident_id:uuid}/profile/edit")
    async def edit_page(self, request: Request, resident_id: FromPath[uuid.UUID]) -> Template:
        profile = await _profile(request, resident_id, for_edit=True)
        return render(
            request,
            "register/edit.html",
            p=profile,
            form=None,
            was=services.form_values(profile),
            errors={},
            conflict=None,
            max_contacts=services.MAX_CONTACTS,
        )

    @post("/residents/{resident_id:uuid}/profile")
    async def save(self, request: Request, resident_id: FromPath[uuid.UUID]) -> Response:
        raw = await request.form()
        data = {key: raw.getall(key) for key in raw}
        scope, user, today = scope_of(request), current_user(request), settings_of(request).today()
        try:
            form = _profile_form(data)
        except msgspec.ValidationError:
            form = services.ProfileForm()
            errors = {"form": "choose"}
        else:
            errors = {}
        conflict = None
        if not errors:
            try:
                saved = await services.save_profile(scope, user, resident_id, form, today)
            except services.ProfileError as exc:
                errors = exc.errors
            except services.ProfileConflict as exc:
                conflict = exc.current
            else:
                found(saved)
                return Redirect(f"/residents/{resident_id}/profile", status_code=303)
        profile = await _profile(request, resident_id, for_edit=True)
        was = {key[4:]: (value[-1] if value else "") for key, value in data.items() if key.startswith("was_")}
        if conflict is not None:
            form = services.keep_others_changes(form, was, profile)
            was = services.form_values(profile)
        return render(
            request,
            "register/edit.html",
            status_code=409 if conflict else 400,
            p=profile,
            form=form,
            was=was,
            errors={k: _error_text(request, v) for k, v in errors.items()},
            conflict=conflict,
            max_contacts=services.MAX_CONTACTS,
        )

    @get("/residents/{resident_id:uuid}/phone")
    async def phone(
        self,
        request: Request,
        resident_id: FromPath[uuid.UUID],
        contact: Annotated[uuid.UUID | None, QueryParameter()] = None,
    ) -> Template:
        """The whole number, on a tap that is logged: a tap-to-call link in place of the masked one."""
        number = found(
            await services.reveal_phone(
                scope_of(request), current_user(request), resident_id, contact, client_address(request)
            )
        )
        template = "register/_phone.html" if wants_fragment(request) else "register/phone.html"
        return render(request, template, number=number, resident_id=resident_id)


@get("/round/phones", tags=["register"], guards=[requires_register])
async def round_phones(request: Request) -> dict:
    """The whole numbers of today's round, for the grid worker's phone to keep offline; one audit entry per hand-over,
    with the count. Admins, volunteers and residents are refused."""
    settings = settings_of(request)
    kept = await offline.round_phones(
        scope_of(request), current_user(request), settings.today(), settings.timezone, client_address(request)
    )
    if kept is None:
        raise PermissionDeniedException("only a grid worker keeps their round's numbers on the phone")
    return kept


def _export_title(request: Request, column: str) -> str:
    return {
        "name": translate(request, "Full name"),
        "sex": translate(request, "Sex"),
        "age": translate(request, "Age"),
        "birth_date": translate(request, "Birth date"),
        "door": translate(request, "Door"),
        "phone": translate(request, "Phone"),
        "living": translate(request, "Living"),
        "mobility": translate(request, "Walking"),
        "priority": translate(request, "Priority"),
        "conditions": translate(request, "Conditions"),
        "medicines": translate(request, "Regular medicines"),
        "interests": translate(request, "Interests"),
        "best_time": translate(request, "Best time to call"),
        "notes": translate(request, "Notes"),
    }[column]


def _export_titles(request: Request, column: str, groups: int) -> list[str]:
    """A column's header; a contact's columns are named as the import names them (紧急联系人1：姓名 ...)."""
    if column != "contacts":
        return [_export_title(request, column)]
    parts = {
        "name": "Contact %(n)s: name",
        "relation": "Contact %(n)s: relation",
        "phone": "Contact %(n)s: phone",
        "lives": "Contact %(n)s: where they live",
    }
    return [translate(request, parts[part], n=n) for n in range(1, groups + 1) for part in services.CONTACT_PARTS]


def _export_cells(request: Request, column: str, value, groups: int) -> list:
    if column != "contacts":
        return [_export_cell(request, column, value)]
    blank = dict.fromkeys(services.CONTACT_PARTS, "")
    padded = [*value, *[blank] * (groups - len(value))]
    return [c[part] for c in padded for part in services.CONTACT_PARTS]


def _export_cell(request: Request, column: str, value):
    if column == "living":
        return {"alone": translate(request, "Lives alone"), "spouse": translate(request, "With spouse only")}.get(
            value, translate(request, "With family")
        )
    if column == "mobility":
        return {
            "limited": translate(request, "Walks with difficulty"),
            "bedridden": translate(request, "Bedridden"),
        }.get(value, translate(request, "Walks well"))
    if column == "priority":
        return translate(request, "yes") if value else ""
    if column == "sex":
        return {"M": translate(request, "Male"), "F": translate(request, "Female")}.get(value, "")
    return "" if value is None else value


class RegisterAdminController(Controller):
    guards = [requires_register]

    @get("/register/export.xlsx")
    async def export(self, request: Request, unmasked: Annotated[bool, QueryParameter()] = False) -> Response:
        """The register as .xlsx, phone numbers masked; whole numbers only for an admin, and logged either way."""
        user = current_user(request)
        made = datetime.now(UTC)  # before the rows are read: a change saved meanwhile counts as after the file
        rows = await services.export_rows(
            scope_of(request), user, settings_of(request).today(), unmasked, client_address(request)
        )
        if rows is None:
            raise PermissionDeniedException("unmasked exports are for admins")
        title = translate(request, "Register of elderly residents")
        # As many groups of contact columns as a person here has, and at least two: room to add one.
        groups = max(2, *(len(row["contacts"]) for row in rows)) if rows else 2
        # The moment it was made, on a line of its own above the header: read back by the import, so that this file
        # imported after someone changed a person here does not put the old value back (decision 0028).
        table = [[translate(request, "Register of elderly residents, exported %(time)s", time=changes.stamp(made))]]
        table += [[title for c in services.EXPORT_COLUMNS for title in _export_titles(request, c, groups)]]
        table += [
            [cell for c in services.EXPORT_COLUMNS for cell in _export_cells(request, c, row[c], groups)]
            for row in rows
        ]
        return downloads.attachment(downloads.xlsx([(title, table)]), f"{title}.xlsx")

    @get("/audit")
    async def audit_page(
        self,
        request: Request,
        action: Annotated[str, QueryParameter(max_length=32)] = "",
        who: Annotated[str, QueryParameter(max_length=32)] = "",
        day: Annotated[str, QueryParameter(max_length=10)] = "",
    ) -> Template:
        """Who read which sensitive record: admins read it and filter it by action, person and day."""
        user = current_user(request)
        if user.role != "admin":
            raise PermissionDeniedException("the audit log is for admins")
        zone = ZoneInfo(settings_of(request).timezone)
        window = None
        try:
            chosen = date.fromisoformat(day) if day else None
        except ValueError:
            chosen = None
        if chosen is not None and not AUDIT_YEARS[0] <= chosen.year <= AUDIT_YEARS[1]:
            chosen = None  # no entry is that old or that new (and year 9999 has no next day to end the window)
        if chosen is not None:
            start = datetime(chosen.year, chosen.month, chosen.day, tzinfo=zone)
            window = (start, start + timedelta(days=1))
        entries = await services.audit_entries(user, action, who, window)
        return render(
            request, "register/audit.html", entries=entries, action=action, who=who, day=day, actions=AUDIT_ACTIONS
        )


AUDIT_YEARS = (2000, 2100)  # the audit log's days, as a filter reads them
AUDIT_ACTIONS = (
    "profile.view",
    "profile.edit",
    "phone.view",
    offline.AUDIT_ACTION,
    "register.import",
    "household.view",
    "register.export",
    "register.export_unmasked",
    "sweep.export",
    "reconcile.view",
    "reconcile.export",
    "account.made",
    "account.password",
    "account.deactivated",
)
