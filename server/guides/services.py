"""Writing guides (grid workers and admins, through a Scope) and reading them by link (anyone holding the link).

Who may write what: a shared guide belongs to the community, and every admin and grid worker of it may edit it; a
personal guide belongs to one resident, and only those who may see that resident (their grid's worker, the admin)
see or edit it. Anything else is answered as if it did not exist. Every write lands whole or not at all.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

import anyio.to_thread

from server.access.scope import CurrentUser, Scope
from server.db import write_transaction
from server.errors import DomainError
from server.guides import fonts
from server.guides.pictures import PictureError, prepare_picture
from server.guides.schemas import (
    GoneLink,
    GuideCreate,
    GuideDetail,
    GuideSummary,
    GuideUpdate,
    ReaderGuide,
    Step,
    StepInput,
)
from server.guides.tables import Guide, GuideFont, GuideLink, GuideStep
from server.offload import Busy, ChildFailed, ChildTimedOut, off_loop
from server.places.tables import Resident
from server.places.worker import standing_in_for

MAX_STEPS = 30


class GuideError(DomainError):
    """A write refused; `code` picks the message shown, and nothing was changed."""

    # 503 when no reader came free in time (it may be sent again as it is)
    statuses = {"not_found": 404, "busy": 503, "busy_you": 503}

    def __init__(self, code: str, picture: PictureError | None = None) -> None:
        super().__init__(code)
        self.picture = picture  # a picture refused: its size and limit, for the message


def _now() -> datetime:
    return datetime.now(UTC)


def new_token() -> str:
    """256 random bits: a link nobody can guess or count through."""
    return secrets.token_urlsafe(32)


_STEP_COLUMNS = (
    GuideStep.id,
    GuideStep.position,
    GuideStep.text,
    GuideStep.tip,
    GuideStep.picture_width,
    GuideStep.picture_height,
)


async def _steps(guide_id: uuid.UUID) -> list[Step]:
    rows = await GuideStep.select(*_STEP_COLUMNS).where(GuideStep.guide == guide_id).order_by(GuideStep.position)
    return [
        Step(
            id=row["id"],
            position=row["position"],
            text=row["text"],
            tip=row["tip"],
            has_picture=row["picture_width"] > 0,  # set with the picture, so the bytes stay unread here
            picture_width=row["picture_width"],
            picture_height=row["picture_height"],
        )
        for row in rows
    ]


_GUIDE_COLUMNS = (
    Guide.id,
    Guide.community,
    Guide.resident,
    Guide.title,
    Guide.lang,
    Guide.contact_name,
    Guide.contact_phone,
    Guide.font_key,
    Guide.updated_at,
    Guide.resident.name.as_alias("resident_name"),
    Guide.resident.household.door.as_alias("door"),
    Guide.resident.household.building.grid.as_alias("grid"),
)


def _visible(scope: Scope, row: dict) -> bool:
    if row["community"] != scope.community_id:
        return False
    return row["resident"] is None or scope.allows_grid(row["grid"])


async def _guide_row(scope: Scope, guide_id: uuid.UUID) -> dict | None:
    row = await Guide.select(*_GUIDE_COLUMNS).where(Guide.id == guide_id).first()
    return row if row is not None and _visible(scope, row) else None


async def _found(scope: Scope, guide_id: uuid.UUID) -> dict:
    row = await _guide_row(scope, guide_id)
    if row is None:
        raise GuideError("not_found")
    return row


async def _active_token(guide_id: uuid.UUID) -> str | None:
    row = (
        await GuideLink.select(GuideLink.token)
        .where((GuideLink.guide == guide_id) & GuideLink.withdrawn_at.is_null())
        .order_by(GuideLink.created_at, ascending=False)
        .first()
    )
    return row["token"] if row else None


# Reading lists and one guide, for writers ----------------------------------------------------------------------


async def list_guides(scope: Scope) -> list[GuideSummary]:
    """Shared guides of the community and the personal guides of residents in scope, newest first."""
    rows = (
        await Guide.select(*_GUIDE_COLUMNS)
        .where(Guide.community == scope.community_id)
        .order_by(Guide.updated_at, ascending=False)
    )
    rows = [row for row in rows if _visible(scope, row)]
    counts: dict[uuid.UUID, int] = {}
    if rows:
        for step in await GuideStep.select(GuideStep.guide).where(GuideStep.guide.is_in([r["id"] for r in rows])):
            counts[step["guide"]] = counts.get(step["guide"], 0) + 1
    return [
        GuideSummary(
            id=row["id"],
            title=row["title"],
            lang=row["lang"],
            steps=counts.get(row["id"], 0),
            resident_name=row["resident_name"],
            door=row["door"],
            updated_at=row["updated_at"],
        )
        for row in rows
    ]


async def get_guide(scope: Scope, guide_id: uuid.UUID) -> GuideDetail | None:
    row = await _guide_row(scope, guide_id)
    if row is None:
        return None
    return GuideDetail(
        id=row["id"],
        title=row["title"],
        lang=row["lang"],
        contact_name=row["contact_name"],
        contact_phone=row["contact_phone"],
        resident_id=row["resident"],
        resident_name=row["resident_name"],
        door=row["door"],
        steps=await _steps(guide_id),
        token=await _active_token(guide_id),
        font_key=row["font_key"],
    )


async def resident_in_scope(scope: Scope, resident_id: uuid.UUID) -> dict | None:
    """The name and door of a resident the writer may write a personal guide for."""
    row = (
        await Resident.select(
            Resident.id,
            Resident.name,
            Resident.community,
            Resident.household.door.as_alias("door"),
            Resident.household.building.grid.as_alias("grid"),
        )
        .where(Resident.id == resident_id)
        .first()
    )
    if row is None or row["community"] != scope.community_id or not scope.allows_grid(row["grid"]):
        return None
    return row


# The font subset: made before a write's transaction, checked again inside it ------------------------------------


def _texts(guide: dict, steps: list[dict]) -> list[str]:
    return [guide["title"], guide["contact_name"], guide["contact_phone"]] + [
        part for step in steps for part in (step["text"], step["tip"])
    ]


async def _subset_for(font_path: str, texts: list[str]) -> tuple[str, bytes | None, int]:
    """The key of the subset for these texts, and the subset itself when it is not stored yet."""
    if not fonts.font_available(font_path):
        return "", None, 0
    chars = fonts.characters_of(*texts)
    key = fonts.subset_key(font_path, chars)
    if await GuideFont.exists().where(GuideFont.key == key):
        return key, None, 0
    woff2, glyphs = await anyio.to_thread.run_sync(fonts.make_subset, font_path, chars)
    if len(woff2) > fonts.MAX_SUBSET_BYTES:
        raise GuideError("too_many_characters")
    return key, woff2, glyphs


async def _store_font(guide_id: uuid.UUID, font_path: str, key: str, woff2: bytes | None, glyphs: int) -> None:
    """Inside the write's transaction: re-read what is stored now (a concurrent edit may have changed it)."""
    guide = await Guide.select(Guide.title, Guide.contact_name, Guide.contact_phone).where(Guide.id == guide_id).first()
    steps = await GuideStep.select(GuideStep.text, GuideStep.tip).where(GuideStep.guide == guide_id)
    texts = _texts(guide, steps)
    if fonts.font_available(font_path) and fonts.subset_key(font_path, fonts.characters_of(*texts)) != key:
        key, woff2, glyphs = await _subset_for(font_path, texts)
    if woff2 is not None:
        await GuideFont.insert(GuideFont(key=key, woff2=woff2, glyphs=glyphs, created_at=_now())).on_conflict(
            target=GuideFont.key, action="DO NOTHING"
        )
    await Guide.update({Guide.font_key: key, Guide.updated_at: _now()}).where(Guide.id == guide_id)


