"""The door screen of one floor of a sweep: doors, household sizes, masked names. Knows nothing of HTTP."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from server.access.masks import mask_name
from server.access.scope import CurrentUser
from server.places.tables import Household
from server.sweeps.queries import sweep_doors, visible_sweep
from server.sweeps.rules import MEMORY_DECODER, Said
from server.sweeps.schemas import DoorRow, FloorScreen, FloorTile, PersonRow
from server.sweeps.services import fold_door_states
from server.sweeps.tables import SweepClaim, SweepTick

# The screen reads a tower's 400 doors in two plain queries: each floor's count of doors and of doors with no answer
# yet (the picker, the next floor to sweep), with the unit's building; then this floor's doors, their states and
# memories, and their living people (one row each). In the sweep: the whole building, this unit, or single doors of
# it (a revisit). On SQLite each query costs more than its rows (decision 0007): ids come back as text.
_FLOORS_SQL = (
    "SELECT CAST(h.floor AS BIGINT) AS floor, count(*) AS doors,"
    " sum(CASE WHEN s.outcome IS NULL OR s.outcome = '' THEN 1 ELSE 0 END) AS open_doors,"
    " sum(CASE WHEN s.outcome IN ('nobody_home', 'come_back', 'partial') THEN 1 ELSE 0 END) AS revisit,"
    " CAST(u.id AS TEXT) AS unit_id, CAST(u.floors AS BIGINT) AS floors, b.name AS building_name,"
    " CAST(b.grid AS TEXT) AS grid"
    " FROM unit u JOIN building b ON b.id = u.building JOIN household h ON h.unit = u.id"
    " LEFT JOIN door_state s ON s.sweep = {sweep} AND s.household = h.id"
    " WHERE u.building = {building} AND u.number = {unit}"
    " AND ((SELECT count(*) FROM sweep_area a WHERE a.sweep = {sweep} AND a.building = {building}"
    " AND ((a.unit IS NULL AND a.household IS NULL) OR a.unit = u.id)) > 0"
    " OR h.id IN (SELECT household FROM sweep_area WHERE sweep = {sweep} AND household IS NOT NULL))"
    " GROUP BY h.floor, u.id, u.floors, b.name, b.grid"
)
_DOORS_SQL = (
    "SELECT CAST(h.id AS TEXT) AS id, h.door, h.room, s.outcome, s.conflict, s.memory,"
    " CAST(r.id AS TEXT) AS resident, r.name, r.relation"
    " FROM household h LEFT JOIN door_state s ON s.sweep = {sweep} AND s.household = h.id"
    " LEFT JOIN resident r ON r.household = h.id AND r.status = 'living'"
    " WHERE h.unit = {unit_id} AND h.floor = {floor}"
    " AND ((SELECT count(*) FROM sweep_area a WHERE a.sweep = {sweep} AND a.building = {building}"
    " AND ((a.unit IS NULL AND a.household IS NULL) OR a.unit = {unit_id})) > 0"
    " OR h.id IN (SELECT household FROM sweep_area WHERE sweep = {sweep} AND household IS NOT NULL))"
)


def _query(sql: str, **values) -> tuple:
    """sql with Piccolo's positional {} placeholders, each named value in its place."""
    return (re.sub(r"\{\w+\}", "{}", sql), *[values[name] for name in re.findall(r"\{(\w+)\}", sql)])


async def floor_screen(
    user: CurrentUser, sweep_id: uuid.UUID, building_id: uuid.UUID, unit: int, floor: int
) -> FloorScreen | None:
    sweep = await visible_sweep(user, sweep_id)
    if sweep is None:
        return None
    await fold_door_states(sweep_id)
    ids = {"sweep": sweep_id, "building": building_id}
    per_floor = await Household.raw(*_query(_FLOORS_SQL, unit=unit, **ids))
    if not per_floor:
        return None  # no such unit, or not in this sweep
    first = per_floor[0]
    if not 1 <= floor <= first["floors"]:
        return None
    if sweep["grids"] is not None and first["grid"] not in {str(grid) for grid in sweep["grids"]}:
        return None  # another grid's building of a sweep over several grids, or not the part a guest's code opens
    unit_id = uuid.UUID(first["unit_id"])
    rows = await Household.raw(*_query(_DOORS_SQL, unit_id=unit_id, floor=floor, **ids))
    doors: dict[str, dict] = {}
    living: list[dict] = []
    for row in rows:
        doors.setdefault(row["id"], row)
        if row["resident"] is not None:
            living.append(row)
    here = list(doors.values())
    size: dict[str, int] = {}
    head: dict[str, str] = {}
    for person in living:
        size[person["id"]] = size.get(person["id"], 0) + 1
        if person["relation"] == "head" or person["id"] not in head:
            head[person["id"]] = person["name"]
    notes: dict[str, str] = {}
    seqs: dict[str, int] = {}
    last_word: dict[str, Said] = {}
    for door in here:
        if not door["memory"]:
            continue
        memory = MEMORY_DECODER.decode(door["memory"])
        notes[door["id"]] = memory.note
        seqs[door["id"]] = memory.seq
        # The last outcome to arrive counts for each person (rules.person_sweep_state), also for someone who moved
        # to another door of this floor during the sweep and was recorded at both.
        for person, said in memory.people.items():
            if person not in last_word or said.seq > last_word[person].seq:
                last_word[person] = said
    people: dict[str, list[PersonRow]] = {}
    if sweep["subject"] == "persons":
        for person in sorted(living, key=lambda p: (p["relation"] != "head", p["name"])):
            people.setdefault(person["id"], []).append(
                PersonRow(
                    resident_id=uuid.UUID(person["resident"]),
                    masked_name=mask_name(person["name"]),
                    relation=person["relation"],
                    outcome=last_word[person["resident"]].outcome if person["resident"] in last_word else None,
                )
            )
    holder, may_record, mine = await _claims_here(user, sweep_id, unit_id, floor)
    tiles = [
        FloorTile(
            floor=row["floor"],
            doors=int(row["doors"]),
            left=int(row["open_doors"]),
            revisit=int(row["revisit"]),
            mine=row["floor"] in mine,
        )
        for row in sorted(per_floor, key=lambda row: -row["floor"])
    ]
    return FloorScreen(
        sweep_id=sweep_id,
        sweep_name=sweep["name"],
        closed=sweep["status"] == "closed",
        building_id=building_id,
        building_name=first["building_name"],
        unit=unit,
        unit_id=unit_id,
        floor=floor,
        floors_in_unit=first["floors"],
        subject=sweep["subject"],
        may_record=may_record,
        holder=holder,
        tiles=tiles,
        next_floor=_next_floor(tiles, floor),
        all_answered=not any(t.left for t in ([t for t in tiles if t.mine] or tiles)),
        doors=[
            DoorRow(
                household_id=uuid.UUID(d["id"]),
                door=d["door"],
                room=d["room"],
                size=size.get(d["id"], 0),
                masked_name=mask_name(head.get(d["id"])),
                outcome=d["outcome"] or None,  # "": ticks that give no state yet
                conflict=bool(d["conflict"]),  # SQLite gives 0 or 1
                note=notes.get(d["id"], ""),
                people=people.get(d["id"], []),
                seq=seqs.get(d["id"], 0),
            )
            for d in sorted(here, key=lambda d: d["room"])
        ],
    )


