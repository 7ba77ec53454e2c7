"""Reconcile pages: upload a list, preview it (nothing saved), save it, then act on who is missing.

The upload, the mapping step and the saving share one multipart form: the preview page carries the parsed list
(server.imports.draft) so that changing a column's field or saving needs no second upload.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from server.access.scope import Scope
from server.audit.services import record_read
from server.i18n import translate
from server.imports.columns import FIELDS
from server.imports.reader import ImportProblem
from server.reconcile import actions, missing, person_sweeps, results, schemas, services, workbook
from server.web import downloads, imports
from server.web.auth import client_address, current_user, requires_register, scope_of
from server.web.pages import render, settings_of, wants_fragment
from server.web.paths import found

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _uuids(data: dict[str, Any], key: str) -> list[uuid.UUID]:
    out = []
    for value in imports.values(data, key):
        try:
            out.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return out


def _choices(data: dict[str, Any]) -> dict[int, str]:
    return imports.column_choices(data, FIELDS)


def error_text(request: Request, code: str) -> str:
    texts = {
        "building_out_of_scope": translate(request, "Choose buildings of your own grid."),
        "nothing_matched": translate(
            request,
            "Nobody on this list is in your register. Is it a list from another community or grid? Nothing was saved.",
        ),
        "no_identifying_column": translate(
            request, "No column holds names, phone numbers or ID numbers. Choose what each column holds below."
        ),
        "no_rows": translate(request, "The file has a header but no people under it."),
        "invalid_reason": translate(request, "Invalid input."),
        "not_a_candidate": translate(request, "Choose one of the people listed."),
        "sex_needed": translate(request, "Choose male or female."),
        "door_not_found": translate(request, "No such door in your grid. Write it like 2-1-301."),
        "not_open": translate(request, "This row has already been dealt with."),
        "sweep_not_found": translate(request, "Not found, or not in your grid."),
        "not_a_person_sweep": translate(request, "Only a sweep of each person can be reconciled."),
    }
    return texts.get(code) or translate(request, "That did not work. Go back and try again.")


def _reconcile_scope(request: Request) -> Scope:
    return scope_of(request)


async def _index(request: Request, *, error: str | None = None, status_code: int = 200) -> Template:
    scope = _reconcile_scope(request)
    return render(
        request,
        "reconcile/index.html",
        status_code=status_code,
        error=error,
        buildings=await services.buildings_in_scope(scope),
        recent=await results.list_reconciliations(scope),
        sweeps=await person_sweeps.person_sweeps(scope),
    )


class ReconcileController(Controller):
    path = "/reconcile"
    guards = [requires_register]

    @get("/")
    async def index(self, request: Request) -> Template:
        return await _index(request)

    @post("/preview", request_max_body_size=imports.MAX_REQUEST, opt=imports.LIST_OPT)
    async def preview(self, request: Request, data: imports.Multipart) -> Template:
        """Read the file (or the draft a preview carried) and show what saving would give. Saves nothing."""
        scope = _reconcile_scope(request)
        try:
            draft = await imports.read_draft(data)
            result = await services.preview(scope, draft, _choices(data), _uuids(data, "building_ids"))
        except ImportProblem as problem:
            return await _index(
                request, error=imports.problem_text(request, problem), status_code=imports.problem_status(problem)
            )
        except services.ReconcileError as error:
            return await _index(request, error=error_text(request, error.code), status_code=400)
        return render(request, "reconcile/preview.html", preview=result, fields=FIELDS, error=None)

    @post("/", request_max_body_size=imports.MAX_REQUEST, opt=imports.LIST_OPT)
    async def save(self, request: Request, data: imports.Multipart) -> Response:
        scope = _reconcile_scope(request)
        try:
            draft = await imports.read_draft(data)
            rec_id = await services.save(
                current_user(request), scope, draft, _choices(data), _uuids(data, "building_ids"), datetime.now(UTC)
            )
        except ImportProblem as problem:
            return await _index(
                request, error=imports.problem_text(request, problem), status_code=imports.problem_status(problem)
            )
        except services.ReconcileError as error:
            # Saving refused (the register changed, or a crafted form): the preview again, with the reason.
            result = await services.preview(scope, draft, _choices(data), [])
            return render(
                request,
                "reconcile/preview.html",
                status_code=400,
                preview=result,
                fields=FIELDS,
                error=error_text(request, error.code),
            )
        return Redirect(f"/reconcile/{rec_id}", status_code=303)

    @get("/{rec_id:uuid}")
    async def result_page(
        self,
        request: Request,
        rec_id: FromPath[uuid.UUID],
        building: FromQuery[str] = "",
        todo: FromQuery[str] = "",
        page: FromQuery[str] = "1",
    ) -> Template:
        """The result; the missing list with one building open (?building=), a page of its doors (?page=), only
        those with no reason yet (?todo=1). htmx gets the missing list alone."""
        result = found(await results.get_result(_reconcile_scope(request), rec_id, settings_of(request).today()))
        # Whole phone numbers are on the page (tap to call): a read of sensitive data, as the household page is.
        await record_read(current_user(request), "reconcile.view", "reconciliation", rec_id, client_address(request))
        shown = missing.missing_list(
            result.missing, open_id=_uuid_or_none(building), todo_only=todo == "1", page=_page(page)
        )
        context = {"rec_id": rec_id, "missing": shown, "reasons": schemas.REASONS}
        if wants_fragment(request):  # a building opened or closed, another page, the filter: the list alone
            return render(request, "reconcile/_missing.html", **context)
        return render(
            request, "reconcile/result.html", result=result, missing_groups=missing.group(result.missing), **context
        )

    @post("/{rec_id:uuid}/reasons")
    async def record_reason(self, request: Request, rec_id: FromPath[uuid.UUID], data: Form) -> Response:
        """Why someone is missing (resident_id), or everyone missing at a door (household_id)."""
        await _visible(request, rec_id)
        resident_id = _first_uuid(data, "resident_id")
        household_id = _first_uuid(data, "household_id")
        reason = str(data.get("reason", ""))
        if (resident_id is None) == (household_id is None) or reason not in (*schemas.REASONS, ""):
            return _error(request, "invalid_reason", 400)
        user, scope = current_user(request), _reconcile_scope(request)
        if resident_id is not None:
            done = await actions.record_reason(user, scope, rec_id, resident_id, reason)
        else:
            done = await actions.record_door_reason(user, scope, rec_id, household_id, reason)
        if not done:
            raise NotFoundException()
        result = found(await results.get_result(scope, rec_id, settings_of(request).today()))
        person = next((p for p in result.missing if p.resident_id == resident_id), None)
        groups = missing.group(result.missing)
        # found(): someone else may have decided in the meantime that this person was on the list after all.
        building, door = found(missing.find_door(groups, person.household_id if person else household_id))
        todo_only = data.get("todo") == "1"
        if wants_fragment(request):  # htmx: only this card (or door) comes back, and the counts that changed
            return render(
                request,
                "reconcile/_reason_answer.html",
                p=person,
                d=door,
                b=building,
                todo=sum(b.todo for b in groups),
                todo_only=todo_only,
                rec_id=rec_id,
                reasons=schemas.REASONS,
            )
        return Redirect(_back_to_door(rec_id, building, door, resident_id, todo_only), status_code=303)

    @post("/{rec_id:uuid}/rows/{row_id:uuid}/decide")
    async def decide(
        self, request: Request, rec_id: FromPath[uuid.UUID], row_id: FromPath[uuid.UUID], data: Form
    ) -> Response:
        await _visible(request, rec_id)
        choice = str(data.get("resident_id", ""))
        if choice not in ("", "none"):
            resident_id = _first_uuid(data, "resident_id")
            if resident_id is None:
                return _error(request, "not_a_candidate", 400)
        else:
            resident_id = None
            if choice == "":
                return _error(request, "not_a_candidate", 400)
        try:
            done = await actions.decide(current_user(request), _reconcile_scope(request), rec_id, row_id, resident_id)
        except services.ReconcileError as error:
            return _error(request, error.code, 400)
        if not done:
            raise NotFoundException()
        return Redirect(f"/reconcile/{rec_id}#ambiguous", status_code=303)

    @post("/{rec_id:uuid}/rows/{row_id:uuid}/add")
    async def add_to_register(
        self, request: Request, rec_id: FromPath[uuid.UUID], row_id: FromPath[uuid.UUID], data: Form
    ) -> Response:
        await _visible(request, rec_id)
        try:
            await actions.add_to_register(
                current_user(request),
                _reconcile_scope(request),
                rec_id,
                row_id,
                str(data.get("door", ""))[:64],
                str(data.get("sex", "")),
            )
        except services.ReconcileError as error:
            if (
                error.code == "not_open"
                and await results.get_result(_reconcile_scope(request), rec_id, settings_of(request).today()) is None
            ):
                raise NotFoundException() from None
            return _error(request, error.code, 400)
        return Redirect(f"/reconcile/{rec_id}#list-only", status_code=303)

    @post("/{rec_id:uuid}/revisit")
    async def revisit(self, request: Request, rec_id: FromPath[uuid.UUID]) -> Response:
        """A revisit sweep of the missing people's buildings, in one tap."""
        today = settings_of(request).today()
        scope = _reconcile_scope(request)
        result = found(await results.get_result(scope, rec_id, today))
        name = translate(request, "Revisit: %(name)s", name=downloads.list_name(result.summary.title))
        sweep_id = await actions.revisit_sweep(current_user(request), scope, rec_id, name, today)
        if sweep_id is None:
            return _error(request, "nobody_missing", 400)
        return Redirect(f"/sweeps/{sweep_id}", status_code=303)

    @post("/sweeps/{sweep_id:uuid}")
    async def from_sweep(self, request: Request, sweep_id: FromPath[uuid.UUID]) -> Response:
        """Item 5: a person sweep's outcomes reconciled with no file."""
        try:
            rec_id = await person_sweeps.from_sweep(
                current_user(request), _reconcile_scope(request), sweep_id, datetime.now(UTC)
            )
        except services.ReconcileError as error:
            if error.status == 404:
                raise  # the app's handler says it (server/errors.py)
            return _error(request, error.code, 400)
        return Redirect(f"/reconcile/{rec_id}", status_code=303)

    @get("/{rec_id:uuid}/export")
    async def export(self, request: Request, rec_id: FromPath[uuid.UUID]) -> Response:
        """The result as .xlsx: the missing with reasons, people on the list only, rows to decide, counts. Audited."""
        user = current_user(request)
        if user.role not in ("admin", "grid_worker"):
            raise PermissionDeniedException()
        result = found(await results.get_result(_reconcile_scope(request), rec_id, settings_of(request).today()))
        await record_read(user, "reconcile.export", "reconciliation", rec_id, client_address(request))
        body = workbook.result_workbook(request, result)
        suffix = translate(request, "reconciled")
        return downloads.attachment(body, f"{downloads.list_name(result.summary.title)}-{suffix}.xlsx")


