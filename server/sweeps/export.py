"""A sweep's results as rows for a spreadsheet (.xlsx or .csv). Knows nothing of HTTP."""

from __future__ import annotations

import uuid

from server.accounts.services import CurrentUser
from server.places.tables import Building, Resident
from server.sweeps.queries import grids_of, sweep_doors, visible_sweep
from server.sweeps.tables import SweepTick

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
    """Every door of the sweep with its state, for a coordinator's spreadsheet; None if not theirs to see. A grid
    worker's holds the doors of their own grids only, as their progress page does."""
    if user.role not in ("admin", "grid_worker"):
        return None
    sweep = await visible_sweep(user, sweep_id)
    if sweep is None:
        return None
    doors = await sweep_doors(sweep_id, grids=grids_of(user))
    ids = [d["id"] for d in doors] or [uuid.UUID(int=0)]
    scoped = set(ids)
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
            SweepTick.household,
            SweepTick.volunteer.name.as_alias("by"),
            SweepTick.received_at,
            SweepTick.help_needed,
            SweepTick.bulk,
        )
        .where(SweepTick.sweep == sweep_id)
        .order_by(SweepTick.seq)
    ):
        if tick["household"] not in scoped:
            continue  # a door of another grid
        # A whole floor's "nobody home" is set aside at a door recorded one by one (decision 0013): not its last word.
        if not tick["bulk"] or last.get(tick["household"], {}).get("bulk", True):
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
