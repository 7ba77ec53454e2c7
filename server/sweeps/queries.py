"""Reading sweeps: the list, the progress of one, and the door screen of one floor. Knows nothing of HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec

from server.accounts.services import CurrentUser
from server.places.tables import Building, Household, Resident, Unit
from server.sweeps import team
from server.sweeps.schemas import (
    AttentionDoor,
    BuildingProgress,
    ClaimRow,
    DoorRow,
    FloorProgress,
    FloorScreen,
    PersonRow,
    Progress,
    Related,
    SweepDetail,
    SweepSummary,
    UnitProgress,
    VolunteerActivity,
)
from server.sweeps.services import fold_door_states
from server.sweeps.tables import DoorState, Sweep, SweepArea, SweepClaim, SweepTick

# A door still to be visited: what a revisit sweep covers. Needs help, refused and vacant are answers.
OPEN_OUTCOMES = (None, "nobody_home", "come_back", "partial")
ATTENTION_LIMIT = 60  # doors listed on the progress page; the export has them all
SWEEP_ROLES = ("admin", "grid_worker", "volunteer")


def mask_name(name: str | None) -> str | None:
    """张国强 > 张**: enough to knock on the right door, not enough to know who lives there."""
    return name[0] + "*" * (len(name) - 1) if name else None


def _count(progress: Progress, outcome: str | None, conflict: bool) -> None:
    progress.total += 1
    if outcome in ("done", "vacant"):
        progress.done += 1
    elif outcome == "refused":
        progress.refused += 1
    elif outcome in ("come_back", "nobody_home"):
        progress.revisit += 1
    elif outcome == "needs_help":
        progress.needs_help += 1
    elif outcome == "partial":
        progress.partial += 1
    progress.conflicts += conflict


async def visible_sweep(user: CurrentUser, sweep_id: uuid.UUID) -> dict | None:
    if user.role not in SWEEP_ROLES:
        return None
    sweep = await Sweep.select().where((Sweep.id == sweep_id) & (Sweep.community == user.community_id)).first()
    if sweep is None or (user.role == "volunteer" and sweep["status"] != "open"):
        return None
    if user.is_guest and not await team.is_member(sweep_id, user.id):
        return None  # a guest sees only the sweeps they joined with a code
    if user.role == "grid_worker":
        grids = {
            row["building.grid"]
            for row in await SweepArea.select(SweepArea.building.grid).where(SweepArea.sweep == sweep_id)
        }
        if not grids & set(user.grid_ids):
            return None
    return sweep


async def _doors(sweep_id: uuid.UUID, where=None) -> list[dict]:
    """The doors of a sweep (optionally narrowed), each with its state (new ticks folded in first)."""
    await fold_door_states(sweep_id)
    areas = await SweepArea.select(SweepArea.building, SweepArea.unit, SweepArea.household).where(
        SweepArea.sweep == sweep_id
    )
    if not areas:
        return []
    condition = None
    single_doors = [area["household"] for area in areas if area["household"]]
    if single_doors:
        condition = Household.id.is_in(single_doors)
    for area in areas:
        if area["household"]:
            continue
        part = Household.building == area["building"]
        if area["unit"]:
            part &= Household.unit == area["unit"]
        condition = part if condition is None else condition | part
    query = Household.select(
        Household.id,
        Household.door,
        Household.floor,
        Household.room,
        Household.building,
        Household.unit,
        Household.unit.number.as_alias("unit_number"),
        Household.unit.floors.as_alias("unit_floors"),
    ).where(condition)
    if where is not None:
        query = query.where(where)
    doors = await query
    state_query = DoorState.select(DoorState.household, DoorState.outcome, DoorState.conflict).where(
        DoorState.sweep == sweep_id
    )
    if where is not None:  # a floor: its few doors' states, not the whole sweep's
        state_query = state_query.where(DoorState.household.is_in([d["id"] for d in doors] or [uuid.UUID(int=0)]))
    states = {row["household"]: row for row in await state_query}
    for door in doors:
        state = states.get(door["id"])
        door["outcome"] = state["outcome"] if state else None
        door["conflict"] = bool(state and state["conflict"])
    return doors


def _summary(sweep: dict, progress: Progress) -> dict:
    return {k: sweep[k] for k in ("id", "name", "purpose", "day", "subject", "status")} | {"progress": progress}


async def list_sweeps(user: CurrentUser) -> list[SweepSummary]:
    """Open sweeps the user takes part in, newest first, each with its progress."""
    if user.role not in SWEEP_ROLES:
        return []
    rows = (
        await Sweep.select(Sweep.id)
        .where((Sweep.community == user.community_id) & (Sweep.status == "open"))
        .order_by(Sweep.created_at, ascending=False)
    )
    found = []
    for row in rows:  # visibility first, then the limit: a grid worker's own sweep is never cut off
        detail = await get_sweep(user, row["id"])
        if detail is not None:
            found.append(SweepSummary(**{field: getattr(detail, field) for field in SweepSummary.__struct_fields__}))
        if len(found) == 20:
            break
    return found


async def get_sweep(user: CurrentUser, sweep_id: uuid.UUID) -> SweepDetail | None:
    """Building > unit > floor with done/total, who holds which floors, doors to look at and volunteers' activity."""
    sweep = await visible_sweep(user, sweep_id)
    if sweep is None:
        return None
    now = datetime.now(UTC)
    doors = await _doors(sweep_id)
    names = {
        row["id"]: row["name"]
        for row in await Building.select(Building.id, Building.name).where(
            Building.id.is_in(list({d["building"] for d in doors}) or [uuid.UUID(int=0)])
        )
    }
    total = Progress()
    buildings: dict[uuid.UUID, tuple[Progress, dict[int, tuple[dict, Progress, dict[int, Progress]]]]] = {}
    for door in sorted(doors, key=lambda d: (len(names[d["building"]]), names[d["building"]], d["unit_number"])):
        building_progress, units = buildings.setdefault(door["building"], (Progress(), {}))
        _, unit_progress, floors = units.setdefault(door["unit_number"], (door, Progress(), {}))
        floor_progress = floors.setdefault(door["floor"], Progress())
        for progress in (total, building_progress, unit_progress, floor_progress):
            _count(progress, door["outcome"], door["conflict"])
    claims: dict[uuid.UUID, list[ClaimRow]] = {}
    my_floor_urls = []
    for held in await team.live_claims(sweep_id, now):
        claims.setdefault(held.unit_id, []).append(
            ClaimRow(
                id=held.id,
                holder_id=held.holder_id,
                holder_name=held.holder_name,
                floor_from=held.floor_from,
                floor_to=held.floor_to,
                minutes_left=held.minutes_left(now),
            )
        )
        if held.holder_id == user.id:
            my_floor_urls += [
                f"/sweeps/{sweep_id}/buildings/{held.building_id}/units/{held.unit}/floors/{floor}"
                for floor in range(held.floor_from, held.floor_to + 1)
            ]
    activity = await SweepTick.raw(
        "SELECT a.name, count(*) AS ticks, max(t.received_at) AS last_sync FROM sweep_tick t"
        " JOIN account a ON t.volunteer = a.id WHERE t.sweep = {} GROUP BY a.id, a.name ORDER BY last_sync DESC",
        sweep_id,
    )
    attention = sorted(
        (
            AttentionDoor(
                household_id=d["id"],
                door=d["door"],
                building_id=d["building"],
                unit=d["unit_number"],
                floor=d["floor"],
                outcome=d["outcome"],
                conflict=d["conflict"],
            )
            for d in doors
            if d["conflict"] or d["outcome"] in ("needs_help", "come_back", "nobody_home", "partial")
        ),
        key=lambda a: (a.outcome != "needs_help", not a.conflict, a.door),
    )
    follows = None
    if sweep["follows"]:
        follows = await Sweep.select(Sweep.id, Sweep.name).where(Sweep.id == sweep["follows"]).first()
    revisits = await Sweep.select(Sweep.id, Sweep.name).where(Sweep.follows == sweep_id).order_by(Sweep.created_at)
    return SweepDetail(
        **_summary(sweep, total),
        attention=attention[:ATTENTION_LIMIT],
        # SQLite gives max() of a timestamp back as text: convert reads both.
        volunteers=msgspec.convert(activity, list[VolunteerActivity], strict=False),
        follows=Related(**follows) if follows else None,
        revisits=[Related(**row) for row in revisits],
        my_floor_urls=my_floor_urls,
        open_doors=sum(1 for d in doors if d["outcome"] in OPEN_OUTCOMES),
        buildings=[
            BuildingProgress(
                building_id=building_id,
                name=names[building_id],
                progress=progress,
                units=[
                    UnitProgress(
                        unit_id=first["unit"],
                        number=n,
                        floors=first["unit_floors"],
                        progress=p,
                        by_floor=[FloorProgress(floor=k, progress=floors[k]) for k in sorted(floors, reverse=True)],
                        claims=claims.get(first["unit"], []),
                    )
                    for n, (first, p, floors) in sorted(units.items())
                ],
            )
            for building_id, (progress, units) in buildings.items()
        ],
    )


