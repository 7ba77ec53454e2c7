"""Reading sweeps: who sees which, the list, and the progress of one (floors.py: the door screen; export.py: the
spreadsheet). Knows nothing of HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec

from server.access.scope import CurrentUser
from server.places.tables import Household, Unit
from server.sweeps import team
from server.sweeps.free_floors import free_floors, next_free
from server.sweeps.schemas import (
    AttentionDoor,
    BuildingProgress,
    ClaimRow,
    FloorProgress,
    MyClaim,
    Progress,
    Related,
    SweepDetail,
    SweepSummary,
    UnitProgress,
    VolunteerActivity,
)
from server.sweeps.services import fold_door_states
from server.sweeps.tables import DoorState, Sweep, SweepArea, SweepMember, SweepTick

# A door still to be visited: what a revisit sweep covers. Needs help, refused and vacant are answers.
OPEN_OUTCOMES = (None, "nobody_home", "come_back", "partial")
ATTENTION_LIMIT = 60  # doors listed on the progress page; the export has them all
SWEEP_ROLES = ("admin", "grid_worker", "volunteer")


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


def grids_of(user: CurrentUser) -> tuple[uuid.UUID, ...] | None:
    """The grids whose buildings a user sees in a sweep: a grid worker's own (and any they cover); None: all."""
    return tuple(user.grid_ids) if user.role == "grid_worker" else None


async def building_grids(sweep_id: uuid.UUID) -> dict[uuid.UUID, uuid.UUID]:
    """The grid of each building in the sweep (an admin's sweep may span several)."""
    return {
        row["building"]: row["grid"]
        for row in await SweepArea.select(SweepArea.building, SweepArea.building.grid.as_alias("grid")).where(
            SweepArea.sweep == sweep_id
        )
    }


async def visible_sweep(user: CurrentUser, sweep_id: uuid.UUID) -> dict | None:
    """The sweep if this user takes part in it. Volunteers see open sweeps only (a closed one: ended_sweep).

    Its "grids" are those whose buildings the user sees in it (None: all): a grid worker's own, and for a guest
    those of the code they joined with (a grid worker's code opens that grid worker's part only)."""
    if user.role not in SWEEP_ROLES:
        return None
    sweep = await Sweep.select().where((Sweep.id == sweep_id) & (Sweep.community == user.community_id)).first()
    if sweep is None or (user.role == "volunteer" and sweep["status"] != "open"):
        return None
    sweep["grids"] = grids_of(user)
    if user.is_guest:
        member, sweep["grids"] = await team.guest_grids(sweep_id, user.id)
        if not member:
            return None  # a guest sees only the sweeps they joined with a code, until signed out of them
    if sweep["grids"] is not None and not set((await building_grids(sweep_id)).values()) & set(sweep["grids"]):
        return None
    return sweep


async def ended_sweep(user: CurrentUser, sweep_id: uuid.UUID) -> dict | None:
    """A closed sweep of the community, for a volunteer (a guest: one they joined and were not signed out of), to
    tell them it has ended rather than that it does not exist."""
    if user.role != "volunteer":
        return None
    sweep = (
        await Sweep.select(Sweep.id, Sweep.name, Sweep.closed_at)
        .where((Sweep.id == sweep_id) & (Sweep.community == user.community_id) & (Sweep.status == "closed"))
        .first()
    )
    if sweep is None or (user.is_guest and not await team.is_member(sweep_id, user.id)):
        return None
    return sweep


async def ended_sweeps(user: CurrentUser, limit: int = 5) -> list[dict]:
    """The latest closed sweeps a volunteer is a member of, for their home page: their work there is over."""
    if user.role != "volunteer":
        return []
    return (
        await SweepMember.select(SweepMember.sweep.id.as_alias("id"), SweepMember.sweep.name.as_alias("name"))
        .where((SweepMember.user == user.id) & SweepMember.ended_at.is_null() & (SweepMember.sweep.status == "closed"))
        .order_by(SweepMember.sweep.closed_at, ascending=False)
        .limit(limit)
    )


# A sweep's scope is held in its own table, SweepArea: whole buildings, single units, or single doors (a revisit). Its
# doors are read by joining that table in a sub-select per kind, never by a list of its buildings written into the
# query: one OR term per building overflowed SQLite's parser past ~90 buildings or ~60 units (issue 18), and a list
# of doors grows past the databases' parameter limits. The query is the same size for 1 building or 200.
_KINDS = {
    "doors": (Household.id, SweepArea.household, SweepArea.household.is_not_null()),
    "units": (Household.unit, SweepArea.unit, SweepArea.unit.is_not_null() & SweepArea.household.is_null()),
    "buildings": (Household.building, SweepArea.building, SweepArea.unit.is_null() & SweepArea.household.is_null()),
}
_KIND_SQL = (
    "SELECT CASE WHEN household IS NOT NULL THEN 'doors' WHEN unit IS NOT NULL THEN 'units' ELSE 'buildings' END"
    " AS kind FROM sweep_area WHERE sweep = {} GROUP BY 1"
)


