"""A sweep's results as rows for a spreadsheet (.xlsx or .csv). Knows nothing of HTTP.

Each door says who recorded it (everyone, with their last word and when), whether they disagree and on what, the
help asked and the notes left: what the coordinator's page of a door shows (door_words.py), from the same memory.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from server.access.scope import CurrentUser
from server.db import MAX_PARAMETERS
from server.places.tables import Resident
from server.sweeps.door_words import accounts, moment, recorders
from server.sweeps.queries import sweep_doors, visible_sweep
from server.sweeps.rules import MEMORY_DECODER, DoorMemory
from server.sweeps.tables import DoorState

EXPORT_COLUMNS = (
    "building",
    "unit",
    "floor",
    "door",
    "people",
    "outcome",
    "conflict",
    "ticks",
    "recorded_by",
    "last_at",
    "help_needed",
    "notes",
)


@dataclass(slots=True)
class Recorder:
    """One person who recorded a door: their last door-level outcome (None if they recorded people only), how
    many people they recorded (person sweeps), when they last did, and whether a coordinator's later word settled
    what they said."""

    name: str
    outcome: str | None = None
    people: int = 0
    seq: int = 0
    at: datetime | None = None
    settled: bool = False
    # Their whole floor's "nobody home" here, set aside because the door was recorded on its own: before or after
    # it, whoever did (decision 0020), so neither "since" nor "by a coordinator" may be said of it.
    set_aside: bool = False


async def export_rows(user: CurrentUser, sweep_id: uuid.UUID) -> tuple[str, list[dict]] | None:
    """Every door of the sweep with its state, for a coordinator's spreadsheet; None if not theirs to see. A grid
    worker's holds the doors of their own grids only, as their progress page does.

    Values are data, not words: `conflict` the different final answers, `recorded_by` a list of Recorder,
    `last_at` an instant (UTC), `notes` (name, note) pairs; the controller says them in the reader's language."""
    if user.role not in ("admin", "grid_worker"):
        return None
    sweep = await visible_sweep(user, sweep_id)
    if sweep is None:
        return None
    doors = await sweep_doors(sweep_id, grids=sweep["grids"])
    ids = [d["id"] for d in doors] or [uuid.UUID(int=0)]
    scoped = set(ids)
    people: dict[uuid.UUID, int] = {}
    # The doors' ids in slices: a sweep's doors may outnumber the bound parameters a query may take (issue 18).
    for start in range(0, len(ids), MAX_PARAMETERS):
        for row in await Resident.select(Resident.household).where(
            Resident.household.is_in(ids[start : start + MAX_PARAMETERS]) & (Resident.status == "living")
        ):
            people[row["household"]] = people.get(row["household"], 0) + 1
    memories: dict[uuid.UUID, DoorMemory] = {}
    for row in await DoorState.select(DoorState.household, DoorState.memory).where(DoorState.sweep == sweep_id):
        if row["household"] in scoped and row["memory"]:  # not a door of another grid
            memories[row["household"]] = MEMORY_DECODER.decode(row["memory"])
    who = await accounts(set().union(*(recorders(memory) for memory in memories.values())))
    rows = []
    for d in doors:
        memory = memories.get(d["id"], DoorMemory())
        rows.append(
            {
                "building": d["building_name"],
                "unit": d["unit_number"],
                "floor": d["floor"],
                "door": d["door"],
                "people": people.get(d["id"], 0),
                "outcome": d["outcome"],
                "conflict": memory.disagreement(),
                "ticks": memory.ticks,
                "recorded_by": _recorders(memory, who),
                "last_at": moment(memory.at),
                "help_needed": memory.help,
                "notes": _notes(memory, who),
            }
        )
    rows.sort(key=lambda r: (len(r["building"]), r["building"], r["unit"], r["floor"], r["door"]))
    return sweep["name"], rows


def _name(who: dict[str, dict], user_id: str) -> str:
    return who.get(user_id, {}).get("name", "?")


def _recorders(memory: DoorMemory, who: dict[str, dict]) -> list[Recorder]:
    """Everyone who recorded the door, in the order of their last word."""
    counted = memory.counted()
    found: dict[str, Recorder] = {}
    # Words a purge left nameless name no one (retention, decision 0016): the door's outcome and conflict say them.
    for volunteer, said in memory.words.items():
        if said.purged:
            continue
        found[volunteer] = Recorder(
            _name(who, volunteer), said.outcome, seq=said.seq, at=moment(said.at), settled=volunteer not in counted
        )
    # A whole floor's "nobody home" counts only at a door nobody recorded one by one (decision 0020).
    set_aside = bool(memory.words or memory.people)
    for volunteer, said in memory.floor_words.items():
        if volunteer not in found and not said.purged:
            found[volunteer] = Recorder(
                _name(who, volunteer), said.outcome, seq=said.seq, at=moment(said.at), set_aside=set_aside
            )
    for said in memory.people.values():
        if not said.by:
            continue  # remembered before recorders were kept
        entry = found.setdefault(said.by, Recorder(_name(who, said.by)))
        entry.people += 1
        if said.seq > entry.seq:
            entry.seq, entry.at = said.seq, moment(said.at)
    return sorted(found.values(), key=lambda r: r.seq)


def _notes(memory: DoorMemory, who: dict[str, dict]) -> list[tuple[str, str]]:
    """The notes left at the door, each with who left it, in the order they were left; the door's last note too
    when nobody's last word carries it any more."""
    said = [(s.seq, volunteer, s.note) for volunteer, s in memory.words.items() if s.note]
    said += [(s.seq, s.by, s.note) for s in memory.people.values() if s.note]
    notes: list[tuple[str, str]] = []
    for _, user_id, note in sorted(said):
        pair = (_name(who, user_id) if user_id else "", note)
        if pair not in notes:
            notes.append(pair)
    if memory.note and all(note != memory.note for _, note in notes):
        notes.append(("", memory.note))
    return notes
