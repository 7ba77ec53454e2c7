"""Sweep pages: create one, follow its progress, and tick doors floor by floor.

Every tick made on a page goes through the same sync path as the phone's offline outbox (POST /api/v1/sync):
the page's form carries a tick id made when the page was drawn, so a double tap or a resent form stores one tick.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from server.access.scope import Scope
from server.audit.services import record_read
from server.i18n import translate
from server.places import services as places
from server.sweeps import floors, queries, workbook
from server.sweeps.door_words import door_words
from server.sweeps.export import export_rows
from server.sweeps.pages import SweepEnded, ended_page, found_or_ended, progress_page
from server.sweeps.schemas import SweepCreate
from server.sweeps.services import SweepError, create_door_sweep, create_sweep
from server.sweeps.team import COORDINATORS
from server.sync import forms
from server.sync import services as sync
from server.web import downloads
from server.web.auth import client_address, current_user
from server.web.pages import render, safe_next, settings_of
from server.web.paths import FloorNumber, UnitNumber, found


class SweepForm(msgspec.Struct, kw_only=True):
    name: str = ""
    day: str = ""
    purpose: str = ""
    subject: str = "households"
    building_ids: list[str] | str = []
    unit_ids: list[str] | str = []


class FloorTickForm(msgspec.Struct, kw_only=True):
    form_token: uuid.UUID  # drawn with the page: the ticks' ids derive from it, so a resent form stores nothing new
    household_id: list[uuid.UUID] | uuid.UUID
    outcome: Literal["nobody_home"]
    back: str = "/"


def _tick_id(token: uuid.UUID, payload: dict) -> uuid.UUID:
    """The id of an answer sent by a page's plain form: made of the page's token and what the answer says. The same
    form sent twice (a double tap, a resend after a lost answer) is stored once; another answer sent from the same
    page, before its redirect came back, is another tick (issue 14: a second tap is recorded, never refused as a
    form used twice)."""
    return uuid.uuid5(token, msgspec.json.encode(payload).decode())


class TickForm(msgspec.Struct, kw_only=True):
    tick_id: uuid.UUID  # the page's token (see _tick_id)
    household_id: uuid.UUID
    outcome: str
    resident_id: uuid.UUID | None = None  # a person sweep's answer for one person
    help_needed: str = ""
    note: str = ""
    back: str = "/"  # the floor page to return to


def _reason_text(request: Request, reason: str | None) -> str:
    texts = {
        "outside_sweep": translate(request, "This door is not in this sweep."),
        "not_allowed": translate(request, "You cannot record doors in this sweep."),
        "help_not_described": translate(request, "Write what help is needed."),
        "unknown_door": translate(request, "Door not found."),
        "id_reused": translate(request, "This form was already used. Reload the page."),
        "outside_claim": translate(request, "Claim these floors first: someone else may be sweeping them."),
        "sweep_closed": translate(
            request, "The sweep has ended and these floors were not yours. Tell the coordinator what you found."
        ),
        "signed_out": translate(
            request,
            "You were signed out of this sweep: kept on this phone, and sent once you join again with a new code.",
        ),
    }
    return texts.get(reason or "") or translate(request, "That did not work. Go back and try again.")


def _door_ids(text: str) -> set[uuid.UUID]:
    """Doors named in a query parameter (?kept=id,id: left as they were by the whole floor's nobody-home); the page
    names only those of its own floor, so a crafted link can make it say nothing else."""
    ids = set()
    for part in text.split(",")[:50]:
        try:
            ids.add(uuid.UUID(part))
        except ValueError:
            continue
    return ids


# Why a tick can be refused, said in words on the door screen when the phone's outbox hears it (marks.js).
TICK_REASONS = (
    "outside_sweep",
    "not_allowed",
    "help_not_described",
    "unknown_door",
    "id_reused",
    "outside_claim",
    "sweep_closed",
    "signed_out",
)


async def _coordinator_scope(request: Request) -> Scope:
    user = current_user(request)
    if user.role not in COORDINATORS:
        raise PermissionDeniedException("coordinators only")
    return Scope.for_user(user)


async def _buildings_in_scope(request: Request, scope: Scope) -> list:
    summary = await places.community_summary(scope, settings_of(request).today())
    buildings = []
    for grid in summary.grids:
        buildings += await places.list_buildings(scope, grid.id) or []
    return buildings


async def _submit_ticks(
    request: Request, sweep_id: uuid.UUID, ticks: list[tuple[uuid.UUID, dict]], back: str
) -> Response:
    if not ticks:
        return Redirect(safe_next(back), status_code=303)
    refused = await forms.submit(request, "sweep.tick", [(i, {"sweep_id": str(sweep_id), **p}) for i, p in ticks])
    if refused is None:
        return Redirect(safe_next(back), status_code=303)
    status = {"not_allowed": 403, "outside_claim": 403, "unknown_door": 404}.get(refused.reason or "", 400)
    return render(
        request, "error.html", status_code=status, status=status, message=_reason_text(request, refused.reason)
    )


class SweepsController(Controller):
    path = "/sweeps"
    exception_handlers = {SweepEnded: ended_page}

    @get("/new")
    async def new_sweep_page(self, request: Request) -> Template:
        scope = await _coordinator_scope(request)
        buildings = await _buildings_in_scope(request, scope)
        today = settings_of(request).today()
        form = SweepForm(
            name=translate(request, "Sweep of %(day)s", day=f"{today.month}/{today.day}"), day=today.isoformat()
        )
        return render(
            request,
            "sweeps/new.html",
            buildings=buildings,
            units=await queries.units_of([b.id for b in buildings]),
            form=form,
            error=None,
            chosen=set(),
        )

    @post("/")
    async def create(
        self, request: Request, data: Annotated[SweepForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
    ) -> Response:
        scope = await _coordinator_scope(request)
        chosen = [data.building_ids] if isinstance(data.building_ids, str) else data.building_ids
        chosen_units = [data.unit_ids] if isinstance(data.unit_ids, str) else data.unit_ids
        error = None
        try:
            sweep_id = await create_sweep(
                current_user(request),
                scope,
                msgspec.convert(
                    {
                        "name": data.name.strip(),
                        "day": data.day,
                        "purpose": data.purpose,
                        "subject": data.subject,
                        "building_ids": chosen,
                        "unit_ids": chosen_units,
                    },
                    SweepCreate,
                ),
            )
        except msgspec.ValidationError:
            error = translate(request, "Give the sweep a name and a date, and choose at least one building.")
        except SweepError as exc:
            error = (
                translate(request, "Give the sweep a name and a date, and choose at least one building.")
                if exc.code == "nothing_chosen"
                else translate(request, "Choose buildings of your own grid.")
            )
        if error:
            buildings = await _buildings_in_scope(request, scope)
            return render(
                request,
                "sweeps/new.html",
                status_code=400,
                buildings=buildings,
                units=await queries.units_of([b.id for b in buildings]),
                form=data,
                error=error,
                chosen=set(chosen) | set(chosen_units),
            )
        return Redirect(f"/sweeps/{sweep_id}", status_code=303)

    @get("/{sweep_id:uuid}")
    async def sweep_page(
        self, request: Request, sweep_id: FromPath[uuid.UUID], unit: FromQuery[uuid.UUID | None] = None
    ) -> Template:
        return await progress_page(request, sweep_id, open_unit=unit)

    @post("/{sweep_id:uuid}/revisit")
    async def revisit(self, request: Request, sweep_id: FromPath[uuid.UUID]) -> Response:
        """One tap: a follow-up sweep of every door still open (not visited, nobody home, come back, partial)."""
        scope = await _coordinator_scope(request)
        user = current_user(request)
        detail = found(await queries.get_sweep(user, sweep_id))
        doors = await queries.open_doors(user, sweep_id)
        if not doors:
            return await progress_page(
                request,
                sweep_id,
                detail,
                status_code=400,
                error=translate(request, "Every door has an answer: there is nothing to revisit."),
            )
        new_id = await create_door_sweep(
            user,
            scope,
            translate(request, "Revisit: %(name)s", name=detail.name),
            settings_of(request).today(),
            doors,
            subject=detail.subject,
            purpose=detail.purpose,
            follows=sweep_id,
        )
        return Redirect(f"/sweeps/{new_id}", status_code=303)

    @get("/{sweep_id:uuid}/buildings/{building_id:uuid}/units/{unit:int}/floors/{floor:int}")
    async def floor_page(
        self,
        request: Request,
        sweep_id: FromPath[uuid.UUID],
        building_id: FromPath[uuid.UUID],
        unit: UnitNumber,
        floor: FloorNumber,
    ) -> Template:
        screen = await found_or_ended(
            request, await floors.floor_screen(current_user(request), sweep_id, building_id, unit, floor), sweep_id
        )
        return render(
            request,
            "sweeps/floor.html",
            screen=screen,
            new_id=uuid.uuid4,
            message=None,
            # As JSON with the Chinese as it is (tojson writes \uXXXX, six bytes a character): 0.4 KB less a page.
            reasons=msgspec.json.encode({reason: _reason_text(request, reason) for reason in TICK_REASONS}).decode(),
            kept=_door_ids(request.query_params.get("kept", "")),
        )

    @get("/{sweep_id:uuid}/doors/{household_id:uuid}")
    async def door_page(
        self, request: Request, sweep_id: FromPath[uuid.UUID], household_id: FromPath[uuid.UUID]
    ) -> Template:
        """One door for its coordinator: each person's last word there, when it was said and heard, their notes."""
        door = found(await door_words(current_user(request), sweep_id, household_id))
        return render(request, "sweeps/door.html", door=door)

    @get("/{sweep_id:uuid}/export/{fmt:str}")
    async def export(self, request: Request, sweep_id: FromPath[uuid.UUID], fmt: FromPath[str]) -> Response:
        """The results as .xlsx or .csv (UTF-8 with BOM, so that Excel reads the Chinese). Exports are audited."""
        if fmt not in ("csv", "xlsx"):
            raise NotFoundException()
        user = current_user(request)
        found_rows = await export_rows(user, sweep_id)
        if found_rows is None:
            raise NotFoundException()
        name, rows = found_rows
        await record_read(user, "sweep.export", "sweep", sweep_id, client_address(request))
        table = workbook.export_table(request, rows)
        filename = downloads.list_name(name)  # a revisit sweep made before names without ".csv" downloaded as .csv.csv
        if fmt == "csv":
            # "text/csv": Litestar adds "; charset=utf-8" itself (it was said twice)
            return downloads.attachment(downloads.csv_bytes(table), f"{filename}.csv", "text/csv")
        return downloads.attachment(downloads.xlsx([(name, table)]), f"{filename}.xlsx")

    @post("/{sweep_id:uuid}/floor-ticks")
    async def record_floor(
        self,
        request: Request,
        sweep_id: FromPath[uuid.UUID],
        data: Annotated[FloorTickForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response:
        """ "Whole floor nobody home", confirmed: one tick per door that still has no outcome when the form arrives.
        Doors recorded since the page was drawn keep their outcome, and the floor page names them."""
        doors = data.household_id if isinstance(data.household_id, list) else [data.household_id]
        send, kept = await floors.nobody_home_left(
            current_user(request), sweep_id, doors[: sync.MAX_BATCH], data.form_token
        )
        ticks = [(tick, {"household_id": str(door), "outcome": data.outcome, "bulk": True}) for tick, door in send]
        back = safe_next(data.back)
        if kept:
            back += ("&" if "?" in back else "?") + urlencode({"kept": ",".join(str(door) for door in kept)})
        return await _submit_ticks(request, sweep_id, ticks, back)

    @post("/{sweep_id:uuid}/ticks")
    async def record_tick(
        self,
        request: Request,
        sweep_id: FromPath[uuid.UUID],
        data: Annotated[TickForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response:
        payload = {
            "household_id": str(data.household_id),
            "outcome": data.outcome,
            "help_needed": data.help_needed,
            "note": data.note,
        }
        if data.resident_id:
            payload["resident_id"] = str(data.resident_id)
        back = data.back if "#" in data.back else f"{data.back}#d-{data.household_id}"  # back at the door just recorded
        return await _submit_ticks(request, sweep_id, [(_tick_id(data.tick_id, payload), payload)], back)
