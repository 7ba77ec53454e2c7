"""Item 5 of issue 4: a person sweep's outcomes reconciled the same way as a list, with no file.

Reads the sweeps tables only; writes a reconciliation through the same path as a saved list."""

from __future__ import annotations

import uuid
from datetime import datetime

from server.access.scope import CurrentUser, Scope
from server.imports import draft as drafts
from server.places.tables import Building
from server.reconcile.services import Evaluation, ReconcileError, load_register, write_result
from server.sweeps.rules import MEMORY_DECODER
from server.sweeps.services import fold_door_states
from server.sweeps.tables import DoorState, Sweep, SweepArea


async def from_sweep(user: CurrentUser, scope: Scope, sweep_id: uuid.UUID, now: datetime) -> uuid.UUID:
    """Reconcile a person sweep: present = each person's last outcome is "tested"; "away" becomes the reason.

    Reads the sweeps tables only (its door states, brought up to date first). Expected: the people living in what
    was swept (buildings, units or doors) in the scope.
    """
    sweep = (
        await Sweep.select(Sweep.id, Sweep.name, Sweep.subject)
        .where((Sweep.id == sweep_id) & (Sweep.community == scope.community_id))
        .first()
    )
    if sweep is None:
        raise ReconcileError("sweep_not_found")
    areas = await SweepArea.select(SweepArea.building, SweepArea.unit, SweepArea.household).where(
        SweepArea.sweep == sweep_id
    )
    register = await load_register(scope)
    in_scope = {row.building for row in register}
    area_ids = [b for b in dict.fromkeys(a["building"] for a in areas) if b in in_scope]
    if not area_ids:
        raise ReconcileError("building_out_of_scope")  # told apart from "not a person sweep" only within scope
    if sweep["subject"] != "persons":
        raise ReconcileError("not_a_person_sweep")
    # Whole buildings, single units, single doors (a revisit): only the people of what was swept are expected.
    whole = {a["building"] for a in areas if a["unit"] is None and a["household"] is None}
    units = {a["unit"] for a in areas if a["unit"] is not None}
    doors = {a["household"] for a in areas if a["household"] is not None}
    swept = {
        i for i, row in enumerate(register) if row.building in whole or row.unit in units or row.household in doors
    }
    # Each person's last outcome, as each door's memory keeps it (decision 0007): the same as their last tick, and
    # still there once old ticks are purged (`python -m server purge`, decision 0016).
    await fold_door_states(sweep_id)
    last: dict[uuid.UUID, tuple[int, str]] = {}
    for row in await DoorState.select(DoorState.memory).where(DoorState.sweep == sweep_id):
        if not row["memory"]:
            continue
        for resident, said in MEMORY_DECODER.decode(row["memory"]).people.items():
            key = uuid.UUID(resident)
            if key not in last or said.seq > last[key][0]:
                last[key] = (said.seq, said.outcome)
    position = {row.id: i for i, row in enumerate(register)}
    residents = [
        position[r]
        for r, (_, outcome) in last.items()
        if outcome == "tested" and r in position and position[r] in swept
    ]
    buildings = {
        row["id"]: row
        for row in await Building.select(Building.id, Building.name, Building.number).where(Building.id.is_in(area_ids))
    }
    ev = Evaluation(
        draft=drafts.Draft(filename=sweep["name"], headers=[], header_line=0, lines=[], columns=[]),
        mapping={},
        fields=[drafts.Fields(line=0, name="") for _ in residents],
        register=register,
        residents=residents,
        others={},
        area=sorted(buildings.values(), key=lambda b: b["number"]),
        reasons={position[r]: "away" for r, (_, outcome) in last.items() if outcome == "away" and r in position},
        expected_only=swept,
    )
    return await write_result(
        user, scope, ev, title=sweep["name"], listed=len(residents), now=now, source="sweep", sweep_id=sweep_id
    )


async def person_sweeps(scope: Scope) -> list[dict]:
    """Person sweeps of the community, to offer reconciling them (grid workers: those touching their grid)."""
    sweeps = (
        await Sweep.select(Sweep.id, Sweep.name, Sweep.day)
        .where((Sweep.community == scope.community_id) & (Sweep.subject == "persons"))
        .order_by(Sweep.day, ascending=False)
        .limit(20)
    )
    if scope.grid_ids is None or not sweeps:
        return sweeps
    grids = {
        row["sweep"]
        for row in await SweepArea.select(SweepArea.sweep, SweepArea.building.grid.as_alias("grid")).where(
            SweepArea.sweep.is_in([s["id"] for s in sweeps])
        )
        if row["grid"] in scope.grid_ids
    }
    return [s for s in sweeps if s["id"] in grids]