async def _stored_texts(guide_id: uuid.UUID) -> tuple[dict, list[dict]]:
    guide = await Guide.select(Guide.title, Guide.contact_name, Guide.contact_phone).where(Guide.id == guide_id).first()
    steps = (
        await GuideStep.select(GuideStep.id, GuideStep.text, GuideStep.tip)
        .where(GuideStep.guide == guide_id)
        .order_by(GuideStep.position)
    )
    return guide, steps


# Writes ---------------------------------------------------------------------------------------------------------


async def create_guide(user: CurrentUser, scope: Scope, data: GuideCreate, font_path: str) -> uuid.UUID:
    """A new guide with no steps yet, and its link. The author is the one to call until someone changes it."""
    if data.resident_id is not None and await resident_in_scope(scope, data.resident_id) is None:
        raise GuideError("not_found")
    title = data.title.strip()
    if not title:
        raise GuideError("title_missing")
    guide = Guide(
        community=scope.community_id,
        resident=data.resident_id,
        title=title,
        lang=data.lang,
        contact_name=user.name,
        contact_phone=user.phone,
        created_by=user.id,
        created_at=_now(),
        updated_at=_now(),
    )
    key, woff2, glyphs = await _subset_for(font_path, _texts(guide.to_dict(), []))
    async with write_transaction():
        await guide.save()
        await GuideLink(guide=guide.id, token=new_token(), created_at=_now()).save()
        await _store_font(guide.id, font_path, key, woff2, glyphs)
    return guide.id


