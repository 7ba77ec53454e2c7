"""Reading reconciliations, always inside a Scope: the list of them, and one result with what to act on."""

from __future__ import annotations

import uuid
from datetime import date

from server.access.masks import mask_phone
from server.access.scope import Scope
from server.places.services import RELATIONS, age_on
from server.places.tables import Resident
from server.reconcile import schemas
from server.reconcile.tables import ExpectedResident, ListRow, ReconcileArea, Reconciliation


async def _area_grids(rec_ids: list[uuid.UUID]) -> dict[uuid.UUID, set[uuid.UUID]]:
    grids: dict[uuid.UUID, set[uuid.UUID]] = {}
    for row in await ReconcileArea.select(
        ReconcileArea.reconciliation, ReconcileArea.building.grid.as_alias("grid")
    ).where(ReconcileArea.reconciliation.is_in(rec_ids or [uuid.UUID(int=0)])):
        grids.setdefault(row["reconciliation"], set()).add(row["grid"])
    return grids


def _sees(scope: Scope, grids: set[uuid.UUID] | None) -> bool:
    """Admins see every reconciliation of their community; a grid worker those whose buildings are all in the
    grids they answer for now (whoever made it: the data is theirs; a grid handed over goes with its results)."""
    return scope.grid_ids is None or bool(grids) and grids <= set(scope.grid_ids)


async def reconciliation_in_scope(scope: Scope, rec_id: uuid.UUID) -> dict | None:
    row = (
        await Reconciliation.select()
        .where((Reconciliation.id == rec_id) & (Reconciliation.community == scope.community_id))
        .first()
    )
    if row is None or not _sees(scope, (await _area_grids([rec_id])).get(rec_id)):
        return None
    return row


async def is_visible(scope: Scope, rec_id: uuid.UUID) -> bool:
    return await reconciliation_in_scope(scope, rec_id) is not None


RECENT_CANDIDATES = 200  # the latest reconciliations of the community, filtered by grid in Python


async def list_reconciliations(scope: Scope, limit: int = 20) -> list[schemas.ReconcileSummary]:
    if scope.sees_nothing:
        return []
    recs = (
        await Reconciliation.select()
        .where(Reconciliation.community == scope.community_id)
        .order_by(Reconciliation.created_at, ascending=False)
        .limit(limit if scope.grid_ids is None else RECENT_CANDIDATES)
    )
    if scope.grid_ids is not None:
        grids = await _area_grids([r["id"] for r in recs])
        recs = [r for r in recs if _sees(scope, grids.get(r["id"]))][:limit]
    if not recs:
        return []
    counts = await ExpectedResident.raw(
        "SELECT reconciliation, count(*) AS expected, sum(CASE WHEN present THEN 1 ELSE 0 END) AS present "
        "FROM expected_resident WHERE status = 'living' AND reconciliation IN ("
        + ", ".join("{}" for _ in recs)
        + ") GROUP BY reconciliation",
        *[r["id"] for r in recs],
    )
    by_rec = {str(c["reconciliation"]): c for c in counts}
    waiting = await _waiting_counts([r["id"] for r in recs])
    return [
        schemas.ReconcileSummary(
            id=r["id"],
            title=r["title"],
            source=r["source"],
            created_at=r["created_at"],
            expected=int(by_rec.get(str(r["id"]), {}).get("expected") or 0),
            present=int(by_rec.get(str(r["id"]), {}).get("present") or 0),
            to_confirm=waiting.get(r["id"], 0),
        )
        for r in recs
    ]