async def sweep_doors(sweep_id: uuid.UUID, where=None, grids: tuple[uuid.UUID, ...] | None = None) -> list[dict]:
    """The doors of a sweep (optionally narrowed, and to the buildings of some grids), each with its state (new
    ticks folded in first) and its building's name.

    One query per kind of area the sweep holds (usually one: whole buildings, units, or a revisit's doors), each an
    `IN (sub-select)` of the sweep's own SweepArea rows, which both databases answer through household's indexes."""
    await fold_door_states(sweep_id)
    doors: dict[uuid.UUID, dict] = {}  # by id: a door in two areas of the sweep (its building and its unit) once
    for row in await SweepArea.raw(_KIND_SQL, sweep_id):
        column, area_column, kind = _KINDS[row["kind"]]
        query = Household.select(
            Household.id,
            Household.door,
            Household.floor,
            Household.room,
            Household.building,
            Household.building.name.as_alias("building_name"),
            Household.unit,
            Household.unit.number.as_alias("unit_number"),
            Household.unit.floors.as_alias("unit_floors"),
        ).where(column.is_in(SweepArea.select(area_column).where((SweepArea.sweep == sweep_id) & kind)))
        if where is not None:
            query = query.where(where)
        if grids is not None:
            query = query.where(Household.building.grid.is_in(list(grids) or [uuid.UUID(int=0)]))
        for door in await query:
            doors[door["id"]] = door
    if not doors:
        return []
    doors = list(doors.values())
    state_query = DoorState.select(DoorState.household, DoorState.outcome, DoorState.conflict).where(
        DoorState.sweep == sweep_id
    )
    if where is not None:  # a floor: its few doors' states, not the whole sweep's
        state_query = state_query.where(DoorState.household.is_in([d["id"] for d in doors] or [uuid.UUID(int=0)]))
    states = {row["household"]: row for row in await state_query}
    for door in doors:
        state = states.get(door["id"])
        door["outcome"] = (state["outcome"] or None) if state else None  # "": ticks that give no state yet
        door["conflict"] = bool(state and state["conflict"])
    return doors


def _summary(sweep: dict, progress: Progress) -> dict:
    return {k: sweep[k] for k in ("id", "name", "purpose", "day", "subject", "status")} | {"progress": progress}


async def list_sweeps(user: CurrentUser, closed: int = 5) -> list[SweepSummary]:
    """Open sweeps the user takes part in, newest first, each with its progress; then, for coordinators, the
    latest `closed` closed ones (still read and exported)."""
    if user.role not in SWEEP_ROLES:
        return []
    found = []
    for status, limit in (("open", 20), ("closed", closed if user.role != "volunteer" else 0)):
        if not limit:
            continue
        rows = (
            await Sweep.select(Sweep.id)
            .where((Sweep.community == user.community_id) & (Sweep.status == status))
            .order_by(Sweep.closed_at if status == "closed" else Sweep.created_at, ascending=False)
        )
        shown = 0
        for row in rows:  # visibility first, then the limit: a grid worker's own sweep is never cut off
            if shown == limit:
                break
            detail = await get_sweep(user, row["id"])
            if detail is not None:
                found.append(
                    SweepSummary(**{field: getattr(detail, field) for field in SweepSummary.__struct_fields__})
                )
                shown += 1
    return found


