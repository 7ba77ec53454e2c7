"""Creating sweeps and storing the ticks that phones send (the "sweep.tick" kind of offline write)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from piccolo.engine.postgres import PostgresEngine

from server.accounts.services import CurrentUser, Scope
from server.db import insert_in_chunks, write_transaction
from server.piccolo_conf import DB
from server.places.tables import Building, Household, Resident, Unit
from server.sweeps import rules, team
from server.sweeps.schemas import SweepCreate, TickPayload
from server.sweeps.tables import DoorState, Sweep, SweepArea, SweepTick
from server.sync.services import Answer, Incoming, Kind, rejection

DOOR_STATE_NAMESPACE = uuid.UUID("0f6f2c1e-95a4-5d55-8d0c-5f0a3c6b9e01")


def door_state_id(sweep_id: uuid.UUID, household_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(DOOR_STATE_NAMESPACE, f"{sweep_id}:{household_id}")


class SweepError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def create_sweep(user: CurrentUser, scope: Scope, data: SweepCreate) -> uuid.UUID:
    """A sweep of whole buildings and single units, all in the creator's scope (a grid worker: their grid)."""
    buildings = await Building.select(Building.id, Building.grid).where(
        Building.id.is_in(data.building_ids or [uuid.UUID(int=0)]) & (Building.community == scope.community_id)
    )
    units = await Unit.select(Unit.id, Unit.building, Unit.building.grid.as_alias("grid")).where(
        Unit.id.is_in(data.unit_ids or [uuid.UUID(int=0)]) & (Unit.building.community == scope.community_id)
    )
    if (
        len(buildings) != len(set(data.building_ids))
        or len(units) != len(set(data.unit_ids))
        or not all(scope.allows_grid(row["grid"]) for row in [*buildings, *units])
    ):
        raise SweepError("building_out_of_scope")
    if not buildings and not units:
        raise SweepError("nothing_chosen")
    whole = {b["id"] for b in buildings}
    areas = [{"building": b} for b in whole]
    areas += [{"building": u["building"], "unit": u["id"]} for u in units if u["building"] not in whole]
    return await _save(user, scope, data.name, data.purpose, data.day, data.subject, areas)


async def create_door_sweep(
    user: CurrentUser,
    scope: Scope,
    name: str,
    day: date,
    household_ids: list[uuid.UUID],
    subject: str = "households",
    purpose: str = "",
    follows: uuid.UUID | None = None,
) -> uuid.UUID:
    """A sweep of single doors: a revisit of the doors still open, or the doors of people a list did not have."""
    doors = await Household.select(Household.id, Household.building, Household.building.grid.as_alias("grid")).where(
        Household.id.is_in(household_ids or [uuid.UUID(int=0)]) & (Household.community == scope.community_id)
    )
    if len(doors) != len(set(household_ids)) or not all(scope.allows_grid(d["grid"]) for d in doors):
        raise SweepError("building_out_of_scope")
    if not doors:
        raise SweepError("nothing_chosen")
    areas = [{"building": d["building"], "household": d["id"]} for d in doors]
    return await _save(user, scope, name, purpose, day, subject, areas, follows)


async def _save(user, scope, name, purpose, day, subject, areas, follows=None) -> uuid.UUID:
    sweep = Sweep(
        community=scope.community_id,
        name=name.strip()[:64],
        purpose=purpose.strip()[:256],
        day=day,
        subject=subject,
        created_by=user.id,
        created_at=datetime.now(UTC),
        follows=follows,
    )
    async with write_transaction():
        await sweep.save()
        await insert_in_chunks(SweepArea, [SweepArea(sweep=sweep.id, **area) for area in areas])
    return sweep.id


