"""Errand pages: the board, intake while on the phone, one card, the money of the day, and a resident's big-button
page. Thin: the rules are in rules.py, reads in services.py, changes in actions.py (through the sync layer)."""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException, ValidationException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, Response, Template

from server import offload
from server.access.scope import Scope
from server.errands import card_parts, intake, photos, rules, services
from server.guides.pictures import (
    MAX_UPLOAD_BYTES,
    PictureError,
    pixels_text,
    prepare_picture,
    scans_text,
    slow_text,
)
from server.i18n import translate
from server.offload import Busy, ChildFailed, ChildTimedOut, off_loop
from server.places import services as places
from server.places.worker import grid_worker_of
from server.sync import forms
from server.web.auth import current_user, requires_register
from server.web.imports import busy_text
from server.web.pages import render, safe_next, settings_of, wants_fragment
from server.web.paths import found
from server.web.slow_bodies import arrived_at


async def requires_resident(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    user = current_user(connection)
    if user is None:
        raise NotAuthorizedException("login required")
    if user.role != "resident" or user.resident_id is None:
        raise PermissionDeniedException("this page is for residents")


def _times(request: Request) -> rules.DueTimes:
    s = settings_of(request)
    return rules.DueTimes(
        medicine=s.errand_medicine_minutes,
        urgent=s.errand_urgent_minutes,
        today=s.errand_today_minutes,
        later=s.errand_later_minutes,
    )


def _day_start(request: Request) -> datetime:
    """Midnight of the community's today, for "finished today" and the money of the day."""
    s = settings_of(request)
    return datetime.combine(s.today(), time(0), tzinfo=ZoneInfo(s.timezone)).astimezone(UTC)


def refusal_text(request: Request, code: str) -> str:
    """What a refused change means, in the user's words (also given to the page for offline refusals)."""
    return {
        "taken": lambda: translate(request, "Someone else has already taken this card."),
        "already_there": lambda: translate(request, "The card is already in that state."),
        "not_allowed_now": lambda: translate(request, "That step does not follow from where the card is now."),
        "reason_needed": lambda: translate(request, "Say why the card is cancelled."),
        "not_yours": lambda: translate(request, "Only the card's grid worker can do this."),
        "finished": lambda: translate(request, "This card is closed."),
        "bad_amount": lambda: translate(request, "Write the amount in yuan, e.g. 35.5 (at most 5000)."),
        "no_such_volunteer": lambda: translate(request, "Choose a volunteer from the list."),
        "not_found": lambda: translate(request, "This card is not yours to change."),
        "changed": lambda: translate(request, "Someone changed the card at the same moment. Try again."),
        "take_first": lambda: translate(request, "Take the card first: the rider calls the worker who holds it."),
        "no_such_item": lambda: translate(request, "This item is no longer on the list."),
    }.get(code, lambda: translate(request, "That did not work. Go back and try again."))()


REFUSALS = (
    "taken",
    "already_there",
    "not_allowed_now",
    "reason_needed",
    "not_yours",
    "finished",
    "bad_amount",
    "no_such_volunteer",
    "not_found",
    "changed",
    "take_first",
    "no_such_item",
)


def _field_error(request: Request, code: str) -> str:
    return {
        "no_items": lambda: translate(request, "Write what is needed, one item per line."),
        "too_many_items": lambda: translate(request, "At most 40 items on one card."),
        "no_resident": lambda: translate(request, "Find the resident first: name, door or phone."),
        "not_in_scope": lambda: translate(request, "This person is not in your grid."),
        "too_long": lambda: translate(request, "This is too long."),
    }.get(code, lambda: translate(request, "Choose one."))()


class IntakeForm(msgspec.Struct, kw_only=True):
    card_id: uuid.UUID  # drawn with the page: a form sent twice makes one card
    resident_id: str = ""
    household_id: str = ""
    kind: str = "groceries"
    items: str = ""
    urgency: str = "today"
    payment: str = "advance"
    drop_point: str = "door"
    note: str = ""
    source: str = "call"
    source_key: str = ""


class ActionForm(msgspec.Struct, kw_only=True):
    write_id: uuid.UUID
    action: str
    to: str = ""
    reason: str = ""
    item_id: str = ""
    done: str = "1"
    substitute: str = ""
    amount: str = ""
    reimbursed: str = "0"
    deliverer_id: str = ""
    back: str = ""  # where to go after (a resident's /ask page); the card by default


def _uuid_or_none(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


async def _card_page(request: Request, card_id: uuid.UUID, status_code: int = 200, photo_error: str = "") -> Template:
    user = current_user(request)
    card = found(await services.get_card(user, card_id, datetime.now(UTC)))
    deliverers = await services.deliverers(user) if card.may_work else []
    template = "errands/_card.html" if wants_fragment(request) else "errands/card.html"
    return render(
        request,
        template,
        status_code=status_code,
        card=card,
        deliverers=deliverers,
        new_id=uuid.uuid4,
        reasons={code: refusal_text(request, code) for code in REFUSALS},
        parts=card_parts.card_parts(functools.partial(translate, request), card),
        photo_error=photo_error,
        photo_mb=MAX_UPLOAD_BYTES // 2**20,
    )


class ErrandsController(Controller):
    @get("/errands")
    async def board_page(
        self, request: Request, view: Annotated[str, QueryParameter(max_length=16)] = "grid"
    ) -> Template | Redirect:
        user = current_user(request)
        if user.role == "resident":
            return Redirect("/ask", status_code=303)
        view = view if view in services.VIEWS else "grid"
        board = await services.board(user, view, datetime.now(UTC), _day_start(request))
        template = "errands/_board.html" if wants_fragment(request) else "errands/board.html"
        # The cards in hand open offline: the phone keeps a copy of each while there is signal.
        precache = [f"/errands/{c.id}" for c in board.cards if c.assignee_id == user.id or user.role == "volunteer"]
        return render(request, template, board=board, view=view, precache=precache)

    @get("/errands/new", guards=[requires_register])
    async def intake_page(
        self,
        request: Request,
        resident: Annotated[uuid.UUID | None, QueryParameter()] = None,
        key: Annotated[str, QueryParameter(max_length=96)] = "",
    ) -> Template | Redirect:
        """The intake form. From a sweep door that needs help or a check-in that needs something (`key`), it opens
        prefilled with what was said; once that need has its card, the card opens instead."""
        household, need, source = None, "", "call"
        if key:
            scope = Scope.for_user(current_user(request))
            if existing := await intake.carded(scope, key):
                return Redirect(f"/errands/{existing}", status_code=303)
            recorded = await intake.recorded_need(scope, key)
            if recorded is None:
                key = ""
            else:
                need, place = recorded
                resident, household = place.get("resident_id"), place.get("household_id")
                source = key.partition(":")[0]
        form = IntakeForm(
            card_id=uuid.uuid4(),
            resident_id=str(resident or ""),
            household_id=str(household or ""),
            items=need,
            kind=rules.guess_kind(need),
            source=source,
            source_key=key,
        )
        chosen = await self._chosen(request, resident, household)
        return render(request, "errands/new.html", form=form, chosen=chosen, errors={})

    async def _chosen(self, request: Request, resident: uuid.UUID | None, household: uuid.UUID | None) -> dict | None:
        """Who the card is for, as the form shows them (only inside the worker's scope)."""
        return await intake.chosen(Scope.for_user(current_user(request)), resident, household)

    @get("/errands/residents", guards=[requires_register])
    async def find_resident(self, request: Request, q: Annotated[str, QueryParameter(max_length=100)] = "") -> Template:
        hits = await places.search_residents(Scope.for_user(current_user(request)), q, settings_of(request).today())
        return render(request, "errands/_resident_hits.html", hits=hits, q=q)

    @post("/errands", guards=[requires_register])
    async def create(
        self, request: Request, data: Annotated[IntakeForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
    ) -> Response:
        user = current_user(request)
        key = data.source_key
        if key and await intake.recorded_need(Scope.for_user(user), key) is None:
            key = ""  # only a need that was recorded, in the worker's scope, names a card
        form = intake.CardForm(
            id=data.card_id,
            resident_id=_uuid_or_none(data.resident_id),
            household_id=_uuid_or_none(data.household_id),
            kind=data.kind,
            items=data.items,
            urgency=data.urgency,
            payment=data.payment,
            drop_point=data.drop_point,
            note=data.note,
            source=data.source if data.source in ("call", "wechat", "sweep", "checkin") else "call",
            source_key=key or None,
        )
        try:
            card_id = await intake.create_card(Scope.for_user(user), user, form, datetime.now(UTC), _times(request))
        except intake.CardError as exc:
            chosen = await self._chosen(request, form.resident_id, form.household_id)
            errors = {k: _field_error(request, v) for k, v in exc.errors.items()}
            return render(request, "errands/new.html", status_code=400, form=data, chosen=chosen, errors=errors)
        return Redirect(f"/errands/{card_id}", status_code=303)

    @get("/errands/{errand_id:uuid}")
    async def card_page(self, request: Request, errand_id: FromPath[uuid.UUID]) -> Template | Redirect:
        user = current_user(request)
        if user.role == "resident":
            # A resident's own request is read on his page, in his type size and words, beside the call button; the
            # card's page is a worker's (16 px, 新, no call button: a stranger's walk of issue 16).
            found(await services.get_card(user, errand_id, datetime.now(UTC)))
            return Redirect(f"/ask#request-{errand_id}", status_code=303)
        return await _card_page(request, errand_id)

    @post("/errands/{errand_id:uuid}/actions")
    async def act(
        self,
        request: Request,
        errand_id: FromPath[uuid.UUID],
        data: Annotated[ActionForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response:
        """The plain-form way for every change (no script, or the phone's storage unavailable)."""
        fields = {
            "move": ("to", "reason"),
            "item": ("item_id", "done", "substitute"),
            "money": ("amount", "reimbursed"),
            "called": (),
            "handoff": ("deliverer_id",),
        }.get(data.action)
        if fields is None:
            return render(request, "error.html", status_code=400, status=400, message=refusal_text(request, ""))
        payload = {"action": data.action, "card_id": str(errand_id)} | {name: getattr(data, name) for name in fields}
        refused = await forms.submit(request, "errand.action", [(data.write_id, payload)])
        if refused is None:
            return Redirect(safe_next(data.back) if data.back else f"/errands/{errand_id}", status_code=303)
        status = 404 if refused.reason == "not_found" else 409 if refused.reason in ("taken", "changed") else 400
        return render(
            request,
            "error.html",
            status_code=status,
            status=status,
            message=refusal_text(request, refused.reason or ""),
        )

    @post(
        "/errands/{errand_id:uuid}/photos",
        request_max_body_size=MAX_UPLOAD_BYTES * 2,  # a photo and the form around it; more is refused in words
        opt={"photo_mb": MAX_UPLOAD_BYTES // 2**20},
    )
    async def add_photo(self, request: Request, errand_id: FromPath[uuid.UUID]) -> Response:
        """A photo from the form, or from a phone's outbox (a photo taken without signal, sent later with the id the
        phone made for it and Accept: application/json): the outbox gets {"status": ...} instead of the page."""
        # When the upload began to arrive, not once it is in: the phone's clock (sent_at) was read as it began, and a
        # photo on a slow signal takes minutes, which are no clock's error (photos.taken_time).
        arrived = arrived_at(request)
        raw = await request.form()
        upload, role = raw.get("photo"), str(raw.get("role") or "delivery")
        from_outbox = "application/json" in request.headers.get("accept", "")
        found(await photos.may_add_photo(current_user(request), errand_id, role) or None)  # before decoding it
        try:
            photo_id = uuid.UUID(str(raw["photo_id"])) if raw.get("photo_id") else None
        except ValueError:
            raise ValidationException("photo_id is not an id") from None  # the outbox makes valid ones
        message, reason, status = None, "", 400
        if not isinstance(upload, UploadFile) or not upload.filename:
            message, reason = translate(request, "Choose a photo first."), "no_photo"
        else:
            try:
                try:
                    picture = await off_loop(prepare_picture, read=lambda: upload.read(MAX_UPLOAD_BYTES + 1))
                except ChildTimedOut:  # killed past its time: said as such, not as pixels
                    raise PictureError("too_slow") from None
                except ChildFailed:  # past the child's memory: as a picture past the pixels
                    raise PictureError("too_many_pixels") from None
            except Busy as busy:  # a 503: a phone's outbox keeps the photo and sends it again later
                message, reason, status = busy_text(request, own=busy.whose == "person"), "busy", 503
            except PictureError as exc:
                reason = exc.code
                if exc.code == "picture_too_large":
                    message = translate(
                        request, "This photo is too large (at most %(mb)s MB).", mb=MAX_UPLOAD_BYTES // 2**20
                    )
                elif exc.code == "too_many_pixels":
                    message = pixels_text(request, exc)
                elif exc.code == "too_many_scans":
                    message = scans_text(request)
                elif exc.code == "too_slow":
                    message = slow_text(request, offload.CHILD_SECONDS)
                else:
                    message = translate(request, "This file is not a photo. Choose a JPEG or PNG picture.")
        if message is None:
            now = datetime.now(UTC)
            taken = photos.taken_time(
                _phone_time(str(raw.get("taken_at") or "")), _phone_time(str(raw.get("sent_at") or "")), arrived, now
            )
            stored = found(
                await photos.add_photo(current_user(request), errand_id, role, picture, now, photo_id, taken)
            )
            if from_outbox:
                return Response({"status": stored}, status_code=200)
            return Redirect(f"/errands/{errand_id}", status_code=303)
        if from_outbox:
            return Response({"status": "rejected", "reason": reason, "message": message}, status_code=status)
        return await _card_page(request, errand_id, status_code=status, photo_error=message)

    @get("/errands/photos/{photo_id:uuid}")
    async def photo(self, request: Request, photo_id: FromPath[uuid.UUID]) -> Response:
        data = found(await photos.photo_bytes(current_user(request), photo_id))
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})

    @get("/errands/money", guards=[requires_register])
    async def money_page(self, request: Request) -> Template:
        money = await services.money_of(current_user(request), _day_start(request))
        return render(request, "errands/money.html", money=money)


def _phone_time(text: str) -> datetime | None:
    """A time a phone's outbox sends with a photo (ISO 8601 with its offset): when it was taken, the phone's clock as
    it sent it; None when absent or unreadable."""
    try:
        moment = datetime.fromisoformat(text[:40]) if text else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


class AskController(Controller):
    """A resident asks for help from their own phone: big buttons, few words (UX.md's numbers for elderly pages)."""

    guards = [requires_resident]

    @get("/ask")
    async def ask_page(self, request: Request) -> Template:
        return await self._page(request, {}, sent=bool(request.query_params.get("sent")))

    @post("/ask")
    async def ask(self, request: Request) -> Template:
        raw = await request.form()
        kind, text = str(raw.get("kind", "")), str(raw.get("text", ""))[:500]
        card_id = _uuid_or_none(str(raw.get("card_id", ""))) or uuid.uuid4()  # drawn with the page: one card per tap
        if kind not in rules.KINDS:
            return await self._ask_again(request, {"kind": translate(request, "Tap what you need.")})
        try:
            await intake.create_own_request(
                current_user(request), card_id, kind, text, datetime.now(UTC), _times(request)
            )
        except intake.CardError as exc:
            return await self._ask_again(request, {"kind": _field_error(request, next(iter(exc.errors.values())))})
        # The page itself, saying it reached the grid worker, and not a redirect to it: that second request went
        # through the service worker, which on a stalled network answered the phone's copy of /ask after 10 s (no
        # ✓, the request not listed, though it was stored: a stranger's walk of issue 16). Sent again (a reload),
        # the same words with the same id make no second card.
        return await self._page(request, {}, sent=True)

    async def _ask_again(self, request: Request, errors: dict[str, str]) -> Template:
        return await self._page(request, errors, status_code=400)

    async def _page(
        self, request: Request, errors: dict[str, str], sent: bool = False, status_code: int = 200
    ) -> Template:
        user = current_user(request)
        board = await services.board(user, "grid", datetime.now(UTC), _day_start(request))
        worker = await grid_worker_of(user.resident_id)
        return render(
            request,
            "errands/ask.html",
            status_code=status_code,
            cards=board.cards,
            errors=errors,
            new_id=uuid.uuid4,
            worker=worker,
            sent=sent,
        )
