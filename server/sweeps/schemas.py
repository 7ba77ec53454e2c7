from __future__ import annotations

import uuid
from datetime import date, datetime
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
    # "persons" is stored and ticked, but its door state is not derived yet: not offered until it is.
    subject: Literal["households"] = "households"


class DoorRow(msgspec.Struct, kw_only=True):
    """A door as a volunteer sees it: number, how many live there, a masked name. Never phones or ages."""

    household_id: uuid.UUID
    door: str
    size: int
    masked_name: str | None
    outcome: str | None
    conflict: bool


class FloorScreen(msgspec.Struct, kw_only=True):
    sweep_id: uuid.UUID
    sweep_name: str
    building_id: uuid.UUID
    building_name: str
    unit: int
    floor: int
    floors_in_unit: int
    doors: list[DoorRow]


class Progress(msgspec.Struct, kw_only=True):
    total: int = 0
    done: int = 0  # done or vacant
    refused: int = 0
    revisit: int = 0  # nobody home or come back later
    needs_help: int = 0
    conflicts: int = 0

    @property
    def not_visited(self) -> int:
        return self.total - self.done - self.refused - self.revisit - self.needs_help


class FloorProgress(msgspec.Struct, kw_only=True):
    floor: int
    progress: Progress


class UnitProgress(msgspec.Struct, kw_only=True):
    number: int
    floors: int
    progress: Progress
    by_floor: list[FloorProgress] = []  # top floor first, as the building is drawn


class BuildingProgress(msgspec.Struct, kw_only=True):
    building_id: uuid.UUID
    name: str
    units: list[UnitProgress]
    progress: Progress


class SweepSummary(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    purpose: str
    day: date
    subject: str
    status: str
    progress: Progress


class VolunteerActivity(msgspec.Struct, kw_only=True):
    name: str
    ticks: int
    last_sync: datetime  # when the server last received a tick from them


class AttentionDoor(msgspec.Struct, kw_only=True):
    """A door the coordinator should look at: it needs help, volunteers disagree, or it is to be visited again."""

    household_id: uuid.UUID
    door: str
    building_id: uuid.UUID
    unit: int
    floor: int
    outcome: str
    conflict: bool


class SweepDetail(SweepSummary, kw_only=True):
    buildings: list[BuildingProgress]
    attention: list[AttentionDoor] = []
    volunteers: list[VolunteerActivity] = []
