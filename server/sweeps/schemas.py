from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

import msgspec

DoorOutcome = Literal["needs_help", "done", "vacant", "refused", "come_back", "nobody_home"]
PersonOutcome = Literal["tested", "not_tested", "away"]


class TickPayload(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One outcome at one door (or, in a person sweep, for one registered person), as the phone queues it."""

    sweep_id: uuid.UUID
    household_id: uuid.UUID
    outcome: DoorOutcome | PersonOutcome
    resident_id: uuid.UUID | None = None
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""
    help_needed: Annotated[str, msgspec.Meta(max_length=500)] = ""


class SweepCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    day: date
    building_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=200)]
    purpose: Annotated[str, msgspec.Meta(max_length=256)] = ""
    subject: Literal["households", "persons"] = "households"
