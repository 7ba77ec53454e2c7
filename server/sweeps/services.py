"""Creating sweeps, and folding the ticks phones sent (ticks.py stores them) into each door's state."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, date, datetime

from piccolo.engine.postgres import PostgresEngine

from server.access.scope import CurrentUser, Scope
from server.db import RawSQL, insert_in_chunks, write_transaction
from server.errors import DomainError
from server.piccolo_conf import DB
from server.places.tables import Building, Household, Unit
from server.sweeps import rules
from server.sweeps.schemas import SweepCreate
from server.sweeps.tables import Sweep, SweepArea

DOOR_STATE_NAMESPACE = uuid.UUID("0f6f2c1e-95a4-5d55-8d0c-5f0a3c6b9e01")


def door_state_id(sweep_id: uuid.UUID, household_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(DOOR_STATE_NAMESPACE, f"{sweep_id}:{household_id}")


class SweepError(DomainError):
    pass


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
    arrived since the last fold, many batches in one go, into each door's memory (rules.DoorMemory): only the new
    ticks are read, by (sweep, seq). Cheap when nothing is new: one query. Safe with several readers and writers:
    folds run one at a time in a write transaction and re-check inside it; on PostgreSQL the sweep's advisory lock
    (taken by every batch until it commits) means no tick of this sweep below the last seq can still be
    uncommitted, so nothing is skipped. (This needs PostgreSQL's default READ COMMITTED: under REPEATABLE READ the
    fold would read folded_seq as it was before it waited for the lock. A door's memory also ignores a tick it has
    already folded, so a fold run twice over the same ticks counts nothing twice.)
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
        [sweep] = await sql.fetch(
            "SELECT CAST(folded_seq AS BIGINT) AS folded, subject FROM sweep WHERE id = {}", sweep_id
        )
        # Keys as text, seqs as integers: on SQLite, Piccolo's converters cost more than the query (decision 0007).
        new = await sql.fetch(_ticks(sql) + " AND t.seq > {} ORDER BY t.seq", sweep_id, sweep["folded"] or 0)
        if not new:
            return
        await _fold(sql, sweep_id, sweep["subject"] == "persons", new, datetime.now(UTC))
        await sql.fetch("UPDATE sweep SET folded_seq = {} WHERE id = {}", new[-1]["seq"], sweep_id)


async def serialise_per_sweep(sql: RawSQL, sweep_ids: set[uuid.UUID]) -> None:
    """One writer at a time per sweep on PostgreSQL (SQLite's IMMEDIATE transaction already is one at a time): a
    batch of ticks holds it until it commits and a fold takes it too, so no fold passes over a tick not yet
    committed."""
    if isinstance(DB, PostgresEngine):
        for sweep_id in sorted(sweep_ids):  # always in the same order: no deadlock between two batches
            await sql.fetch("SELECT pg_advisory_xact_lock({})", sweep_id.int & 0x7FFFFFFFFFFFFFFF)


def _ticks(sql: RawSQL) -> str:
    """A sweep's ticks as a fold reads them (the sweep's id its first parameter)."""
    return (
        "SELECT CAST(t.seq AS BIGINT) AS seq, CAST(t.household AS TEXT) AS household,"  # noqa: S608 (our expressions)
        " CAST(t.resident AS TEXT) AS resident, t.outcome, t.note, t.help_needed, t.bulk,"
        f" CAST(t.volunteer AS TEXT) AS volunteer, a.role, {_seconds(sql, 't.device_time')} AS device_time,"
        f" {_seconds(sql, 't.received_at')} AS received_at"
        " FROM sweep_tick t JOIN account a ON a.id = t.volunteer WHERE t.sweep = {}"
    )


def _remember(memory: rules.DoorMemory, row: dict) -> None:
    memory.remember(
        row["seq"],
        row["outcome"],
        row["volunteer"],
        row["role"] in ("admin", "grid_worker"),
        row["resident"],
        row["note"],
        row["help_needed"],
        row["device_time"] or 0,
        row["received_at"] or 0,
        bool(row["bulk"]),  # SQLite gives 0 or 1
    )


async def fold_afresh(sql: RawSQL, sweep_id: uuid.UUID, households: Collection[str]) -> dict[str, rules.DoorMemory]:
    """The memory of each of these doors (ids as text) from the ticks the sweep still stores, folded from the first:
    what a purge leaves a door's memory to keep (retention, decision 0016). Only ticks already folded into the door
    states are read (those above `folded_seq` are the next fold's)."""
    memories = {household: rules.DoorMemory() for household in households}
    for row in await sql.fetch(
        _ticks(sql) + " AND t.seq <= (SELECT s.folded_seq FROM sweep s WHERE s.id = t.sweep) ORDER BY t.seq",  # noqa: S608
        sweep_id,
    ):
        if row["household"] in memories:
            _remember(memories[row["household"]], row)
    return memories


def _seconds(sql: RawSQL, column: str) -> str:
    """A timestamp column as Unix seconds, worked out by the database: door memories keep times so. (Read as a
    timestamp, each value would go through Piccolo's SQLite converter, ~16 us of Python: 3/4 of a fold's time.)"""
    if sql.sqlite:
        return f"CAST(strftime('%s', {column}) AS BIGINT)"
    return f"CAST(extract(epoch FROM {column}) AS BIGINT)"


async def _fold(sql: RawSQL, sweep_id: uuid.UUID, person_sweep: bool, new: list, now: datetime) -> None:
    """Fold new ticks (in seq order) into the memory of each door they are about, and store each door's state
    from it (in a person sweep, with the people registered there now)."""
    doors = {row["household"] for row in new}
    ids = {household: door_state_id(sweep_id, uuid.UUID(household)) for household in doors}
    memories = {household: rules.DoorMemory() for household in doors}
    by_id = {str(state_id): household for household, state_id in ids.items()}
    for row in await sql.fetch(
        "SELECT CAST(id AS TEXT) AS id, memory FROM door_state WHERE id IN ({*})", list(ids.values())
    ):
        if row["memory"]:
            memories[by_id[row["id"]]] = rules.MEMORY_DECODER.decode(row["memory"])
    for row in new:
        _remember(memories[row["household"]], row)
    living: dict[str, set[str]] = {}
    if person_sweep:
        for row in await sql.fetch(
            "SELECT CAST(id AS TEXT) AS id, CAST(household AS TEXT) AS household FROM resident"
            " WHERE household IN ({*}) AND status = 'living'",
            list(doors),
        ):
            living.setdefault(row["household"], set()).add(row["id"])
    states = []
    for household, memory in memories.items():
        state = memory.state(person_sweep, living.get(household, set()))
        # A door whose ticks give no state yet (only people no longer living there) keeps its memory, outcome "".
        states.append(
            (
                ids[household],
                sweep_id,
                uuid.UUID(household),
                state.outcome if state else "",
                state.tick_seq if state else 0,
                memory.ticks,
                bool(state and state.conflict),
                rules.MEMORY_ENCODER.encode(memory).decode(),
                now,
            )
        )
    # One row per door, replaced whole: the same as deleting and inserting it, in one statement.
    await sql.execute_many(
        "INSERT INTO door_state (id, sweep, household, outcome, tick_seq, ticks, conflict, memory, updated_at)"
        " VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}) ON CONFLICT (id) DO UPDATE SET outcome = excluded.outcome,"
        " tick_seq = excluded.tick_seq, ticks = excluded.ticks, conflict = excluded.conflict,"
        " memory = excluded.memory, updated_at = excluded.updated_at",
        states,
    )