async def ingest_ticks(user: CurrentUser, items: list[Incoming], now: datetime) -> dict[uuid.UUID, Answer]:
    """Store ticks in one pass: a handful of queries whatever the batch size. Ids are unique within `items`."""
    payloads: list[TickPayload] = [item.payload for item in items]
    ids = [item.id for item in items]
    existing = {
        row["id"]: row
        for row in await SweepTick.select(SweepTick.id, SweepTick.content_hash, SweepTick.seq).where(
            SweepTick.id.is_in(ids)
        )
    }
    sweeps = {
        row["id"]: row
        for row in await Sweep.select(Sweep.id, Sweep.community, Sweep.status, Sweep.subject).where(
            Sweep.id.is_in(list({p.sweep_id for p in payloads}))
        )
    }
    households = {
        row["id"]: row
        for row in await Household.select(
            Household.id,
            Household.building,
            Household.unit,
            Household.floor,
            Household.building.grid.as_alias("grid"),
        ).where(Household.id.is_in(list({p.household_id for p in payloads})))
    }
    areas: dict[uuid.UUID, list[dict]] = {}
    for row in await SweepArea.select(SweepArea.sweep, SweepArea.building, SweepArea.unit, SweepArea.household).where(
        SweepArea.sweep.is_in(list(sweeps) or [uuid.UUID(int=0)])
    ):
        areas.setdefault(row["sweep"], []).append(row)
    person_ids = [p.resident_id for p in payloads if p.resident_id]
    resident_home = {
        row["id"]: row["household"]
        for row in await Resident.select(Resident.id, Resident.household).where(
            Resident.id.is_in(person_ids or [uuid.UUID(int=0)])
        )
    }

    claims = await team.claimed_floors(user.id, list(sweeps)) if user.role == "volunteer" else {}

    answers: dict[uuid.UUID, Answer] = {}
    fresh: dict[uuid.UUID, Incoming] = {}
    for item, payload in zip(items, payloads, strict=True):
        earlier = existing.get(item.id)
        if earlier is not None:
            if earlier["content_hash"] == item.content_hash:
                answers[item.id] = Answer(id=item.id, status="duplicate", seq=earlier["seq"])
            else:
                answers[item.id] = rejection(item.id, "id_reused")
            continue
        reason = _check(
            user,
            payload,
            sweeps.get(payload.sweep_id),
            households.get(payload.household_id),
            areas.get(payload.sweep_id, []),
            resident_home,
            claims.get(payload.sweep_id, []),
        )
        if reason:
            answers[item.id] = rejection(item.id, reason)
        else:
            fresh[item.id] = item

    if fresh:
        await _serialise_per_sweep({item.payload.sweep_id for item in fresh.values()})
        rows = [
            SweepTick(
                id=item.id,
                content_hash=item.content_hash,
                sweep=item.payload.sweep_id,
                household=item.payload.household_id,
                resident=item.payload.resident_id,
                outcome=item.payload.outcome,
                note=item.payload.note.strip(),
                help_needed=item.payload.help_needed.strip(),
                volunteer=user.id,
                device_time=item.device_time,
                received_at=now,
            )
            for item in fresh.values()
        ]
        # Another phone's batch may have stored the same id a moment ago: keep theirs, judge below.
        await insert_in_chunks(SweepTick, rows, skip_existing_ids=True)
        stored = {
            row["id"]: row
            for row in await SweepTick.select(SweepTick.id, SweepTick.seq, SweepTick.content_hash).where(
                SweepTick.id.is_in(list(fresh))
            )
        }
        for tick_id, item in fresh.items():
            if stored[tick_id]["content_hash"] == item.content_hash:
                answers[tick_id] = Answer(id=tick_id, status="accepted", seq=stored[tick_id]["seq"])
            else:
                answers[tick_id] = rejection(tick_id, "id_reused")
        await _rebuild_door_states({(i.payload.sweep_id, i.payload.household_id) for i in fresh.values()}, now)
    return answers


def _check(user, payload: TickPayload, sweep, household, areas, resident_home, claims) -> str | None:
    """Why a tick cannot be stored, as a code the phone shows in words; None when it can.

    Permission is checked first, so that someone who may not use a sweep learns nothing about what is in it.
    """
    if sweep is None or not _may_use(user, sweep):
        return "not_allowed"
    if household is None:
        return "unknown_door"
    in_areas = (
        a["building"] == household["building"]
        and a["unit"] in (None, household["unit"])
        and a["household"] in (None, household["id"])
        for a in areas
    )
    if not any(in_areas):
        return "outside_sweep"
    if user.role == "grid_worker" and household["grid"] not in user.grid_ids:
        return "not_allowed"
    if user.role == "volunteer" and not any(
        unit == household["unit"] and first <= household["floor"] <= last for unit, first, last in claims
    ):
        return "outside_claim"
    person_outcome = payload.outcome in rules.PERSON_OUTCOMES
    if person_outcome != (payload.resident_id is not None):
        return "invalid"
    if person_outcome and (sweep["subject"] != "persons" or resident_home.get(payload.resident_id) != household["id"]):
        return "invalid"
    if payload.outcome == "done" and sweep["subject"] == "persons":
        return "invalid"  # a person sweep's door is done when each of its people has an outcome
    if payload.outcome == "needs_help" and not payload.help_needed.strip():
        return "help_not_described"
    return None


