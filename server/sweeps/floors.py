"""The door screen of one floor of a sweep: doors, household sizes, masked names. Knows nothing of HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from server.accounts.services import CurrentUser
from server.places.tables import Household, Resident, Unit
from server.sweeps.queries import mask_name, sweep_doors, visible_sweep
from server.sweeps.rules import MEMORY_DECODER, Said
from server.sweeps.schemas import DoorRow, FloorScreen, PersonRow
from server.sweeps.services import door_state_id
from server.sweeps.tables import DoorState, SweepClaim


async def floor_screen(
    user: CurrentUser, sweep_id: uuid.UUID, building_id: uuid.UUID, unit: int, floor: int
) -> FloorScreen | None:
    sweep = await visible_sweep(user, sweep_id)
    if sweep is None:
        return None
    unit_row = (
        await Unit.select(
            Unit.id, Unit.floors, Unit.building.name.as_alias("building_name"), Unit.building.grid.as_alias("grid")
        )
        .where((Unit.building == building_id) & (Unit.number == unit))
        .first()
    )
    if unit_row is None or not 1 <= floor <= unit_row["floors"]:
        return None
    if sweep["grids"] is not None and unit_row["grid"] not in sweep["grids"]:
        return None  # another grid's building of a sweep over several grids, or not the part a guest's code opens
    doors = await sweep_doors(sweep_id, (Household.unit == unit_row["id"]) & (Household.floor == floor))
    if not doors and not await sweep_doors(sweep_id, Household.unit == unit_row["id"]):
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
    last_word: dict[str, Said] = {}
    for row in await DoorState.select(DoorState.household, DoorState.memory).where(
        DoorState.id.is_in([door_state_id(sweep_id, door) for door in door_ids])
    ):
        memory = MEMORY_DECODER.decode(row["memory"] or "[]")
        notes[row["household"]] = memory.note
        # The last outcome to arrive counts for each person (rules.person_sweep_state), also for someone who moved
        # to another door of this floor during the sweep and was recorded at both.
        for person, said in memory.people.items():
            if person not in last_word or said.seq > last_word[person].seq:
                last_word[person] = said
    person_outcome = {person: said.outcome for person, said in last_word.items()}
    people: dict[uuid.UUID, list[PersonRow]] = {}
    if sweep["subject"] == "persons":
        for person in sorted(living, key=lambda p: (p["relation"] != "head", p["name"])):
            people.setdefault(person["household"], []).append(
                PersonRow(
                    resident_id=person["id"],
                    masked_name=mask_name(person["name"]),
                    relation=person["relation"],
                    outcome=person_outcome.get(str(person["id"])),
                )
            )
    holder, may_record = await _floor_holder(user, sweep_id, unit_row["id"], floor)
    return FloorScreen(
        sweep_id=sweep_id,
        sweep_name=sweep["name"],
        closed=sweep["status"] == "closed",
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