async def _waiting_counts(rec_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Per reconciliation, the expected people not on the list whom a row still waiting for the worker's decision may
    be: "to confirm", not missing, on the list of results as on the result itself (issue 16: the list said 未到 43
    where the result said 未到 8 and 待确认 35). Two queries for the whole list, whatever its length."""
    maybe: dict[uuid.UUID, set[uuid.UUID]] = {}
    for row in await ListRow.select(ListRow.reconciliation, ListRow.candidates).where(
        ListRow.reconciliation.is_in(rec_ids) & (ListRow.status == "ambiguous") & (ListRow.decision == "")
    ):
        maybe.setdefault(row["reconciliation"], set()).update(uuid.UUID(c) for c in row["candidates"].split())
    people = {c for found in maybe.values() for c in found}
    if not people:
        return {}
    counts: dict[uuid.UUID, int] = {}
    for e in await ExpectedResident.select(ExpectedResident.reconciliation, ExpectedResident.resident).where(
        ExpectedResident.reconciliation.is_in(list(maybe))
        & ExpectedResident.resident.is_in(list(people))
        & (ExpectedResident.status == "living")
        & ExpectedResident.present.eq(False)
    ):
        if e["resident"] in maybe[e["reconciliation"]]:
            counts[e["reconciliation"]] = counts.get(e["reconciliation"], 0) + 1
    return counts


def _count(counts: dict, key: str, name: str, present: bool, waiting: bool) -> None:
    entry = counts.setdefault(key, schemas.Count(key=key, name=name, expected=0, present=0))
    entry.expected += 1
    entry.present += present
    entry.waiting += waiting


def _natural(door: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in door.split("-"))


def _room(room: str) -> tuple[int, str]:
    """ "302" before "1202", and "301A" next to "301": the number first, then whatever follows it."""
    digits = len(room) - len(room.lstrip("0123456789"))
    return (int(room[:digits]) if digits else 0, room[digits:])


_RELATION_ORDER = {r: i for i, r in enumerate(RELATIONS)}


def _walking_order(e: dict) -> tuple:
    """Grid, building, unit, floor, room: the order she walks (or phones) the doors in; in a household the head
    first, as the household page lists them."""
    return (
        e["grid_number"],
        e["building_number"],
        e["unit_number"],
        e["floor"],
        _room(e["room"]),
        e["household"],
        _RELATION_ORDER.get(e["relation"], len(_RELATION_ORDER)),
        e["birth_date"] or date.max,
        e["name"],
    )


async def get_result(scope: Scope, rec_id: uuid.UUID, today: date) -> schemas.Result | None:
    rec = await reconciliation_in_scope(scope, rec_id)
    if rec is None:
        return None
    expected = await ExpectedResident.select(
        ExpectedResident.resident,
        ExpectedResident.household,
        ExpectedResident.building,
        ExpectedResident.building.name.as_alias("building_name"),
        ExpectedResident.building.number.as_alias("building_number"),
        ExpectedResident.grid,
        ExpectedResident.grid.name.as_alias("grid_name"),
        ExpectedResident.grid.number.as_alias("grid_number"),
        ExpectedResident.name,
        ExpectedResident.door,
        ExpectedResident.status,
        ExpectedResident.present,
        ExpectedResident.line,
        ExpectedResident.reason,
        ExpectedResident.resident.phone.as_alias("phone"),
        ExpectedResident.resident.birth_date.as_alias("birth_date"),
        ExpectedResident.resident.relation.as_alias("relation"),
        ExpectedResident.household.unit.number.as_alias("unit_number"),
        ExpectedResident.household.floor.as_alias("floor"),
        ExpectedResident.household.room.as_alias("room"),
    ).where(ExpectedResident.reconciliation == rec_id)
    rows = await ListRow.select().where(ListRow.reconciliation == rec_id).order_by(ListRow.line)
    area = await ReconcileArea.select(ReconcileArea.building.name.as_alias("name")).where(
        ReconcileArea.reconciliation == rec_id
    )
    candidates = await _candidates(scope, rows, today)
    open_rows = [_open_row(r, candidates) for r in rows]
    ambiguous = [r for r in open_rows if r.status == "ambiguous" and not r.decision]
    # Someone a row still waiting for the worker's decision may be is not missing yet: "to confirm" (issue 16).
    waiting = {c.resident_id for r in ambiguous for c in r.candidates}
    grids: dict = {}
    buildings: dict = {}
    households: dict = {}
    missing, to_confirm, not_expected = [], [], []
    for e in sorted(expected, key=_walking_order):
        person = schemas.Person(
            resident_id=e["resident"],
            household_id=e["household"],
            name=e["name"],
            door=e["door"],
            age=age_on(e["birth_date"], today),
            phone_masked=mask_phone(e["phone"]),
            status=e["status"],
            reason=e["reason"],
            line=e["line"],
            building_id=e["building"],
            building=e["building_name"],
        )
        if e["status"] != "living":
            not_expected.append(person)
            continue
        pending = not e["present"] and e["resident"] in waiting
        _count(grids, str(e["grid"]), e["grid_name"], e["present"], pending)
        _count(buildings, str(e["building"]), e["building_name"], e["present"], pending)
        _count(households, e["door"], e["door"], e["present"], pending)
        if pending:
            to_confirm.append(person)
        elif not e["present"]:
            missing.append(person)
    present = sum(c.present for c in grids.values())
    total = sum(c.expected for c in grids.values())
    return schemas.Result(
        summary=schemas.ReconcileSummary(
            id=rec["id"],
            title=rec["title"],
            source=rec["source"],
            created_at=rec["created_at"],
            expected=total,
            present=present,
            to_confirm=len(to_confirm),
        ),
        listed=rec["listed"],
        area=sorted((a["name"] for a in area), key=lambda n: _natural(n.replace("号楼", ""))),
        grids=list(grids.values()),
        buildings=list(buildings.values()),
        households=[h for h in households.values() if h.missing],
        missing=missing,
        to_confirm=to_confirm,
        not_expected=not_expected,
        ambiguous=ambiguous,
        list_only=[r for r in open_rows if r.status == "unknown"],
        others=[r for r in open_rows if r.status in ("repeated", "incomplete", "outside") or r.decision == "chosen"],
    )


async def _candidates(scope: Scope, rows: list[dict], today: date) -> dict[str, schemas.Candidate]:
    ids = {c for r in rows for c in r["candidates"].split()} | {str(r["resident"]) for r in rows if r["resident"]}
    if not ids:
        return {}
    people = await Resident.select(
        Resident.id,
        Resident.name,
        Resident.household.door.as_alias("door"),
        Resident.household.building.grid.as_alias("grid"),
        Resident.phone,
        Resident.birth_date,
    ).where(Resident.id.is_in([uuid.UUID(i) for i in ids]) & (Resident.community == scope.community_id))
    return {
        str(p["id"]): schemas.Candidate(
            resident_id=p["id"],
            name=p["name"],
            door=p["door"],
            age=age_on(p["birth_date"], today),
            phone_masked=mask_phone(p["phone"]),
        )
        for p in people
        if scope.allows_grid(p["grid"])
    }


def _open_row(row: dict, candidates: dict[str, schemas.Candidate]) -> schemas.OpenRow:
    resident = candidates.get(str(row["resident"])) if row["resident"] else None
    return schemas.OpenRow(
        id=row["id"],
        line=row["line"],
        status=row["status"],
        reason=row["reason"],
        name=row["name"],
        sex=row["sex"],
        door=row["door"],
        door_text=row["door_text"],
        phone_masked=mask_phone(row["phone"]) if "*" not in row["phone"] else row["phone"],
        decision=row["decision"],
        candidates=[candidates[c] for c in row["candidates"].split() if c in candidates],
        resident_name=f"{resident.name} ({resident.door})" if resident else "",
    )
