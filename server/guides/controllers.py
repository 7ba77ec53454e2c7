"""Guide pages for their writers (admins and grid workers). Readers open guides by link: reading.py."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from server import offload
from server.access.scope import Scope
from server.guides import services
from server.guides.links import link_of, qr_svg
from server.guides.pictures import MAX_UPLOAD_BYTES, PictureError, pixels_text, scans_text, slow_text
from server.guides.schemas import GuideCreate, GuideUpdate, StepInput
from server.guides.services import GuideError
from server.i18n import translate
from server.web.auth import current_user
from server.web.imports import busy_text
from server.web.pages import render, settings_of

WRITERS = ("admin", "grid_worker")
# Room for a picture of MAX_UPLOAD_BYTES and the form around it: a larger picture is refused in words, in place.
UPLOAD_BODY_LIMIT = MAX_UPLOAD_BYTES * 2


def _writer_scope(request: Request) -> Scope:
    user = current_user(request)
    if user.role not in WRITERS:
        raise PermissionDeniedException("guides are written by admins and grid workers")
    return Scope.for_user(user)


def _status(code: str) -> int:
    """A refusal's status, also for the codes a form's own check gives (step_empty, invalid): GuideError says them."""
    return GuideError.statuses.get(code, GuideError.default_status)


def _error_text(request: Request, code: str, picture: PictureError | None = None) -> str:
    texts = {
        "step_empty": translate(request, "Write what to do in this step."),
        "title_missing": translate(request, "Give the guide a title."),
        "not_a_picture": translate(request, "This file is not a picture. Take a screenshot or a photo and try again."),
        "picture_too_large": translate(
            request,
            "This picture is too large (at most %(mb)s MB). Take a screenshot instead.",
            mb=MAX_UPLOAD_BYTES // 2**20,
        ),
        "too_many_pixels": pixels_text(request, picture),
        "too_many_scans": scans_text(request),
        "too_slow": slow_text(request, offload.CHILD_SECONDS),
        "busy": busy_text(request),
        "busy_you": busy_text(request, own=True),
        "too_many_steps": translate(request, "A guide has at most 30 steps. Start a second guide."),
        "too_many_characters": translate(
            request, "This guide uses too many different characters for its large font. Make it shorter or split it."
        ),
        "invalid": translate(request, "Check what you wrote: a step has at most 120 characters."),
    }
    return texts.get(code) or translate(request, "That did not work. Go back and try again.")


# Writing ---------------------------------------------------------------------------------------------------------


class GuideForm(msgspec.Struct, kw_only=True):
    title: str = ""
    lang: str = "zh_CN"
    resident_id: str = ""
    contact_name: str = ""
    contact_phone: str = ""


@dataclass
class StepForm:
    text: str = ""
    tip: str = ""
    remove_picture: str = ""
    picture: UploadFile | None = None


class MoveForm(msgspec.Struct, kw_only=True):
    direction: Literal["up", "down"] = "down"


async def _picture_bytes(upload: UploadFile | None) -> bytes | None:
    if upload is None or not upload.filename:
        return None  # the file field left empty
    return await upload.read(MAX_UPLOAD_BYTES + 1)  # one byte more than allowed is enough to say "too large"


class GuidesController(Controller):
    path = "/guides"

    async def _detail(self, request: Request, guide_id: uuid.UUID):
        detail = await services.get_guide(_writer_scope(request), guide_id)
        if detail is None:
            raise NotFoundException()
        return detail

    async def _edit_page(self, request: Request, guide_id: uuid.UUID, *, status: int = 200, **extra) -> Template:
        detail = await self._detail(request, guide_id)
        link = link_of(request, detail.token)
        context = {"step_error": None, "step_form": StepForm(), "guide_error": None, **extra}
        return render(
            request,
            "guides/edit.html",
            status_code=status,
            guide=detail,
            link=link,
            qr=qr_svg(link) if link else None,
            **context,
        )

    @get("/")
    async def list_page(self, request: Request) -> Template:
        guides = await services.list_guides(_writer_scope(request))
        return render(request, "guides/list.html", guides=guides)

    @get("/new")
    async def new_page(self, request: Request, resident: FromQuery[uuid.UUID | None] = None) -> Template:
        scope = _writer_scope(request)
        reader = await services.resident_in_scope(scope, resident) if resident else None
        if resident and reader is None:
            raise NotFoundException()
        return render(request, "guides/new.html", reader=reader, form=GuideForm(), error=None)

    @post("/")
    async def create(
        self, request: Request, data: Annotated[GuideForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
    ) -> Response:
        scope = _writer_scope(request)
        reader = None
        try:
            resident_id = uuid.UUID(data.resident_id) if data.resident_id else None
            reader = await services.resident_in_scope(scope, resident_id) if resident_id else None
            create = msgspec.convert(
                {"title": data.title.strip(), "lang": data.lang, "resident_id": resident_id}, GuideCreate
            )
            guide_id = await services.create_guide(
                current_user(request), scope, create, settings_of(request).guide_font
            )
        except (ValueError, msgspec.ValidationError):
            error = _error_text(request, "title_missing")
        except GuideError as exc:
            if exc.status == 404:
                raise  # the app's handler says it (server/errors.py)
            error = _error_text(request, exc.code)
        else:
            return Redirect(f"/guides/{guide_id}", status_code=303)
        return render(request, "guides/new.html", status_code=400, reader=reader, form=data, error=error)

    @get("/{guide_id:uuid}")
    async def edit_page(self, request: Request, guide_id: FromPath[uuid.UUID]) -> Template:
        return await self._edit_page(request, guide_id)

    @post("/{guide_id:uuid}")
    async def update(
        self,
        request: Request,
        guide_id: FromPath[uuid.UUID],
        data: Annotated[GuideForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response:
        scope = _writer_scope(request)
        try:
            update = msgspec.convert(
                {
                    "title": data.title.strip(),
                    "lang": data.lang,
                    "contact_name": data.contact_name.strip(),
                    "contact_phone": data.contact_phone.strip(),
                },
                GuideUpdate,
            )
            await services.update_guide(scope, guide_id, update, settings_of(request).guide_font)
        except msgspec.ValidationError:
            return await self._edit_page(
                request, guide_id, status=400, guide_error=_error_text(request, "title_missing")
            )
        except GuideError as exc:
            if exc.status == 404:
                raise  # the app's handler says it (server/errors.py)
            return await self._edit_page(request, guide_id, status=400, guide_error=_error_text(request, exc.code))
        return Redirect(f"/guides/{guide_id}", status_code=303)

    @post(
        "/{guide_id:uuid}/steps", request_max_body_size=UPLOAD_BODY_LIMIT, opt={"photo_mb": MAX_UPLOAD_BYTES // 2**20}
    )
    async def add_step(
        self,
        request: Request,
        guide_id: FromPath[uuid.UUID],
        data: Annotated[StepForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response:
        scope = _writer_scope(request)
        try:
            step = msgspec.convert({"text": data.text.strip(), "tip": data.tip.strip()}, StepInput)
            picture = await _picture_bytes(data.picture)
            await services.add_step(scope, guide_id, step, picture, settings_of(request).guide_font)
        except msgspec.ValidationError:
            code = "step_empty" if not data.text.strip() else "invalid"
            return await self._edit_page(
                request, guide_id, status=400, step_error=_error_text(request, code), step_form=data
            )
        except GuideError as exc:
            if exc.status == 404:
                raise  # the app's handler says it (server/errors.py)
            return await self._edit_page(
                request,
                guide_id,
                status=exc.status,
                step_error=_error_text(request, exc.code, exc.picture),
                step_form=data,
            )
        return Redirect(f"/guides/{guide_id}#add-step", status_code=303)

    @get("/{guide_id:uuid}/steps/{step_id:uuid}")
    async def step_page(
        self, request: Request, guide_id: FromPath[uuid.UUID], step_id: FromPath[uuid.UUID]
    ) -> Template:
        detail = await self._detail(request, guide_id)
        step = next((s for s in detail.steps if s.id == step_id), None)
        if step is None:
            raise NotFoundException()
        form = StepForm(text=step.text, tip=step.tip)
        return render(request, "guides/step.html", guide=detail, step=step, form=form, error=None)

    @post(
        "/{guide_id:uuid}/steps/{step_id:uuid}",
        request_max_body_size=UPLOAD_BODY_LIMIT,
        opt={"photo_mb": MAX_UPLOAD_BYTES // 2**20},
    )
    async def update_step(
        self,
        request: Request,
        guide_id: FromPath[uuid.UUID],
        step_id: FromPath[uuid.UUID],
        data: Annotated[StepForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response:
        scope = _writer_scope(request)
        try:
            step = msgspec.convert({"text": data.text.strip(), "tip": data.tip.strip()}, StepInput)
            picture = await _picture_bytes(data.picture)
            await services.update_step(
                scope, guide_id, step_id, step, picture, bool(data.remove_picture), settings_of(request).guide_font
            )
        except (msgspec.ValidationError, GuideError) as exc:
            code = getattr(exc, "code", "step_empty" if not data.text.strip() else "invalid")
            if code == "not_found":
                raise  # the app's handler says it (server/errors.py)
            detail = await self._detail(request, guide_id)
            current = next((s for s in detail.steps if s.id == step_id), None)
            if current is None:
                raise NotFoundException() from None
            return render(
                request,
                "guides/step.html",
                status_code=_status(code),
                guide=detail,
                step=current,
                form=data,
                error=_error_text(request, code, getattr(exc, "picture", None)),
            )
        return Redirect(f"/guides/{guide_id}#step-{step_id}", status_code=303)

    @get("/{guide_id:uuid}/steps/{step_id:uuid}/picture")
    async def step_picture(
        self, request: Request, guide_id: FromPath[uuid.UUID], step_id: FromPath[uuid.UUID]
    ) -> Response:
        detail = await self._detail(request, guide_id)
        if not any(s.id == step_id and s.has_picture for s in detail.steps):
            raise NotFoundException()
        picture = await services.writer_picture(guide_id, step_id)
        return Response(picture, media_type="image/jpeg", headers={"Cache-Control": "private, no-cache"})

    @post("/{guide_id:uuid}/steps/{step_id:uuid}/delete")
    async def delete_step(
        self, request: Request, guide_id: FromPath[uuid.UUID], step_id: FromPath[uuid.UUID]
    ) -> Response:
        await services.delete_step(_writer_scope(request), guide_id, step_id, settings_of(request).guide_font)
        return Redirect(f"/guides/{guide_id}", status_code=303)

    @post("/{guide_id:uuid}/steps/{step_id:uuid}/move")
    async def move_step(
        self,
        request: Request,
        guide_id: FromPath[uuid.UUID],
        step_id: FromPath[uuid.UUID],
        data: Annotated[MoveForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response:
        await services.move_step(_writer_scope(request), guide_id, step_id, data.direction)
        return Redirect(f"/guides/{guide_id}#step-{step_id}", status_code=303)

    @post("/{guide_id:uuid}/link")
    async def new_link(self, request: Request, guide_id: FromPath[uuid.UUID]) -> Response:
        await services.new_link(_writer_scope(request), guide_id)
        return Redirect(f"/guides/{guide_id}#share", status_code=303)

    @post("/{guide_id:uuid}/link/withdraw")
    async def withdraw_link(self, request: Request, guide_id: FromPath[uuid.UUID]) -> Response:
        await services.withdraw_link(_writer_scope(request), guide_id)
        return Redirect(f"/guides/{guide_id}#share", status_code=303)
