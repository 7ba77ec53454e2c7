"""Creating sweeps, and folding the ticks phones sent (ticks.py stores them) into each door's state."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from piccolo.engine.postgres import PostgresEngine

from server.accounts.services import CurrentUser, Scope
from server.db import RawSQL, insert_in_chunks, write_transaction
from server.piccolo_conf import DB
from server.places.tables import Building, Household, Unit
from server.sweeps import rules
from server.sweeps.schemas import SweepCreate
from server.sweeps.tables import Sweep, SweepArea

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
        await serialise_per_sweep(sql, {sweep_id})
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


async def serialise_per_sweep(sql: RawSQL, sweep_ids: set[uuid.UUID]) -> None:
    """One writer at a time per sweep on PostgreSQL (SQLite's IMMEDIATE transaction already is one at a time): a
    batch of ticks holds it until it commits and a fold takes it too, so no fold passes over a tick not yet
    committed."""
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