async def get_sweep(user: CurrentUser, sweep_id: uuid.UUID) -> SweepDetail | None:
    """Building > unit > floor with done/total, who holds which floors, doors to look at and volunteers' activity.

    A grid worker sees the buildings of their own grids only, also in a sweep an admin made over several grids."""
    sweep = await visible_sweep(user, sweep_id)
    if sweep is None:
        return None
    now = datetime.now(UTC)
    grids = sweep["grids"]
    doors = await sweep_doors(sweep_id, grids=grids)
    hidden = 0
    if grids is not None:
        hidden = sum(1 for grid in (await building_grids(sweep_id)).values() if grid not in grids)
    names = {d["building"]: d["building_name"] for d in doors}
    total = Progress()
    buildings: dict[uuid.UUID, tuple[Progress, dict[int, tuple[dict, Progress, dict[int, Progress]]]]] = {}
    for door in sorted(doors, key=lambda d: (len(names[d["building"]]), names[d["building"]], d["unit_number"])):
        building_progress, units = buildings.setdefault(door["building"], (Progress(), {}))
        _, unit_progress, floors = units.setdefault(door["unit_number"], (door, Progress(), {}))
        floor_progress = floors.setdefault(door["floor"], Progress())
        for progress in (total, building_progress, unit_progress, floor_progress):
            _count(progress, door["outcome"], door["conflict"])
    claims: dict[uuid.UUID, list[ClaimRow]] = {}
    my_claims: list[MyClaim] = []
    my_floor_urls = []
    for held in await team.live_claims(sweep_id, now):
        if held.building_id not in names:
            continue  # another grid's building
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
            _, _, unit_floors = buildings.get(held.building_id, (None, {}))[1].get(held.unit, (None, None, {}))
            in_claim = [k for k in sorted(unit_floors) if held.floor_from <= k <= held.floor_to]
            my_claims.append(
                MyClaim(
                    id=held.id,
                    building_id=held.building_id,
                    building_name=names[held.building_id],
                    unit_id=held.unit_id,
                    unit=held.unit,
                    floor_from=held.floor_from,
                    floor_to=held.floor_to,
                    minutes_left=held.minutes_left(now),
                    floors=[FloorProgress(floor=k, progress=unit_floors[k]) for k in in_claim],
                )
            )
            my_floor_urls += [
                f"/sweeps/{sweep_id}/buildings/{held.building_id}/units/{held.unit}/floors/{floor}"
                for floor in range(held.floor_from, held.floor_to + 1)
            ]
    follows = None
    if sweep["follows"]:
        follows = await Sweep.select(Sweep.id, Sweep.name).where(Sweep.id == sweep["follows"]).first()
    revisits = await Sweep.select(Sweep.id, Sweep.name).where(Sweep.follows == sweep_id).order_by(Sweep.created_at)
    attention = _attention(doors)
    walk = list(buildings)  # the buildings in the order the page draws them
    building_rows = [
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
                    free=free_floors(first["unit_floors"], floors, claims.get(first["unit"], [])),
                )
                for n, (first, p, floors) in sorted(units.items())
            ],
        )
        for building_id, (progress, units) in buildings.items()
    ]
    return SweepDetail(
        **_summary(sweep, total),
        attention=attention[:ATTENTION_LIMIT],
        attention_count=len(attention),
        volunteers=await _activity(sweep_id, grids),
        follows=Related(**follows) if follows else None,
        revisits=[Related(**row) for row in revisits if grids is None or await visible_sweep(user, row["id"])],
        my_floor_urls=my_floor_urls,
        my_claims=sorted(my_claims, key=lambda c: (walk.index(c.building_id), c.unit, c.floor_from)),
        next_free=next_free(building_rows, user.id) if user.role == "volunteer" else None,
        open_doors=sum(1 for d in doors if d["outcome"] in OPEN_OUTCOMES),
        closed_at=sweep["closed_at"],
        late_ticks=await _late_ticks(sweep_id, sweep["closed_at"], grids) if sweep["status"] == "closed" else 0,
        other_grids_buildings=hidden,
        buildings=building_rows,
    )


def _attention(doors: list[dict]) -> list[AttentionDoor]:
    return sorted(
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


def _in_grids(grids: tuple[uuid.UUID, ...]) -> tuple[str, list]:
    """A condition on the building `b` of a tick's door, for raw SQL: one placeholder per grid (a handful)."""
    return "b.grid IN (" + ", ".join("{}" for _ in grids or (None,)) + ")", list(grids or [uuid.UUID(int=0)])


def _ticks_in_grids(grids: tuple[uuid.UUID, ...] | None) -> tuple[str, str, list]:
    """The join, the condition and its values that keep ticks `t` to the doors of `grids` (None: every door)."""
    if grids is None:
        return "", "", []
    condition, values = _in_grids(grids)
    return " JOIN household h ON h.id = t.household JOIN building b ON b.id = h.building", " AND " + condition, values


async def _activity(sweep_id: uuid.UUID, grids: tuple[uuid.UUID, ...] | None) -> list[VolunteerActivity]:
    """Who recorded how many outcomes and when they last synced; for a grid worker, at the doors of their grids."""
    join, condition, values = _ticks_in_grids(grids)
    sql = "SELECT a.name, count(*) AS ticks, max(t.received_at) AS last_sync FROM sweep_tick t"
    sql += " JOIN account a ON t.volunteer = a.id" + join + " WHERE t.sweep = {}" + condition
    rows = await SweepTick.raw(sql + " GROUP BY a.id, a.name ORDER BY last_sync DESC", sweep_id, *values)
    # SQLite gives max() of a timestamp back as text: convert reads both.
    return msgspec.convert(rows, list[VolunteerActivity], strict=False)


async def _late_ticks(sweep_id: uuid.UUID, closed_at: datetime, grids: tuple[uuid.UUID, ...] | None) -> int:
    """Outcomes received since the sweep was closed: stored like any other (docs/decisions/0011), counted apart."""
    join, condition, values = _ticks_in_grids(grids)
    sql = "SELECT count(*) AS n FROM sweep_tick t"
    sql += join + " WHERE t.sweep = {} AND t.received_at > {}" + condition
    [row] = await SweepTick.raw(sql, sweep_id, closed_at, *values)
    return int(row["n"])


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
    """Doors of the sweep still open, for a revisit; a grid worker's revisit covers only their grids' doors."""
    sweep = await visible_sweep(user, sweep_id) if user.role in ("admin", "grid_worker") else None
    if sweep is None:
        return []
    return [d["id"] for d in await sweep_doors(sweep_id, grids=sweep["grids"]) if d["outcome"] in OPEN_OUTCOMES]
