from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

GuideLang = Literal["zh_CN", "en"]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
StepText = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
Tip = Annotated[str, msgspec.Meta(max_length=120)]


class GuideCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title
    lang: GuideLang = "zh_CN"
    resident_id: uuid.UUID | None = None  # None: shared with the community


class GuideUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title
    lang: GuideLang
    contact_name: Annotated[str, msgspec.Meta(max_length=32)]
    contact_phone: Annotated[str, msgspec.Meta(max_length=20, pattern=r"^[0-9 +\-]*$")]


class StepInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: StepText
    tip: Tip = ""


class GuideSummary(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    title: str
    lang: str
    steps: int
    resident_name: str | None  # a personal guide's reader
    door: str | None
    updated_at: datetime


class Step(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    position: int
    text: str
    tip: str
    has_picture: bool
    picture_width: int
    picture_height: int


class GuideDetail(msgspec.Struct, kw_only=True):
    """A guide as its writers see it, with the link that opens it (None when withdrawn)."""

    id: uuid.UUID
    title: str
    lang: str
    contact_name: str
    contact_phone: str
    resident_id: uuid.UUID | None
    resident_name: str | None
    door: str | None
    steps: list[Step]
    token: str | None
    font_key: str


class ReaderGuide(msgspec.Struct, kw_only=True):
    """A guide as a reader with its link sees it: nothing else of the community."""

    title: str
    lang: str
    contact_name: str
    contact_phone: str
    steps: list[Step]
    token: str
    font_key: str


class GoneLink(msgspec.Struct, kw_only=True):
    """A withdrawn link: who to call instead."""

    contact_name: str
    contact_phone: str
