"""Creating sweeps and storing the ticks that phones send (the "sweep.tick" kind of offline write)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

import msgspec
from piccolo.engine.postgres import PostgresEngine

from server.accounts.services import CurrentUser, Scope
from server.db import RawSQL, insert_in_chunks, write_transaction
from server.piccolo_conf import DB
from server.places.tables import Building, Household, Unit
from server.sweeps import rules
from server.sweeps.schemas import SweepCreate, TickPayload
from server.sweeps.tables import Sweep, SweepArea
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
    """Store ticks in one pass: a handful of queries whatever the batch size. Ids are unique within `items`.

    The hot path of every phone's outbox: plain SQL on the batch's own connection (server.db.RawSQL), since
    Piccolo's objects and query building cost far more here than the database's work (docs/decisions/0007).
    Ids are handled as text: converted in one call per column (msgspec, in C; `str(UUID)` is Python code and a batch
    needs hundreds), passed as text (both databases take it for a UUID) and read back as text, not through Piccolo's
    converters, which cost more than the queries on SQLite.
    """
    sql = RawSQL()
    payloads: list[TickPayload] = [item.payload for item in items]
    tick_ids: list[str] = msgspec.to_builtins([item.id for item in items])
    sweep_ids: list[str] = msgspec.to_builtins([p.sweep_id for p in payloads])
    door_ids: list[str] = msgspec.to_builtins([p.household_id for p in payloads])
    person_ids: list[str | None] = msgspec.to_builtins([p.resident_id for p in payloads])
    sweeps = {
        row["id"]: row
        for row in await sql.fetch(
            "SELECT CAST(id AS TEXT) AS id, CAST(community AS TEXT) AS community, status, subject FROM sweep"
            " WHERE id IN ({*})",
            list(set(sweep_ids)),
        )
    }
    households = {
        row["id"]: row
        for row in await sql.fetch(
            "SELECT CAST(h.id AS TEXT) AS id, CAST(h.building AS TEXT) AS building, CAST(h.unit AS TEXT) AS unit,"
            " CAST(h.floor AS BIGINT) AS floor, CAST(b.grid AS TEXT) AS grid FROM household h"
            " JOIN building b ON b.id = h.building WHERE h.id IN ({*})",
            list(set(door_ids)),
        )
    }
    # By sweep and building: _check looks through a door's areas for each tick, and a sweep may span 40 buildings.
    areas: dict[tuple[str, str], list] = {}
    for row in await sql.fetch(
        "SELECT CAST(sweep AS TEXT) AS sweep, CAST(building AS TEXT) AS building, CAST(unit AS TEXT) AS unit,"
        " CAST(household AS TEXT) AS household FROM sweep_area WHERE sweep IN ({*})",
        list(sweeps),
    ):
        areas.setdefault((row["sweep"], row["building"]), []).append(row)
    persons = list({p for p in person_ids if p})
    resident_home = {}
    if persons:
        resident_home = dict(
            await sql.fetch("SELECT CAST(id AS TEXT), CAST(household AS TEXT) FROM resident WHERE id IN ({*})", persons)
        )
    # Every claim a volunteer holds or has held, per sweep: ticks inside any of them are theirs to record, even after
    # the claim ran out or was handed on (the work was done meanwhile).
    volunteer = str(user.id)
    claims: dict[str, list[tuple[str, int, int]]] = {}
    if user.role == "volunteer":
        for row in await sql.fetch(
            "SELECT CAST(sweep AS TEXT) AS sweep, CAST(unit AS TEXT) AS unit, CAST(floor_from AS BIGINT) AS first,"
            " CAST(floor_to AS BIGINT) AS last FROM sweep_claim WHERE holder = {} AND sweep IN ({*})",
            volunteer,
            list(sweeps),
        ):
            claims.setdefault(row["sweep"], []).append((row["unit"], row["first"], row["last"]))

    caller = _Caller(user.role, str(user.community_id), {str(grid) for grid in user.grid_ids})
    received_at = sql.timestamp(now)
    rows: list[tuple] = []
    refused: dict[str, str] = {}
    for item, payload, key, sweep_id, door_id, person_id in zip(
        items, payloads, tick_ids, sweep_ids, door_ids, person_ids, strict=True
    ):
        household = households.get(door_id)
        reason = _check(
            caller,
            payload,
            sweeps.get(sweep_id),
            household,
            areas.get((sweep_id, household["building"]), []) if household else [],
            resident_home.get(person_id) if person_id else None,
            claims.get(sweep_id, []),
        )
        if reason:
            refused[key] = reason
            continue
        rows.append(
            (
                key,
                item.content_hash,
                sweep_id,
                door_id,
                person_id,
                payload.outcome,
                payload.note.strip(),
                payload.help_needed.strip(),
                volunteer,
                item.device_time,
                received_at,
            )
        )

    inserted: dict[str, int] = {}  # tick id: seq
    if rows:
        await _serialise_per_sweep(sql, {uuid.UUID(sweep_id) for sweep_id in {row[2] for row in rows}})
        # One statement for the batch. A tick id already stored (the phone sent it again, or another phone's batch
        # a moment ago) is left alone and judged below. Rows go in in batch order, so the server's seq follows the
        # order the phone sent them in.
        inserted = await sql.insert_new("sweep_tick", _TICK_COLUMNS, rows)
    # Ids stored before (resent writes): the same content is a harmless duplicate, other content is refused. Asked
    # only for the few ticks not stored just now, so a fresh batch costs no lookup of its ids.
    again = [key for key in tick_ids if key not in inserted]
    earlier = (
        {
            row["id"]: row
            for row in await sql.fetch(
                "SELECT CAST(id AS TEXT) AS id, content_hash, CAST(seq AS BIGINT) AS seq FROM sweep_tick"
                " WHERE id IN ({*})",
                again,
            )
        }
        if again
        else {}
    )
    answers: dict[uuid.UUID, Answer] = {}
    for item, key in zip(items, tick_ids, strict=True):
        seq = inserted.get(key)
        if seq is not None:
            answers[item.id] = Answer(id=item.id, status="accepted", seq=seq)
        elif key in earlier:
            if earlier[key]["content_hash"] == item.content_hash:
                answers[item.id] = Answer(id=item.id, status="duplicate", seq=earlier[key]["seq"])
            else:
                answers[item.id] = rejection(item.id, "id_reused")
        else:
            answers[item.id] = rejection(item.id, refused.get(key, "id_reused"))
        # Door states are not touched here: the next read of the sweep folds these ticks in (fold_door_states).
    return answers


_TICK_COLUMNS = (
    "id",
    "content_hash",
    "sweep",
    "household",
    "resident",
    "outcome",
    "note",
    "help_needed",
    "volunteer",
    "device_time",
    "received_at",
)


async def fold_door_states(sweep_id: uuid.UUID) -> None:
    """Bring the sweep's door states up to its last stored tick, by the rule (rules.py), before anyone reads them.

    Storing a batch writes the ticks alone (the phones' sync stays fast); whoever reads the sweep next folds what
    arrived since the last fold, many batches in one go. Cheap when nothing is new: one query. Safe with several
    readers and writers: folds run one at a time in a write transaction and re-check inside it; on PostgreSQL the
    sweep's advisory lock (taken by every batch until it commits) means no tick of this sweep below the last seq
    can still be uncommitted, so nothing is skipped.
    """
    rows = await Sweep.raw(
        "SELECT s.folded_seq, (SELECT max(t.seq) FROM sweep_tick t WHERE t.sweep = s.id) AS last"
        " FROM sweep s WHERE s.id = {}",
        sweep_id,
    )
    if not rows or rows[0]["last"] is None or int(rows[0]["last"]) <= int(rows[0]["folded_seq"] or 0):
        return
    async with write_transaction():
        sql = RawSQL()
        await _serialise_per_sweep(sql, {sweep_id})
        [row] = await sql.fetch("SELECT CAST(folded_seq AS BIGINT) AS folded FROM sweep WHERE id = {}", sweep_id)
        new = await sql.fetch(
            "SELECT CAST(household AS TEXT) AS household, CAST(seq AS BIGINT) AS seq FROM sweep_tick"
            " WHERE sweep = {} AND seq > {}",
            sweep_id,
            row["folded"] or 0,
        )
        if not new:
            return
        doors = {(sweep_id, uuid.UUID(r["household"])) for r in new}
        await _rebuild_door_states(sql, doors, datetime.now(UTC))
        await sql.fetch("UPDATE sweep SET folded_seq = {} WHERE id = {}", max(r["seq"] for r in new), sweep_id)


@dataclass(frozen=True, slots=True)
class _Caller:
    """Who sends the batch, with ids as text to compare with the rows read as text."""

    role: str
    community: str
    grids: set[str]


def _check(caller: _Caller, payload: TickPayload, sweep, household, areas, person_home, claims) -> str | None:
    """Why a tick cannot be stored, as a code the phone shows in words; None when it can. Ids are text here (read so
    in ingest_ticks); person_home is the household of the tick's resident, if any.

    Permission is checked first, so that someone who may not use a sweep learns nothing about what is in it.
    """
    if sweep is None or not _may_use(caller, sweep):
        return "not_allowed"
    if household is None:
        return "unknown_door"
    in_areas = (a["unit"] in (None, household["unit"]) and a["household"] in (None, household["id"]) for a in areas)
    if not any(in_areas):
        return "outside_sweep"
    if caller.role == "grid_worker" and household["grid"] not in caller.grids:
        return "not_allowed"
    if caller.role == "volunteer" and not any(
        unit == household["unit"] and first <= household["floor"] <= last for unit, first, last in claims
    ):
        return "outside_claim"
    person_outcome = payload.outcome in rules.PERSON_OUTCOMES
    if person_outcome != (payload.resident_id is not None):
        return "invalid"
    if person_outcome and (sweep["subject"] != "persons" or person_home != household["id"]):
        return "invalid"
    if payload.outcome == "done" and sweep["subject"] == "persons":
        return "invalid"  # a person sweep's door is done when each of its people has an outcome
    if payload.outcome == "needs_help" and not payload.help_needed.strip():
        return "help_not_described"
    return None


def _may_use(caller: _Caller, sweep) -> bool:
    """Admins and grid workers of the community (a grid worker: the doors of their grid), and volunteers of the
    community, who may record only the floors they claim or claimed (checked after)."""
    return (
        sweep["community"] == caller.community
        and sweep["status"] == "open"
        and caller.role in ("admin", "grid_worker", "volunteer")
    )


async def _serialise_per_sweep(sql: RawSQL, sweep_ids: set[uuid.UUID]) -> None:
    """One batch at a time per sweep on PostgreSQL (SQLite's IMMEDIATE transaction already is one at a time), so
    that two batches for one door cannot each rebuild its state without the other's ticks."""
    if isinstance(DB, PostgresEngine):
        for sweep_id in sorted(sweep_ids):  # always in the same order: no deadlock between two batches
            await sql.fetch("SELECT pg_advisory_xact_lock({})", sweep_id.int & 0x7FFFFFFFFFFFFFFF)


async def _rebuild_door_states(sql: RawSQL, doors: set[tuple[uuid.UUID, uuid.UUID]], now: datetime) -> None:
    """Recompute the state of each door that got a tick, from all of that door's ticks (and, in a person sweep,
    from the outcomes of the people registered there)."""
    sweep_ids = list({sweep for sweep, _ in doors})
    household_ids = list({household for _, household in doors})
    person_sweeps = {
        row["id"]
        for row in await sql.fetch(
            "SELECT CAST(id AS TEXT) AS id FROM sweep WHERE id IN ({*}) AND subject = 'persons'", sweep_ids
        )
    }
    # Keys as text, seqs as integers: on SQLite, Piccolo's converters cost more than the query (see above).
    wanted = {(str(sweep), str(household)): (sweep, household) for sweep, household in doors}
    door_ticks: dict[tuple, list[rules.TickView]] = {key: [] for key in doors}
    person_ticks: dict[tuple, dict[str, list[rules.TickView]]] = {key: {} for key in doors}
    # Both columns: the index is on (sweep, household).
    for row in await sql.fetch(
        "SELECT CAST(t.seq AS BIGINT) AS seq, CAST(t.sweep AS TEXT) AS sweep, CAST(t.household AS TEXT) AS household,"
        " CAST(t.resident AS TEXT) AS resident, t.outcome, CAST(t.volunteer AS TEXT) AS volunteer, a.role"
        " FROM sweep_tick t JOIN account a ON a.id = t.volunteer WHERE t.sweep IN ({*}) AND t.household IN ({*})",
        sweep_ids,
        household_ids,
    ):
        key = wanted.get((row["sweep"], row["household"]))
        if key is None:
            continue
        view = rules.TickView(row["seq"], row["outcome"], row["volunteer"], row["role"] in ("admin", "grid_worker"))
        if row["resident"] is None:
            door_ticks[key].append(view)
        else:
            person_ticks[key].setdefault(row["resident"], []).append(view)
    living: dict[str, set[str]] = {}
    if person_sweeps:
        for row in await sql.fetch(
            "SELECT CAST(id AS TEXT) AS id, CAST(household AS TEXT) AS household FROM resident"
            " WHERE household IN ({*}) AND status = 'living'",
            household_ids,
        ):
            living.setdefault(row["household"], set()).add(row["id"])
    states, gone = [], []
    for key in doors:
        sweep_id, household_id = key
        if str(sweep_id) in person_sweeps:
            state = rules.person_sweep_state(door_ticks[key], person_ticks[key], living.get(str(household_id), set()))
        else:
            state = rules.door_state(door_ticks[key]) if door_ticks[key] else None
        if state is None:
            gone.append(door_state_id(sweep_id, household_id))
            continue
        states.append(
            (
                door_state_id(sweep_id, household_id),
                sweep_id,
                household_id,
                state.outcome,
                state.tick_seq,
                state.ticks,
                state.conflict,
                now,
            )
        )
    if gone:
        await sql.fetch("DELETE FROM door_state WHERE id IN ({*})", gone)
    # One row per door, replaced whole: the same as deleting and inserting it, in one statement.
    await sql.execute_many(
        "INSERT INTO door_state (id, sweep, household, outcome, tick_seq, ticks, conflict, updated_at)"
        " VALUES ({}, {}, {}, {}, {}, {}, {}, {}) ON CONFLICT (id) DO UPDATE SET outcome = excluded.outcome,"
        " tick_seq = excluded.tick_seq, ticks = excluded.ticks, conflict = excluded.conflict,"
        " updated_at = excluded.updated_at",
        states,
    )


TICK = Kind(name="sweep.tick", payload_type=TickPayload, ingest=ingest_ticks)