async def update_guide(scope: Scope, guide_id: uuid.UUID, data: GuideUpdate, font_path: str) -> None:
    await _found(scope, guide_id)
    title = data.title.strip()
    if not title:
        raise GuideError("title_missing")
    changes = {
        "title": title,
        "lang": data.lang,
        "contact_name": data.contact_name.strip(),
        "contact_phone": data.contact_phone.strip(),
    }
    _, steps = await _stored_texts(guide_id)
    key, woff2, glyphs = await _subset_for(font_path, _texts(changes, steps))
    async with write_transaction():
        await Guide.update({getattr(Guide, name): value for name, value in changes.items()}).where(Guide.id == guide_id)
        await _store_font(guide_id, font_path, key, woff2, glyphs)


def _clean_step(data: StepInput) -> tuple[str, str]:
    text, tip = data.text.strip(), data.tip.strip()
    if not text:
        raise GuideError("step_empty")
    return text, tip


async def _picture(upload: bytes | None) -> tuple[bytes, int, int] | None:
    """The picture decoded in a child process (server.offload): one past the child's memory is too big to read."""
    if not upload:
        return None
    try:
        return await off_loop(prepare_picture, upload)
    except PictureError as error:
        raise GuideError(error.code, error) from None
    except ChildTimedOut:  # killed past its time: said as such, not as pixels
        raise GuideError("too_slow") from None
    except ChildFailed:
        raise GuideError("too_many_pixels") from None
    except Busy as busy:  # no reader came free in time: nothing was stored
        raise GuideError("busy_you" if busy.whose == "person" else "busy") from None


async def add_step(
    scope: Scope, guide_id: uuid.UUID, data: StepInput, picture: bytes | None, font_path: str
) -> uuid.UUID:
    await _found(scope, guide_id)
    text, tip = _clean_step(data)
    prepared = await _picture(picture)
    guide, steps = await _stored_texts(guide_id)
    if len(steps) >= MAX_STEPS:
        raise GuideError("too_many_steps")
    key, woff2, glyphs = await _subset_for(font_path, _texts(guide, [*steps, {"text": text, "tip": tip}]))
    step = GuideStep(guide=guide_id, text=text, tip=tip, position=0)
    if prepared:
        step.picture, step.picture_width, step.picture_height = prepared
    async with write_transaction():
        last = (
            await GuideStep.select(GuideStep.position)
            .where(GuideStep.guide == guide_id)
            .order_by(GuideStep.position, ascending=False)
            .first()
        )
        step.position = (last["position"] if last else 0) + 1
        await step.save()
        await _store_font(guide_id, font_path, key, woff2, glyphs)
    return step.id


async def _step_of(guide_id: uuid.UUID, step_id: uuid.UUID) -> dict:
    row = (
        await GuideStep.select(GuideStep.id, GuideStep.position)
        .where((GuideStep.id == step_id) & (GuideStep.guide == guide_id))
        .first()
    )
    if row is None:
        raise GuideError("not_found")
    return row


async def update_step(
    scope: Scope,
    guide_id: uuid.UUID,
    step_id: uuid.UUID,
    data: StepInput,
    picture: bytes | None,
    remove_picture: bool,
    font_path: str,
) -> None:
    await _found(scope, guide_id)
    await _step_of(guide_id, step_id)
    text, tip = _clean_step(data)
    prepared = await _picture(picture)
    guide, steps = await _stored_texts(guide_id)
    steps = [({**s, "text": text, "tip": tip} if s["id"] == step_id else s) for s in steps]
    key, woff2, glyphs = await _subset_for(font_path, _texts(guide, steps))
    changes = {GuideStep.text: text, GuideStep.tip: tip}
    if prepared:
        changes |= {GuideStep.picture: prepared[0], GuideStep.picture_width: prepared[1]}
        changes |= {GuideStep.picture_height: prepared[2]}
    elif remove_picture:
        changes |= {GuideStep.picture: None, GuideStep.picture_width: 0, GuideStep.picture_height: 0}
    async with write_transaction():
        await GuideStep.update(changes).where(GuideStep.id == step_id)
        await _store_font(guide_id, font_path, key, woff2, glyphs)


async def delete_step(scope: Scope, guide_id: uuid.UUID, step_id: uuid.UUID, font_path: str) -> None:
    await _found(scope, guide_id)
    await _step_of(guide_id, step_id)
    guide, steps = await _stored_texts(guide_id)
    key, woff2, glyphs = await _subset_for(font_path, _texts(guide, [s for s in steps if s["id"] != step_id]))
    async with write_transaction():
        await GuideStep.delete().where(GuideStep.id == step_id)
        await _renumber(guide_id)
        await _store_font(guide_id, font_path, key, woff2, glyphs)


async def _renumber(guide_id: uuid.UUID, order: list[uuid.UUID] | None = None) -> None:
    if order is None:
        rows = await GuideStep.select(GuideStep.id).where(GuideStep.guide == guide_id).order_by(GuideStep.position)
        order = [row["id"] for row in rows]
    for position, step_id in enumerate(order, start=1):
        await GuideStep.update({GuideStep.position: position}).where(GuideStep.id == step_id)


