"""What the reconcile domain returns to its pages, and the forms it accepts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import msgspec

from server.imports.draft import Column

Reason = Literal["away", "hospital", "refused", "will_come"]
REASONS: tuple[str, ...] = ("away", "hospital", "refused", "will_come")


class RowProblem(msgspec.Struct, kw_only=True):
    """A row a person should look at before saving: `kind` picks the words, `other` fills them in."""

    line: int
    kind: str  # duplicate / cannot_identify / phone_unreadable / id_unreadable / door_unreadable / ambiguous /
    #            unknown / repeated / outside / not_expected
    name: str = ""
    door: str = ""
    other: str = ""  # the earlier line (duplicate, repeated), the ambiguity's reason, a resident's status
    doors: list[str] = []  # ambiguous: the register's doors of whom it could be (said as the result page says them)


class Preview(msgspec.Struct, kw_only=True):
    filename: str
    draft: str  # carried by the page to the confirming request
    columns: list[Column]
    header_line: int
    notes: list[str]
    rows: int  # rows with content, duplicates included
    duplicates: int
    blank_rows: int
    matched: int
    ambiguous: int
    unknown: int
    area: list[str]  # the names of the buildings expected
    area_ids: list[uuid.UUID]
    expected: int
    missing: int  # expected, and no row of the list is or may be them
    to_confirm: int  # expected, not matched, but a row that could be more than one person may be them
    problems: list[RowProblem]
    blocking: list[str]  # codes: why it cannot be saved (nothing is saved while any is present)
    mostly_unknown: bool = False  # most rows name nobody of the scope: another community's list, perhaps

    @property
    def can_save(self) -> bool:
        return not self.blocking


class Count(msgspec.Struct, kw_only=True):
    key: str  # grid / building id or door
    name: str
    expected: int
    present: int
    waiting: int = 0  # not on the list as matched, but a row waiting for the worker's decision may be them

    @property
    def missing(self) -> int:
        return self.expected - self.present - self.waiting


class Person(msgspec.Struct, kw_only=True):
    resident_id: uuid.UUID
    household_id: uuid.UUID
    name: str
    door: str
    age: int | None
    phone_masked: str | None  # the whole number only on a tap that is logged (/residents/{id}/phone)
    status: str
    reason: str = ""
    line: int | None = None
    building_id: uuid.UUID | None = None
    building: str = ""  # the building's name: "3号楼"


class Candidate(msgspec.Struct, kw_only=True):
    resident_id: uuid.UUID
    name: str
    door: str
    age: int | None
    phone_masked: str | None


class OpenRow(msgspec.Struct, kw_only=True):
    """A list row for a person: ambiguous (choose who), on the list only (add to the register), or for information."""

    id: uuid.UUID
    line: int
    status: str
    reason: str
    name: str
    sex: str
    door: str
    door_text: str
    phone_masked: str | None
    decision: str
    candidates: list[Candidate] = []
    resident_name: str = ""  # repeated / outside: whom the row matched


class ReconcileSummary(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    title: str
    source: str
    created_at: datetime
    expected: int
    present: int
    to_confirm: int = 0  # not on the list as matched, but a row waiting for the worker's decision may be them

    @property
    def missing(self) -> int:
        return self.expected - self.present - self.to_confirm


class MissingDoor(msgspec.Struct, kw_only=True):
    """A household with someone missing: its people are called and visited together."""

    household_id: uuid.UUID
    door: str
    people: list[Person]  # the missing people shown (with the filter on, only those not asked yet)
    missing: int  # everyone missing at this door
    todo: int  # of them, with no reason recorded yet


class MissingBuilding(msgspec.Struct, kw_only=True):
    building_id: uuid.UUID
    name: str
    missing: int
    todo: int
    door_count: int  # doors with someone missing (with the filter on, someone not asked yet)
    doors: list[MissingDoor] = []  # shown: one page of them when open, none when collapsed
    page: int = 1
    pages: int = 1
    first_door: int = 1  # the number of the page's first door among the building's

    @property
    def is_open(self) -> bool:
        return bool(self.doors)


class MissingList(msgspec.Struct, kw_only=True):
    """The missing people by building, then door: buildings collapsed with their counts, one open a page at a time
    (a short list is shown whole)."""

    missing: int
    todo: int  # missing with no reason recorded yet ("还没问到的")
    todo_only: bool
    buildings: list[MissingBuilding]  # with the filter on, those where someone is not asked yet
    whole: bool  # short enough to show every building open
    open_id: uuid.UUID | None = None  # the building open (not set when the list is shown whole)

    @property
    def collapsible(self) -> bool:
        """Buildings open and close by a tap, unless the list is shown whole or has one building, always open."""
        return not self.whole and len(self.buildings) > 1


class Result(msgspec.Struct, kw_only=True):
    summary: ReconcileSummary
    listed: int
    area: list[str]
    grids: list[Count]
    buildings: list[Count]
    households: list[Count]  # households with someone missing
    missing: list[Person]  # nobody on the list can be them
    to_confirm: list[Person]  # a row waiting for the worker's decision may be them: not counted missing yet
    not_expected: list[Person]  # away or moved out when the list was saved
    ambiguous: list[OpenRow]
    list_only: list[OpenRow]
    others: list[OpenRow]  # repeated, outside the area, without a name or number