async def floor_screen(
    user: CurrentUser, sweep_id: uuid.UUID, building_id: uuid.UUID, unit: int, floor: int
) -> FloorScreen | None:
    sweep = await visible_sweep(user, sweep_id)
    if sweep is None:
        return None
    unit_row = (
        await Unit.select(Unit.id, Unit.floors, Unit.building.name.as_alias("building_name"))
        .where((Unit.building == building_id) & (Unit.number == unit))
        .first()
    )
    if unit_row is None or not 1 <= floor <= unit_row["floors"]:
        return None
    doors = await _doors(sweep_id, (Household.unit == unit_row["id"]) & (Household.floor == floor))
    if not doors and not await _doors(sweep_id, Household.unit == unit_row["id"]):
        return None  # the unit is not in this sweep
    door_ids = [d["id"] for d in doors] or [uuid.UUID(int=0)]
    living = await Resident.select(Resident.id, Resident.household, Resident.name, Resident.relation).where(
        Resident.household.is_in(door_ids) & (Resident.status == "living")
    )
    size: dict[uuid.UUID, int] = {}
    head: dict[uuid.UUID, str] = {}
    for person in living:
        size[person["household"]] = size.get(person["household"], 0) + 1
        if person["relation"] == "head" or person["household"] not in head:
            head[person["household"]] = person["name"]
    notes: dict[uuid.UUID, str] = {}
    person_outcome: dict[uuid.UUID, str] = {}
    for tick in (
        await SweepTick.select(SweepTick.household, SweepTick.resident, SweepTick.outcome, SweepTick.note)
        .where((SweepTick.sweep == sweep_id) & SweepTick.household.is_in(door_ids))
        .order_by(SweepTick.seq)
    ):
        if tick["note"]:
            notes[tick["household"]] = tick["note"]
        if tick["resident"]:
            person_outcome[tick["resident"]] = tick["outcome"]  # the last to arrive counts (rules.person_sweep_state)
    people: dict[uuid.UUID, list[PersonRow]] = {}
    if sweep["subject"] == "persons":
        for person in sorted(living, key=lambda p: (p["relation"] != "head", p["name"])):
            people.setdefault(person["household"], []).append(
                PersonRow(
                    resident_id=person["id"],
                    masked_name=mask_name(person["name"]),
                    relation=person["relation"],
                    outcome=person_outcome.get(person["id"]),
                )
            )
    holder, may_record = await _floor_holder(user, sweep_id, unit_row["id"], floor)
    return FloorScreen(
        sweep_id=sweep_id,
        sweep_name=sweep["name"],
        building_id=building_id,
        building_name=unit_row["building_name"],
        unit=unit,
        unit_id=unit_row["id"],
        floor=floor,
        floors_in_unit=unit_row["floors"],
        subject=sweep["subject"],
        may_record=may_record,
        holder=holder,
        doors=[
            DoorRow(
                household_id=d["id"],
                door=d["door"],
                size=size.get(d["id"], 0),
                masked_name=mask_name(head.get(d["id"])),
                outcome=d["outcome"],
                conflict=d["conflict"],
                note=notes.get(d["id"], ""),
                people=people.get(d["id"], []),
            )
            for d in sorted(doors, key=lambda d: d["room"])
        ],
    )