async def move_step(scope: Scope, guide_id: uuid.UUID, step_id: uuid.UUID, direction: str) -> None:
    """One place earlier ("up") or later ("down"); at either end nothing moves."""
    await _found(scope, guide_id)
    await _step_of(guide_id, step_id)
    async with write_transaction():
        rows = await GuideStep.select(GuideStep.id).where(GuideStep.guide == guide_id).order_by(GuideStep.position)
        order = [row["id"] for row in rows]
        at = order.index(step_id)
        to = at - 1 if direction == "up" else at + 1
        if 0 <= to < len(order):
            order[at], order[to] = order[to], order[at]
            await _renumber(guide_id, order)
            await Guide.update({Guide.updated_at: _now()}).where(Guide.id == guide_id)


async def new_link(scope: Scope, guide_id: uuid.UUID) -> str:
    """A fresh link; any earlier one stops working (it then says who to call)."""
    await _found(scope, guide_id)
    token = new_token()
    async with write_transaction():
        await GuideLink.update({GuideLink.withdrawn_at: _now()}).where(
            (GuideLink.guide == guide_id) & GuideLink.withdrawn_at.is_null()
        )
        await GuideLink(guide=guide_id, token=token, created_at=_now()).save()
    return token


async def withdraw_link(scope: Scope, guide_id: uuid.UUID) -> None:
    await _found(scope, guide_id)
    async with write_transaction():
        await GuideLink.update({GuideLink.withdrawn_at: _now()}).where(
            (GuideLink.guide == guide_id) & GuideLink.withdrawn_at.is_null()
        )


# Reading by link (no account) -----------------------------------------------------------------------------------


async def _link(token: str) -> dict | None:
    if not token or len(token) > 64:
        return None
    return await GuideLink.select(GuideLink.guide, GuideLink.withdrawn_at).where(GuideLink.token == token).first()


async def read_guide(token: str) -> ReaderGuide | GoneLink | None:
    """The guide behind a link; a withdrawn link gives who to call instead; an unknown one gives None."""
    link = await _link(token)
    if link is None:
        return None
    guide = await Guide.select(*_GUIDE_COLUMNS).where(Guide.id == link["guide"]).first()
    name, phone = guide["contact_name"], guide["contact_phone"]
    if phone and (cover := await standing_in_for(guide["community"], phone)) is not None:
        name, phone = cover.name, cover.phone  # the writer's grid is handed to a colleague for now
    if link["withdrawn_at"] is not None:
        return GoneLink(contact_name=name, contact_phone=phone)
    return ReaderGuide(
        title=guide["title"],
        lang=guide["lang"],
        contact_name=name,
        contact_phone=phone,
        steps=await _steps(link["guide"]),
        token=token,
        font_key=guide["font_key"],
    )


async def step_picture(token: str, step_id: uuid.UUID) -> bytes | None:
    link = await _link(token)
    if link is None or link["withdrawn_at"] is not None:
        return None
    row = (
        await GuideStep.select(GuideStep.picture)
        .where((GuideStep.id == step_id) & (GuideStep.guide == link["guide"]))
        .first()
    )
    return row["picture"] if row else None


async def font_subset(key: str) -> bytes | None:
    row = await GuideFont.select(GuideFont.woff2).where(GuideFont.key == key).first()
    return row["woff2"] if row else None


async def guides_of_resident(user: CurrentUser, locale: str) -> list[tuple[str, str]]:
    """A logged-in resident's own personal guides first, then the community's shared ones: (title, token). Only
    those in the language the resident reads the app in (4 of 郝大爷's 9 were in English), unless none is."""
    if user.role != "resident":
        return []
    mine = Guide.resident.is_null()
    if user.resident_id is not None:
        mine = mine | (Guide.resident == user.resident_id)
    rows = await Guide.select(Guide.id, Guide.title, Guide.resident, Guide.lang).where(
        (Guide.community == user.community_id) & mine
    )
    rows = [row for row in rows if row["lang"] == locale] or rows
    rows.sort(key=lambda row: (row["resident"] is None, row["title"]))
    found = []
    for row in rows:
        token = await _active_token(row["id"])
        if token:
            found.append((row["title"], token))
    return found


async def writer_picture(guide_id: uuid.UUID, step_id: uuid.UUID) -> bytes | None:
    """A step's picture for its writers; the caller has checked the guide is in their scope."""
    row = (
        await GuideStep.select(GuideStep.picture)
        .where((GuideStep.id == step_id) & (GuideStep.guide == guide_id))
        .first()
    )
    return row["picture"] if row else None
