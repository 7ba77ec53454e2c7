"""Storing the ticks that phones send (the "sweep.tick" kind of offline write): the hot path of every outbox.

Plain SQL on the batch's own connection (server.db.RawSQL), since Piccolo's objects and query building cost far more
here than the database's work (docs/decisions/0007). Ids are handled as text: converted in one call per column
(msgspec, in C; `str(UUID)` is Python code and a batch needs hundreds), passed as text (both databases take it for a
UUID) and read back as text rather than through Piccolo's converters, which cost more than the queries on SQLite.
Door states are not touched here: the next read of the sweep folds new ticks in (services.fold_door_states).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from server.access.scope import CurrentUser
from server.db import RawSQL
from server.sweeps import rules, team
from server.sweeps.schemas import TickPayload
from server.sweeps.services import serialise_per_sweep
from server.sync.services import Answer, Incoming, Kind, rejection

_COLUMNS = (
    "id",
    "content_hash",
    "sweep",
    "household",
    "resident",
    "outcome",
    "note",
    "help_needed",
    "bulk",
    "volunteer",
    "device_time",
    "received_at",
)


@dataclass(frozen=True, slots=True)
class _Caller:
    """Who sends the batch, with ids as text to compare with the rows read as text."""

    role: str
    community: str
    grids: set[str]
    # A guest's sweeps (joined with a code and not signed out since), and those they were signed out of; None for
    # everyone else.
    member_of: set[str] | None = None
    signed_out_of: set[str] | None = None
    # A guest's grids in each of their sweeps, as their code opens them now (a sweep not here: all of it).
    opens: dict[str, set[str]] = field(default_factory=dict)


@dataclass(slots=True)
class _Covered:
    """What a sweep covers of one building: all of it, some of its units, or some of its doors (a revisit)."""

    whole: bool = False
    units: set[str] = field(default_factory=set)
    doors: set[str] = field(default_factory=set)


async def ingest_ticks(user: CurrentUser, items: list[Incoming], now: datetime) -> dict[uuid.UUID, Answer]:
    """Store ticks in one pass: a handful of queries whatever the batch size. Ids are unique within `items`."""
    sql = RawSQL()
    volunteer = str(user.id)
    payloads: list[TickPayload] = [item.payload for item in items]
    tick_ids: list[str] = msgspec.to_builtins([item.id for item in items])
    sweep_ids: list[str] = msgspec.to_builtins([p.sweep_id for p in payloads])
    member_of = signed_out_of = None
    if user.is_guest:  # one more query, for guests only
        member_of, signed_out_of = set(), set()
        for row in await sql.fetch(
            "SELECT CAST(sweep AS TEXT) AS sweep, CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END AS ended"
            ' FROM sweep_member WHERE "user" = {} AND sweep IN ({*})',
            volunteer,
            list(set(sweep_ids)),
        ):
            (signed_out_of if row["ended"] else member_of).add(row["sweep"])
    opens = {}
    for sweep_id in member_of or ():  # what the guest's code opens now: its maker's scope today (decision 0019)
        grids = (await team.guest_grids(uuid.UUID(sweep_id), user.id))[1]
        if grids is not None:
            opens[sweep_id] = {str(grid) for grid in grids}
    caller = _Caller(
        user.role, str(user.community_id), {str(grid) for grid in user.grid_ids}, member_of, signed_out_of, opens
    )
    door_ids: list[str] = msgspec.to_builtins([p.household_id for p in payloads])
    person_ids: list[str | None] = msgspec.to_builtins([p.resident_id for p in payloads])

    # Only the sweeps this person may use: a tick for any other is refused alike, whether the sweep exists or not.
    # Closed ones too: outcomes recorded before a close still count when the phone gets signal (decision 0011).
    sweeps = {
        row["id"]: row
        for row in await sql.fetch(
            "SELECT CAST(id AS TEXT) AS id, CAST(community AS TEXT) AS community, status, subject FROM sweep"
            " WHERE id IN ({*})",
            list(set(sweep_ids)),
        )
        if _may_use(caller, row)
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
    # By sweep and building: a tick is then checked against its building's coverage in one step, however many
    # buildings (40 for a community) or single doors (a revisit) the sweep holds. Only the batch's own buildings are
    # read: a sweep of 1,000 units would otherwise hand over its 1,000 areas with every batch (issue 18).
    covered: dict[tuple[str, str], _Covered] = {}
    for row in await sql.fetch(
        "SELECT CAST(sweep AS TEXT) AS sweep, CAST(building AS TEXT) AS building, CAST(unit AS TEXT) AS unit,"
        " CAST(household AS TEXT) AS household FROM sweep_area WHERE sweep IN ({*}) AND building IN ({*})",
        list(sweeps),
        list({household["building"] for household in households.values()}),
    ):
        building = covered.setdefault((row["sweep"], row["building"]), _Covered())
        if row["household"] is not None:  # a door, whose unit goes with it
            building.doors.add(row["household"])
        elif row["unit"] is not None:
            building.units.add(row["unit"])
        else:
            building.whole = True
    persons = list({p for p in person_ids if p})
    resident_home = {}
    if persons:
        resident_home = dict(
            await sql.fetch("SELECT CAST(id AS TEXT), CAST(household AS TEXT) FROM resident WHERE id IN ({*})", persons)
        )
    # Every claim a volunteer holds or has held, per sweep: ticks inside any of them are theirs to record, even after
    # the claim ran out or was handed on (the work was done meanwhile).
    claims: dict[str, list[tuple[str, int, int]]] = {}
    if user.role == "volunteer":
        for row in await sql.fetch(
            "SELECT CAST(sweep AS TEXT) AS sweep, CAST(unit AS TEXT) AS unit, CAST(floor_from AS BIGINT) AS first,"
            " CAST(floor_to AS BIGINT) AS last FROM sweep_claim WHERE holder = {} AND sweep IN ({*})",
            volunteer,
            list(sweeps),
        ):
            claims.setdefault(row["sweep"], []).append((row["unit"], row["first"], row["last"]))

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
            covered.get((sweep_id, household["building"])) if household else None,
            resident_home.get(person_id) if person_id else None,
            claims.get(sweep_id, ()),
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
                payload.bulk,
                volunteer,
                item.device_time,
                received_at,
            )
        )

    inserted: dict[str, int] = {}  # tick id: seq
    if rows:
        await serialise_per_sweep(sql, {uuid.UUID(sweep_id) for sweep_id in {row[2] for row in rows}})
        # One statement for the batch. A tick id already stored (the phone sent it again, or another phone's batch
        # a moment ago) is left alone and judged below. Rows go in in batch order, so the server's seq follows the
        # order the phone sent them in.
        inserted = await sql.insert_new("sweep_tick", _COLUMNS, rows)
    # Ids stored before (resent writes): the same content is a harmless duplicate, other content is refused. Asked
    # only for the few ticks not stored just now, so a fresh batch costs no lookup of its ids.
    again = [key for key in tick_ids if key not in inserted]
    earlier = {}
    if again:
        earlier = {
            row["id"]: row
            for row in await sql.fetch(
                "SELECT CAST(id AS TEXT) AS id, content_hash, CAST(seq AS BIGINT) AS seq FROM sweep_tick"
                " WHERE id IN ({*})",
                again,
            )
        }
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
    return answers


def _check(caller: _Caller, payload: TickPayload, sweep, household, covered, person_home, claims) -> str | None:
    """Why a tick cannot be stored, as a code the phone shows in words; None when it can. `sweep` is None unless the
    caller may use it; ids are text; person_home is the household of the tick's resident, if any.

    Permission is checked first, so that someone who may not use a sweep learns nothing about what is in it.
    """
    if sweep is None:
        return "not_allowed"
    if caller.member_of is not None and sweep["id"] not in caller.member_of:
        # A coordinator ended what the guest's code gave; a sweep they never joined is not theirs at all.
        return "signed_out" if sweep["id"] in caller.signed_out_of else "not_allowed"
    if household is None:
        return "unknown_door"
    if covered is None or not (covered.whole or household["unit"] in covered.units or household["id"] in covered.doors):
        return "outside_sweep"
    if caller.role == "grid_worker" and household["grid"] not in caller.grids:
        return "not_allowed"
    if caller.role == "volunteer" and not any(
        unit == household["unit"] and first <= household["floor"] <= last for unit, first, last in claims
    ):
        # Claims end with the sweep and no new one can be made: "claim these floors first" would be no help.
        return "sweep_closed" if sweep["status"] == "closed" else "outside_claim"
    if sweep["id"] in caller.opens and household["grid"] not in caller.opens[sweep["id"]]:
        # Floors claimed while the guest's code opened their grid, which it no longer does (its maker's cover ended,
        # or its maker left): kept on the phone and sent again once they join with a code that does, as after being
        # signed out.
        return "signed_out"
    person_outcome = payload.outcome in rules.PERSON_OUTCOMES
    if person_outcome != (payload.resident_id is not None):
        return "invalid"
    if person_outcome and (sweep["subject"] != "persons" or person_home != household["id"]):
        return "invalid"
    if payload.outcome == "done" and sweep["subject"] == "persons":
        return "invalid"  # a person sweep's door is done when each of its people has an outcome
    if payload.bulk and (payload.outcome != "nobody_home" or person_outcome):
        return "invalid"  # the whole floor's answer is "nobody home", about the door
    if payload.outcome == "needs_help" and not payload.help_needed.strip():
        return "help_not_described"
    return None


def _may_use(caller: _Caller, sweep) -> bool:
    """Admins and grid workers of the community (a grid worker: the doors of their grid), and volunteers of the
    community, who may record only the floors they claim or claimed (checked after), open or closed sweep alike:
    a closed sweep takes what was recorded before its close (docs/decisions/0011)."""
    return sweep["community"] == caller.community and caller.role in ("admin", "grid_worker", "volunteer")


TICK = Kind(name="sweep.tick", payload_type=TickPayload, ingest=ingest_ticks)