def _may_use(user: CurrentUser, sweep: dict) -> bool:
    """Admins and grid workers of the community (a grid worker: the doors of their grid), and volunteers of the
    community, who may record only the floors they claim or claimed (checked after)."""
    return (
        sweep["community"] == user.community_id
        and sweep["status"] == "open"
        and user.role in ("admin", "grid_worker", "volunteer")
    )


async def _serialise_per_sweep(sweep_ids: set[uuid.UUID]) -> None:
    """One batch at a time per sweep on PostgreSQL (SQLite's IMMEDIATE transaction already is one at a time), so
    that two batches for one door cannot each rebuild its state without the other's ticks."""
    if isinstance(DB, PostgresEngine):
        for sweep_id in sorted(sweep_ids):  # always in the same order: no deadlock between two batches
            await SweepTick.raw("SELECT pg_advisory_xact_lock({})", sweep_id.int & 0x7FFFFFFFFFFFFFFF)


async def _rebuild_door_states(doors: set[tuple[uuid.UUID, uuid.UUID]], now: datetime) -> None:
    """Recompute the state of each door that got a tick, from all of that door's ticks (and, in a person sweep,
    from the outcomes of the people registered there)."""
    sweep_ids = list({sweep for sweep, _ in doors})
    household_ids = list({household for _, household in doors})
    person_sweeps = {
        row["id"]
        for row in await Sweep.select(Sweep.id).where(Sweep.id.is_in(sweep_ids) & (Sweep.subject == "persons"))
    }
    door_ticks: dict[tuple, list[rules.TickView]] = {key: [] for key in doors}
    person_ticks: dict[tuple, dict[uuid.UUID, list[rules.TickView]]] = {key: {} for key in doors}
    for row in await SweepTick.select(
        SweepTick.seq,
        SweepTick.sweep,
        SweepTick.household,
        SweepTick.resident,
        SweepTick.outcome,
        SweepTick.volunteer,
        SweepTick.volunteer.role.as_alias("role"),
    ).where(SweepTick.sweep.is_in(sweep_ids) & SweepTick.household.is_in(household_ids)):
        key = (row["sweep"], row["household"])
        if key not in doors:
            continue
        view = rules.TickView(row["seq"], row["outcome"], row["volunteer"], row["role"] in ("admin", "grid_worker"))
        if row["resident"] is None:
            door_ticks[key].append(view)
        else:
            person_ticks[key].setdefault(row["resident"], []).append(view)
    living: dict[uuid.UUID, set[uuid.UUID]] = {}
    if person_sweeps:
        for row in await Resident.select(Resident.id, Resident.household).where(
            Resident.household.is_in(household_ids) & (Resident.status == "living")
        ):
            living.setdefault(row["household"], set()).add(row["id"])
    states = []
    for key in doors:
        sweep_id, household_id = key
        if sweep_id in person_sweeps:
            state = rules.person_sweep_state(door_ticks[key], person_ticks[key], living.get(household_id, set()))
        else:
            state = rules.door_state(door_ticks[key]) if door_ticks[key] else None
        if state is None:
            continue
        states.append(
            DoorState(
                id=door_state_id(sweep_id, household_id),
                sweep=sweep_id,
                household=household_id,
                outcome=state.outcome,
                tick_seq=state.tick_seq,
                ticks=state.ticks,
                conflict=state.conflict,
                updated_at=now,
            )
        )
    await DoorState.delete().where(DoorState.id.is_in([door_state_id(*key) for key in doors] or [uuid.UUID(int=0)]))
    await insert_in_chunks(DoorState, states)


TICK = Kind(name="sweep.tick", payload_type=TickPayload, ingest=ingest_ticks)