async def _visible(request: Request, rec_id: uuid.UUID) -> None:
    """Another grid's reconciliation is answered 404 before anything about the form is said."""
    if not await results.is_visible(_reconcile_scope(request), rec_id):
        raise NotFoundException()


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:  # a link typed wrong: the list with no building open, not an error
        return None


def _page(value: str) -> int:
    return int(value) if value.isdigit() and len(value) <= 6 else 1


def _back_to_door(
    rec_id: uuid.UUID,
    building: schemas.MissingBuilding,
    door: schemas.MissingDoor,
    resident_id: uuid.UUID | None,
    todo_only: bool,
) -> str:
    """Without JavaScript the page comes back as she left it: the building open at the page of the door, the
    filter kept, scrolled to the person (or the door; or the building, when the filter has just hidden the door)."""
    query: dict[str, Any] = {"building": building.building_id}
    at = missing.page_of(building, door.household_id, todo_only)
    if at > 1:
        query["page"] = at
    if todo_only:
        query["todo"] = 1
        anchor = f"d-{door.household_id}" if door.todo else f"b-{building.building_id}"
    else:
        anchor = f"m-{resident_id}" if resident_id else f"d-{door.household_id}"
    return f"/reconcile/{rec_id}?{urlencode(query)}#{anchor}"


def _first_uuid(data: dict[str, Any], key: str) -> uuid.UUID | None:
    values = _uuids(data, key)
    return values[0] if values else None


def _error(request: Request, code: str, status: int) -> Template:
    message = (
        translate(request, "Nobody is missing: there is no door to revisit.")
        if code == "nobody_missing"
        else error_text(request, code)
    )
    return render(request, "error.html", status_code=status, status=status, message=message)