async def _floor_holder(user: CurrentUser, sweep_id: uuid.UUID, unit_id: uuid.UUID, floor: int) -> tuple:
    """Who holds the floor now, and whether this user may record its doors (a coordinator always may; a volunteer
    inside a claim of theirs, live or past)."""
    now = datetime.now(UTC)
    here = await SweepClaim.select(
        SweepClaim.holder,
        SweepClaim.holder.name.as_alias("name"),
        SweepClaim.expires_at,
        SweepClaim.ended_at,
    ).where(
        (SweepClaim.sweep == sweep_id)
        & (SweepClaim.unit == unit_id)
        & (SweepClaim.floor_from <= floor)
        & (SweepClaim.floor_to >= floor)
    )  # every claim on this floor, live or past, in one query
    holder = next((c["name"] for c in here if c["ended_at"] is None and c["expires_at"] > now), None)
    if user.role != "volunteer":
        return holder, True
    return holder, any(c["holder"] == user.id for c in here)


EXPORT_COLUMNS = (
    "building",
    "unit",
    "floor",
    "door",
    "people",
    "outcome",
    "conflict",
    "ticks",
    "last_by",
    "last_at",
    "help_needed",
)


async def export_rows(user: CurrentUser, sweep_id: uuid.UUID) -> tuple[str, list[dict]] | None:
    """Every door of the sweep with its state, for a coordinator's spreadsheet; None if not theirs to see."""
    if user.role not in ("admin", "grid_worker"):
        return None
    sweep = await visible_sweep(user, sweep_id)
    if sweep is None:
        return None
    doors = await _doors(sweep_id)
    ids = [d["id"] for d in doors] or [uuid.UUID(int=0)]
    names = {
        row["id"]: row["name"]
        for row in await Building.select(Building.id, Building.name).where(
            Building.id.is_in(list({d["building"] for d in doors}) or [uuid.UUID(int=0)])
        )
    }
    people: dict[uuid.UUID, int] = {}
    for row in await Resident.select(Resident.household).where(
        Resident.household.is_in(ids) & (Resident.status == "living")
    ):
        people[row["household"]] = people.get(row["household"], 0) + 1
    last: dict[uuid.UUID, dict] = {}
    counts: dict[uuid.UUID, int] = {}
    help_needed: dict[uuid.UUID, str] = {}
    for tick in (
        await SweepTick.select(
            SweepTick.household, SweepTick.volunteer.name.as_alias("by"), SweepTick.received_at, SweepTick.help_needed
        )
        .where(SweepTick.sweep == sweep_id)
        .order_by(SweepTick.seq)
    ):
        last[tick["household"]] = tick
        counts[tick["household"]] = counts.get(tick["household"], 0) + 1
        if tick["help_needed"]:
            help_needed[tick["household"]] = tick["help_needed"]
    rows = [
        {
            "building": names[d["building"]],
            "unit": d["unit_number"],
            "floor": d["floor"],
            "door": d["door"],
            "people": people.get(d["id"], 0),
            "outcome": d["outcome"],
            "conflict": d["conflict"],
            "ticks": counts.get(d["id"], 0),
            "last_by": last.get(d["id"], {}).get("by"),
            "last_at": last.get(d["id"], {}).get("received_at"),
            "help_needed": help_needed.get(d["id"], ""),
        }
        for d in doors
    ]
    rows.sort(key=lambda r: (len(r["building"]), r["building"], r["unit"], r["floor"], r["door"]))
    return sweep["name"], rows


async def units_of(building_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict]]:
    """The units of each building, for choosing single units when making a sweep."""
    units: dict[uuid.UUID, list[dict]] = {}
    for row in (
        await Unit.select(Unit.id, Unit.building, Unit.number)
        .where(Unit.building.is_in(building_ids or [uuid.UUID(int=0)]))
        .order_by(Unit.number)
    ):
        units.setdefault(row["building"], []).append(row)
    return units


async def open_doors(user: CurrentUser, sweep_id: uuid.UUID) -> list[uuid.UUID]:
    """Doors of the sweep still open, for a revisit; a grid worker's revisit covers only their grid's doors."""
    if user.role not in ("admin", "grid_worker") or await visible_sweep(user, sweep_id) is None:
        return []
    doors = [d for d in await _doors(sweep_id) if d["outcome"] in OPEN_OUTCOMES]
    if user.role == "grid_worker":
        mine = {
            row["id"]
            for row in await Building.select(Building.id).where(
                Building.id.is_in(list({d["building"] for d in doors}) or [uuid.UUID(int=0)])
                & Building.grid.is_in(list(user.grid_ids) or [uuid.UUID(int=0)])
            )
        }
        doors = [d for d in doors if d["building"] in mine]
    return [d["id"] for d in doors]
