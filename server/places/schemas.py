"""What the places domain returns: one set of msgspec Structs for the pages and the JSON API."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import msgspec


class GridSummary(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    number: int
    name: str
    worker_name: str | None  # who answers for the grid now: its own grid worker, or a colleague covering it
    buildings: int
    households: int
    residents: int
    elderly_alone: int
    owner_id: uuid.UUID | None = None  # its own grid worker
    owner_name: str | None = None
    covered_since: datetime | None = None  # handed over to a colleague (worker_name) since then: a temporary cover


class CommunitySummary(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    address: str
    grids: list[GridSummary]

    @property
    def totals(self) -> dict[str, int]:
        keys = ("buildings", "households", "residents", "elderly_alone")
        return {k: sum(getattr(g, k) for g in self.grids) for k in keys}


class BuildingRef(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    number: int
    name: str
    grid_id: uuid.UUID


class BuildingSummary(BuildingRef, kw_only=True):
    units: int
    households: int
    residents: int


class FloorCell(msgspec.Struct, kw_only=True):
    floor: int
    households: int
    residents: int


class UnitFloors(msgspec.Struct, kw_only=True):
    number: int
    floors: list[FloorCell]  # top floor first, as a building is drawn


class BuildingDetail(msgspec.Struct, kw_only=True):
    building: BuildingSummary
    grid_name: str
    address: str
    units: list[UnitFloors]


class Resident(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    sex: str
    birth_date: date | None
    age: int | None
    phone: str | None
    relation: str
    status: str


class HouseholdRow(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    door: str
    room: str
    residents: int  # living here
    names: list[str]


class FloorDetail(msgspec.Struct, kw_only=True):
    building: BuildingRef
    unit: int
    floor: int
    floors_in_unit: int
    households: list[HouseholdRow]


class HouseholdDetail(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    door: str
    floor: int
    unit: int
    building: BuildingRef
    residents: list[Resident]


class SearchHit(msgspec.Struct, kw_only=True):
    resident_id: uuid.UUID
    household_id: uuid.UUID
    name: str
    door: str
    age: int | None
    phone_masked: str | None
    status: str
