from __future__ import annotations

import uuid
from typing import Annotated

import msgspec

from server.i18n import LOCALES


class LoginForm(msgspec.Struct, kw_only=True):
    phone: Annotated[str, msgspec.Meta(max_length=32)] = ""
    password: Annotated[str, msgspec.Meta(max_length=256)] = ""
    next: Annotated[str, msgspec.Meta(max_length=512)] = "/"


class LanguageForm(msgspec.Struct, kw_only=True):
    lang: str
    next: Annotated[str, msgspec.Meta(max_length=512)] = "/"

    def __post_init__(self) -> None:
        if self.lang not in LOCALES:
            raise ValueError("unknown language")


class Me(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    phone: str
    role: str
    community_id: uuid.UUID
    grid_id: uuid.UUID | None
