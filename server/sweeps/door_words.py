"""One door of a sweep for its coordinator: who said what there, and when. Knows nothing of HTTP.

Everything comes from the door's memory (rules.DoorMemory: each person's last word with its times and notes,
folded from the ticks; decision 0007): no door's ticks are read again. The export (export.py) reads the same.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from server.access.masks import mask_name
from server.access.scope import CurrentUser
from server.accounts.tables import User
from server.places.tables import Building, Household, Resident
from server.sweeps.queries import sweep_doors, visible_sweep
from server.sweeps.rules import MEMORY_DECODER, DoorMemory, Said
from server.sweeps.schemas import DoorWord, DoorWords, PersonWord
from server.sweeps.services import door_state_id
from server.sweeps.tables import DoorState

COORDINATOR_ROLES = ("admin", "grid_worker")
# A word that reached the server this long after the phone's time (queued in a stairwell), or before it (a phone
# whose clock runs ahead), shows both times: the coordinator sees when it was said and when it was heard.
LATE_SECONDS = 10 * 60


def moment(seconds: int) -> datetime | None:
    """A time kept in a door's memory (Unix seconds; 0: not known) as an instant."""
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


def is_late(said: Said) -> bool:
    return bool(said.at and said.arrived and abs(said.arrived - said.at) >= LATE_SECONDS)


async def door_memories(sweep_id: uuid.UUID, household_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[DoorMemory, int]]:
    """The memory of each door of the sweep that has one, with the seq of the word its state is taken from. The
    caller has folded the sweep's new ticks in (queries.sweep_doors does)."""
    found = {}
    for row in await DoorState.select(DoorState.household, DoorState.memory, DoorState.tick_seq).where(
        DoorState.id.is_in([door_state_id(sweep_id, h) for h in household_ids] or [uuid.UUID(int=0)])
    ):
        if row["memory"]:
            found[row["household"]] = (MEMORY_DECODER.decode(row["memory"]), row["tick_seq"])
    return found


async def accounts(ids: set[str]) -> dict[str, dict]:
    """Name and role of the people who recorded doors, by id as memories keep it (text)."""
    wanted = [uuid.UUID(text) for text in ids] or [uuid.UUID(int=0)]
    rows = await User.select(User.id, User.name, User.role).where(User.id.is_in(wanted))
    return {str(row["id"]): row for row in rows}


def recorders(memory: DoorMemory) -> set[str]:
    """Everyone whose word is in the memory: volunteers' door-level words and who recorded each person (not the
    words a purge left nameless)."""
    return (
        {who for who, said in memory.words.items() if not said.purged}
        | {who for who, said in memory.floor_words.items() if not said.purged}
        | {said.by for said in memory.people.values() if said.by}
    )


async def door_words(user: CurrentUser, sweep_id: uuid.UUID, household_id: uuid.UUID) -> DoorWords | None:
    """A door of the sweep with each person's last word, for an admin or the grid worker of its building (as the
    rest of the sweep is scoped); None otherwise, and for volunteers, who see doors, not who said what."""
    if user.role not in COORDINATOR_ROLES:
        return None
    sweep = await visible_sweep(user, sweep_id)
    if sweep is None:
        return None
    doors = await sweep_doors(sweep_id, Household.id == household_id, grids=sweep["grids"])
    if not doors:
        return None  # not in this sweep, or a door of another grid
    door = doors[0]
    memory, deciding = (await door_memories(sweep_id, [household_id])).get(household_id, (DoorMemory(), 0))
    who = await accounts(recorders(memory))
    counted = memory.counted()

    def word(volunteer: str, said, **what) -> DoorWord:
        person = who.get(volunteer, {})
        return DoorWord(
            name=person.get("name", "?"),
            role=person.get("role", "volunteer"),
            removed=said.purged,
            outcome=said.outcome,
            at=moment(said.at),
            arrived=moment(said.arrived),
            late=is_late(said),
            seq=said.seq,
            **what,
        )

    words = [
        word(
            volunteer,
            said,
            note=said.note,
            help=said.help,
            settles=said.coordinator,
            counts=volunteer in counted,
            decides=door["outcome"] is not None and said.seq == deciding,
        )
        for volunteer, said in memory.words.items()
    ]
    # A whole floor's "nobody home" stands only while nobody recorded the door itself (decision 0020): say which.
    own = bool(memory.words or memory.people)
    words += [
        word(
            volunteer,
            said,
            whole_floor=True,
            counts=not own,
            decides=not own and door["outcome"] is not None and said.seq == deciding,
        )
        for volunteer, said in memory.floor_words.items()
    ]
    words.sort(key=lambda word: word.seq)
    people = []
    if sweep["subject"] == "persons":
        living = await Resident.select(Resident.id, Resident.name, Resident.relation).where(
            (Resident.household == household_id) & (Resident.status == "living")
        )
        for person in sorted(living, key=lambda p: (p["relation"] != "head", p["name"])):
            said = memory.people.get(str(person["id"]))
            people.append(
                PersonWord(
                    masked_name=mask_name(person["name"]) or "",
                    relation=person["relation"],
                    outcome=said.outcome if said else None,
                    by=who.get(said.by, {}).get("name") if said else None,
                    at=moment(said.at) if said else None,
                    arrived=moment(said.arrived) if said else None,
                    late=is_late(said) if said else False,
                    note=said.note if said else "",
                    removed=bool(said and said.purged),
                )
            )
    building = await Building.select(Building.name).where(Building.id == door["building"]).first()
    return DoorWords(
        sweep_id=sweep_id,
        sweep_name=sweep["name"],
        subject=sweep["subject"],
        household_id=household_id,
        door=door["door"],
        building_id=door["building"],
        building_name=building["name"],
        unit=door["unit_number"],
        floor=door["floor"],
        outcome=door["outcome"],
        conflict=door["conflict"],
        disagreement=memory.disagreement(),
        words=words,
        people=people,
        ticks=memory.ticks,
        help=memory.help,
    )