async def _claims_here(
    user: CurrentUser, sweep_id: uuid.UUID, unit_id: uuid.UUID, floor: int
) -> tuple[str | None, bool, set[int]]:
    """Who holds the floor now; whether this user may record its doors (a coordinator always may; a volunteer inside
    a claim of theirs, live or past); and the floors of the unit in this user's live claims."""
    now = datetime.now(UTC)
    claims = await SweepClaim.select(
        SweepClaim.holder,
        SweepClaim.holder.name.as_alias("name"),
        SweepClaim.floor_from,
        SweepClaim.floor_to,
        SweepClaim.expires_at,
        SweepClaim.ended_at,
    ).where((SweepClaim.sweep == sweep_id) & (SweepClaim.unit == unit_id))  # every claim on the unit, in one query
    here = [c for c in claims if c["floor_from"] <= floor <= c["floor_to"]]
    live = [c for c in claims if c["ended_at"] is None and c["expires_at"] > now]
    holder = next((c["name"] for c in live if c in here), None)
    mine = {f for c in live if c["holder"] == user.id for f in range(c["floor_from"], c["floor_to"] + 1)}
    if user.role != "volunteer":
        return holder, True, mine
    return holder, any(c["holder"] == user.id for c in here), mine


def _next_floor(tiles: list[FloorTile], floor: int) -> int | None:
    """The nearest other floor with a door still to visit (the lower one of two as near: towers are swept from the
    top, after the lift), among the viewer's claimed floors if they hold any here."""
    claimed = [t for t in tiles if t.mine]
    candidates = [t.floor for t in claimed or tiles if t.left and t.floor != floor]
    return min(candidates, key=lambda f: (abs(f - floor), f), default=None)


async def nobody_home_left(
    user: CurrentUser, sweep_id: uuid.UUID, household_ids: list[uuid.UUID], form_token: uuid.UUID
) -> tuple[list[tuple[uuid.UUID, uuid.UUID]], list[uuid.UUID]]:
    """What "nobody home on the whole floor" may still send, when its form arrives: (tick id, door) for each door
    that has no outcome now, and the doors that got one since the page was drawn (left as they are: a stale page
    must not overwrite them; the tick rule would set such ticks aside too, decision 0020).

    Tick ids derive from the form's token, so the same form sent again resends the same ticks (duplicates): a door
    recorded by this very form is not "kept". Doors outside the sweep are sent, for the sync to refuse in words.
    """
    doors = list(dict.fromkeys(household_ids))
    ticks = {door: uuid.uuid5(form_token, str(door)) for door in doors}
    everything = [(ticks[door], door) for door in doors], []  # the sync refuses them in words, nothing is said here
    if await visible_sweep(user, sweep_id) is None:
        return everything
    found = await sweep_doors(sweep_id, Household.id.is_in(doors or [uuid.UUID(int=0)]))
    if user.role == "volunteer" and not await _claimed(user, sweep_id, found):
        return everything  # a door recorded or not, the floors must be theirs to record (decision 0005)
    recorded = {d["id"] for d in found if d["outcome"]}
    sent_before = (
        {row["id"] for row in await SweepTick.select(SweepTick.id).where(SweepTick.id.is_in(list(ticks.values())))}
        if recorded
        else set()
    )
    kept = [door for door in doors if door in recorded and ticks[door] not in sent_before]
    return [(ticks[door], door) for door in doors if door not in kept], kept


async def _claimed(user: CurrentUser, sweep_id: uuid.UUID, doors: list[dict]) -> bool:
    """Whether every one of these doors lies in a claim this volunteer holds or held in the sweep."""
    claims = await SweepClaim.select(SweepClaim.unit, SweepClaim.floor_from, SweepClaim.floor_to).where(
        (SweepClaim.sweep == sweep_id) & (SweepClaim.holder == user.id)
    )
    return all(
        any(c["unit"] == d["unit"] and c["floor_from"] <= d["floor"] <= c["floor_to"] for c in claims) for d in doors
    )
