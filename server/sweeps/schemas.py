from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

DoorOutcome = Literal["needs_help", "done", "vacant", "refused", "come_back", "nobody_home"]
PersonOutcome = Literal["tested", "not_tested", "away"]
SWEEP_YEARS = (2000, 2100)


class TickPayload(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One outcome at one door (or, in a person sweep, for one registered person), as the phone queues it."""

    sweep_id: uuid.UUID
    household_id: uuid.UUID
    outcome: DoorOutcome | PersonOutcome
    resident_id: uuid.UUID | None = None
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""
    help_needed: Annotated[str, msgspec.Meta(max_length=500)] = ""
    # One of the ticks of "nobody home on the whole floor": it stands only at a door that nobody recorded one by
    # one, before or after (docs/decisions/0020). Nobody home only.
    bulk: bool = False


class SweepCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    day: date
    building_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=200)] = []  # whole buildings
    unit_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=1000)] = []  # single units of other buildings
    purpose: Annotated[str, msgspec.Meta(max_length=256)] = ""
    # households: one outcome per door. persons: one per registered resident; the door is done when all have one.
    subject: Literal["households", "persons"] = "households"

    def __post_init__(self) -> None:
        # A sweep is planned for the days around now (a typo of the year, or a crafted 9999, is not one).
        if not SWEEP_YEARS[0] <= self.day.year <= SWEEP_YEARS[1]:
            raise ValueError(f"a sweep's day is between {SWEEP_YEARS[0]} and {SWEEP_YEARS[1]}")


class PersonRow(msgspec.Struct, kw_only=True):
    """A registered person in a person sweep, as a volunteer sees them: a masked name and their outcome."""

    resident_id: uuid.UUID
    masked_name: str
    relation: str  # head, spouse, child...: tells 张** from 张** at the door; no age, no phone
    outcome: str | None


class DoorRow(msgspec.Struct, kw_only=True):
    """A door as a volunteer sees it: number, how many live there, a masked name. Never phones or ages."""

    household_id: uuid.UUID
    door: str
    size: int
    room: str = ""  # what the door plate says on this floor ("301"); `door` is the whole address ("2-1-301")
    masked_name: str | None
    outcome: str | None
    conflict: bool
    note: str = ""  # the latest note a volunteer left at this door ("dog: knock loudly")
    people: list[PersonRow] = []  # person sweeps only
    # The last tick of the door in this page (the server's seq, 0: none): a tick the phone sent with a higher seq
    # is not in the page yet, and the phone lays it over the page (marks.js, decision 0014).
    seq: int = 0


class FloorTile(msgspec.Struct, kw_only=True):
    """A floor of the unit in the door screen's floor picker."""

    floor: int
    doors: int  # doors of this floor in the sweep
    left: int  # of them with no outcome yet
    # of them visited, but to go back to (nobody home, come back later): a floor climbed is not a floor done
    revisit: int = 0
    mine: bool = False  # inside a live claim of the viewer


class FloorScreen(msgspec.Struct, kw_only=True):
    sweep_id: uuid.UUID
    sweep_name: str
    building_id: uuid.UUID
    building_name: str
    unit: int
    unit_id: uuid.UUID
    floor: int
    floors_in_unit: int
    doors: list[DoorRow]
    subject: str = "households"
    may_record: bool = True  # a volunteer records only floors they claim (or claimed)
    holder: str | None = None  # who holds this floor now, if anyone
    closed: bool = False  # the sweep was closed: a coordinator may still record what they learn
    tiles: list[FloorTile] = []  # every floor of the unit with doors in the sweep, top floor first
    # The nearest other floor with a door still to visit: in the viewer's live claims here, or anywhere in the unit
    # for someone without one. None: nothing left there.
    next_floor: int | None = None
    all_answered: bool = False  # every door of those floors (this one too) has an answer


class Progress(msgspec.Struct, kw_only=True):
    total: int = 0
    done: int = 0  # done or vacant
    refused: int = 0
    revisit: int = 0  # nobody home or come back later
    needs_help: int = 0
    partial: int = 0  # person sweeps: some of the people recorded, not all
    conflicts: int = 0

    @property
    def not_visited(self) -> int:
        return self.total - self.visited

    @property
    def visited(self) -> int:
        """Someone reached the door and recorded any outcome: nobody home counts (the stairs were climbed)."""
        return self.done + self.refused + self.revisit + self.needs_help + self.partial


class FloorProgress(msgspec.Struct, kw_only=True):
    floor: int
    progress: Progress


class ClaimRow(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    holder_id: uuid.UUID
    holder_name: str
    floor_from: int
    floor_to: int
    minutes_left: int


class FreeFloors(msgspec.Struct, kw_only=True):
    """The next floors of a unit nobody holds and nobody has visited yet: what the claim form proposes."""

    floor_from: int
    floor_to: int
    doors: int  # doors not visited yet on them


class UnitProgress(msgspec.Struct, kw_only=True):
    unit_id: uuid.UUID
    number: int
    floors: int
    progress: Progress
    by_floor: list[FloorProgress] = []  # top floor first, as the building is drawn
    claims: list[ClaimRow] = []
    free: FreeFloors | None = None  # None: every floor of the unit is held or visited


class MyClaim(msgspec.Struct, kw_only=True):
    """A live claim of the viewer, for the top of their sweep page: each floor one tap from its door screen."""

    id: uuid.UUID
    building_id: uuid.UUID
    building_name: str
    unit_id: uuid.UUID
    unit: int
    floor_from: int
    floor_to: int
    minutes_left: int
    floors: list[FloorProgress] = []  # the claimed floors that have doors in the sweep, lowest first


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


class NextFree(msgspec.Struct, kw_only=True):
    building_id: uuid.UUID
    building_name: str
    unit_id: uuid.UUID
    unit: int
    floors: int  # of the unit
    free: FreeFloors
    mine: list[ClaimRow] = []  # the viewer's claims in that unit


class Related(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str


class SweepDetail(SweepSummary, kw_only=True):
    buildings: list[BuildingProgress]
    attention: list[AttentionDoor] = []  # the first ATTENTION_LIMIT of them
    attention_count: int = 0  # all of them
    volunteers: list[VolunteerActivity] = []
    follows: Related | None = None  # the sweep this one revisits
    revisits: list[Related] = []  # sweeps made to revisit this one's open doors
    # Floor pages of the viewer's live claims: the phone keeps copies of them before going up the stairs.
    my_floor_urls: list[str] = []
    my_claims: list[MyClaim] = []
    next_free: NextFree | None = None  # the first unit, in walking order, with floors to claim
    open_doors: int = 0  # not visited, nobody home, come back, partial: what a revisit sweep would cover
    closed_at: datetime | None = None  # when it was closed, if it is
    late_ticks: int = 0  # outcomes received since it was closed (stored all the same: docs/decisions/0011)
    other_grids_buildings: int = 0  # buildings of the sweep in other grids, not shown to this grid worker


class DoorWord(msgspec.Struct, kw_only=True):
    """Someone's last word at a door, for its coordinator: who said what, when, and what they wrote."""

    name: str
    role: str  # their role now: volunteer, grid_worker or admin
    outcome: str
    # Its tick was purged (retention, decision 0016): the outcome stays; who, when and their note are gone.
    removed: bool = False
    at: datetime | None  # the phone's clock when it was recorded (None: recorded before times were kept)
    arrived: datetime | None  # when it reached the server
    late: bool  # arrived well after it was recorded (queued offline), or the phone's clock is off: show both
    note: str = ""
    help: str = ""  # what a "needs help" word asked for
    settles: bool = False  # a coordinator's word: what was said before it counts no more
    counts: bool = True  # False: a coordinator's later word settled the door
    decides: bool = False  # the door's state is this word's
    whole_floor: bool = False  # sent by "nobody home on the whole floor": stands only if nobody recorded the door
    seq: int = 0  # arrival order


class PersonWord(msgspec.Struct, kw_only=True):
    """A registered person in a person sweep's door, as the coordinator's page of it shows them."""

    masked_name: str
    relation: str
    outcome: str | None
    by: str | None = None  # who recorded it
    at: datetime | None = None
    arrived: datetime | None = None
    late: bool = False
    note: str = ""
    removed: bool = False  # purged (retention): who recorded it and when are gone


class DoorWords(msgspec.Struct, kw_only=True):
    """One door of a sweep, for its coordinator: its state, and each person's last word that made it."""

    sweep_id: uuid.UUID
    sweep_name: str
    subject: str
    household_id: uuid.UUID
    door: str
    building_id: uuid.UUID
    building_name: str
    unit: int
    floor: int
    outcome: str | None
    conflict: bool
    disagreement: list[str] = []  # the different final answers, in the order they arrived
    words: list[DoorWord] = []  # in the order they arrived
    people: list[PersonWord] = []  # person sweeps
    ticks: int = 0  # outcomes recorded at this door in all
    help: str = ""  # what the last "needs help" asked for
