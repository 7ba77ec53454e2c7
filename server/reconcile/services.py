"""Reconciling a list against the register, always inside a Scope. Knows nothing of HTTP.

The steps: a file becomes a draft (server.imports), the draft is evaluated (columns mapped, rows normalised, the
scope's register loaded in one query and matched in memory) for a preview that saves nothing; saving evaluates
again and writes the result in one transaction. After that, people act on it: reasons for the missing, decisions
on ambiguous rows, list-only people added to the register, an export, a revisit sweep.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from server.accounts.services import CurrentUser, Scope
from server.db import insert_in_chunks, write_transaction
from server.imports import columns
from server.imports import draft as drafts
from server.imports.normalize import name_key
from server.imports.reader import read_table
from server.places.services import age_on, mask_phone
from server.places.tables import Building, Household, Resident
from server.reconcile import matching, schemas
from server.reconcile.tables import ExpectedResident, ListRow, ReconcileArea, Reconciliation
from server.sweeps.schemas import SweepCreate
from server.sweeps.services import create_sweep
from server.sweeps.tables import Sweep, SweepArea, SweepTick

PREVIEW_PROBLEMS = 200  # row problems listed on the preview; the count says how many more there are
OPEN_ROWS = ("ambiguous", "unknown", "repeated", "incomplete", "outside")


class ReconcileError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def draft_from_upload(data: bytes, filename: str) -> drafts.Draft:
    """Raises ImportProblem (empty, too large, not a spreadsheet, ...) with nothing stored."""
    return drafts.draft_of(read_table(data, filename), filename or "list")


async def buildings_in_scope(scope: Scope) -> list[dict]:
    """The buildings a list may be held against: id, name, number."""
    rows = (
        await Building.select(Building.id, Building.name, Building.number, Building.grid)
        .where(Building.community == scope.community_id)
        .order_by(Building.number)
    )
    return [row for row in rows if scope.allows_grid(row["grid"])]


# ---------------------------------------------------------------------------------------------------------------
# The register of a scope, in one query


@dataclass(slots=True)
class RegisterRow:
    id: uuid.UUID
    name: str
    household: uuid.UUID
    door: str
    building: uuid.UUID
    building_number: int
    building_name: str
    grid: uuid.UUID
    phone: str | None
    id_number: str | None
    status: str
    birth_date: date | None


async def load_register(scope: Scope) -> list[RegisterRow]:
    """Every registered person the scope may see, with door and building: one query, whatever the size."""
    if scope.grid_ids is not None and not scope.grid_ids:
        return []
    query = Resident.select(
        Resident.id,
        Resident.name,
        Resident.household,
        Resident.household.door.as_alias("door"),
        Resident.household.building.as_alias("building"),
        Resident.household.building.number.as_alias("building_number"),
        Resident.household.building.name.as_alias("building_name"),
        Resident.household.building.grid.as_alias("grid"),
        Resident.phone,
        Resident.id_number,
        Resident.status,
        Resident.birth_date,
    ).where(Resident.community == scope.community_id)
    if scope.grid_ids is not None:
        query = query.where(Resident.household.building.grid.is_in(list(scope.grid_ids)))
    return [RegisterRow(**row) for row in await query]


# ---------------------------------------------------------------------------------------------------------------
# Evaluating a draft: everything the preview shows and the saving writes


@dataclass
class Evaluation:
    draft: drafts.Draft
    mapping: dict[int, str]
    fields: list[drafts.Fields]  # rows that are not duplicates
    register: list[RegisterRow]
    residents: list[int]  # per field row: register index, or -1
    others: dict[int, matching.Match]  # per field row position, when not matched
    area: list[dict]  # buildings expected: id, name, number
    blocking: list[str] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)  # register index -> why missing, known beforehand

    def matched_positions(self) -> list[tuple[int, int]]:
        return [(position, resident) for position, resident in enumerate(self.residents) if resident >= 0]


def _registered(row: RegisterRow) -> matching.Registered:
    return matching.Registered(
        name=name_key(row.name),
        door=row.door,
        building=row.building_number,
        phone=row.phone,
        id_number=row.id_number,
    )


async def evaluate(
    scope: Scope, draft: drafts.Draft, choices: dict[int, str], building_ids: list[uuid.UUID]
) -> Evaluation:
    mapping = drafts.mapping_for(draft, choices)
    fields = [drafts.read_fields(row, mapping) for row in draft.rows if row.duplicate_of is None]
    register = await load_register(scope)
    blocking = []
    if not columns.can_identify(mapping):
        blocking.append("no_identifying_column")
        residents, others = [-1] * len(fields), {}
    else:
        listed = [
            matching.Listed(
                line=f.line, name=f.name, door=f.door, building=f.building, phone=f.phone, id_number=f.id_number
            )
            for f in fields
        ]
        residents, others = matching.Matcher([_registered(r) for r in register]).match_positions(listed)
    buildings = {
        row["id"]: row
        for row in await Building.select(Building.id, Building.name, Building.number, Building.grid).where(
            Building.community == scope.community_id
        )
        if scope.allows_grid(row["grid"])
    }
    if building_ids:
        if not all(b in buildings for b in building_ids):
            raise ReconcileError("building_out_of_scope")
        area_ids = list(dict.fromkeys(building_ids))
    else:
        # No buildings chosen: those of the people the list named (a test point serves whole buildings).
        area_ids = list(dict.fromkeys(register[i].building for i in residents if i >= 0))
    area = sorted((buildings[b] for b in area_ids), key=lambda b: b["number"])
    if "no_identifying_column" not in blocking and fields and not any(i >= 0 for i in residents):
        # Nobody on the list lives in this scope's register: another community's list, or the wrong file.
        blocking.append("nothing_matched")
    if not fields:
        blocking.append("no_rows")
    return Evaluation(draft, mapping, fields, register, residents, others, area, blocking)


def _problems(ev: Evaluation) -> list[schemas.RowProblem]:
    area_ids = {b["id"] for b in ev.area}
    problems = [
        schemas.RowProblem(line=row.line, kind="duplicate", other=str(row.duplicate_of))
        for row in ev.draft.rows
        if row.duplicate_of is not None
    ]
    for position, f in enumerate(ev.fields):
        for code in f.problems:
            problems.append(schemas.RowProblem(line=f.line, kind=code, name=f.name, door=f.door_text))
        resident = ev.residents[position]
        if resident >= 0:
            person = ev.register[resident]
            if person.building not in area_ids:
                problems.append(schemas.RowProblem(line=f.line, kind="outside", name=f.name, door=person.door))
            elif person.status != "living":
                problems.append(
                    schemas.RowProblem(
                        line=f.line, kind="not_expected", name=f.name, door=person.door, other=person.status
                    )
                )
            continue
        result = ev.others.get(position)
        if result is None or (result.status == matching.INCOMPLETE and "cannot_identify" in f.problems):
            continue
        kind = {matching.INCOMPLETE: "cannot_identify"}.get(result.status, result.status)
        problems.append(schemas.RowProblem(line=f.line, kind=kind, name=f.name, door=f.door_text, other=result.reason))
    problems.sort(key=lambda p: p.line)
    return problems


def _expected_in_area(ev: Evaluation) -> list[int]:
    area_ids = {b["id"] for b in ev.area}
    return [i for i, row in enumerate(ev.register) if row.building in area_ids]


def build_preview(ev: Evaluation) -> schemas.Preview:
    in_area = _expected_in_area(ev)
    present = {i for i in ev.residents if i >= 0}
    expected = [i for i in in_area if ev.register[i].status == "living"]
    statuses = [m.status for m in ev.others.values()]
    samples = ev.draft.rows[0].cells if ev.draft.rows else []
    return schemas.Preview(
        filename=ev.draft.filename,
        draft=drafts.encode(ev.draft),
        columns=[
            schemas.Column(index=i, header=h, field=ev.mapping.get(i), sample=samples[i] if i < len(samples) else "")
            for i, h in enumerate(ev.draft.headers)
        ],
        header_line=ev.draft.header_line,
        notes=ev.draft.notes,
        rows=len(ev.draft.rows),
        duplicates=len(ev.draft.rows) - len(ev.fields),
        blank_rows=ev.draft.blank_rows,
        matched=len(present),
        ambiguous=statuses.count(matching.AMBIGUOUS),
        unknown=statuses.count(matching.UNKNOWN),
        area=[b["name"] for b in ev.area],
        area_ids=[b["id"] for b in ev.area],
        expected=len(expected),
        missing=sum(1 for i in expected if i not in present),
        problems=_problems(ev),
        blocking=ev.blocking,
    )


async def preview(
    scope: Scope, draft: drafts.Draft, choices: dict[int, str], building_ids: list[uuid.UUID]
) -> schemas.Preview:
    """What saving would give, with every row problem; writes nothing."""
    return build_preview(await evaluate(scope, draft, choices, building_ids))


# ---------------------------------------------------------------------------------------------------------------
# Saving: all or nothing


async def save(
    user: CurrentUser,
    scope: Scope,
    draft: drafts.Draft,
    choices: dict[int, str],
    building_ids: list[uuid.UUID],
    now: datetime,
) -> uuid.UUID:
    ev = await evaluate(scope, draft, choices, building_ids)
    if ev.blocking:
        raise ReconcileError(ev.blocking[0])
    return await _write(user, scope, ev, title=draft.filename, listed=len(ev.fields), now=now)


async def _write(
    user: CurrentUser,
    scope: Scope,
    ev: Evaluation,
    *,
    title: str,
    listed: int,
    now: datetime,
    source: str = "file",
    sweep_id: uuid.UUID | None = None,
) -> uuid.UUID:
    area_ids = {b["id"] for b in ev.area}
    line_of = {resident: ev.fields[position].line for position, resident in ev.matched_positions()}
    rec = Reconciliation(
        id=uuid.uuid4(),
        community=scope.community_id,
        grid=user.grid_id if user.role == "grid_worker" else None,
        title=title[:128],
        source=source,
        sweep=sweep_id,
        listed=listed,
        created_by=user.id,
        created_at=now,
    )
    expected = [
        ExpectedResident(
            id=uuid.uuid4(),
            reconciliation=rec.id,
            resident=ev.register[i].id,
            household=ev.register[i].household,
            building=ev.register[i].building,
            grid=ev.register[i].grid,
            name=ev.register[i].name,
            door=ev.register[i].door,
            status=ev.register[i].status,
            present=i in line_of,
            line=line_of.get(i),
            reason="" if i in line_of else ev.reasons.get(i, ""),
        )
        for i in _expected_in_area(ev)
    ]
    rows = []
    for position, f in enumerate(ev.fields):
        resident = ev.residents[position]
        match = ev.others.get(position)
        if resident >= 0:
            if ev.register[resident].building in area_ids:
                continue
            status, reason, resident_id, candidates = "outside", "", ev.register[resident].id, ""
        else:
            status = match.status
            reason = match.reason
            resident_id = ev.register[match.resident].id if match.resident is not None else None
            candidates = " ".join(str(ev.register[c].id) for c in match.candidates)
        rows.append(
            ListRow(
                id=uuid.uuid4(),
                reconciliation=rec.id,
                line=f.line,
                status=status,
                reason=reason[:32],
                name=f.name[:32],
                sex=f.sex,
                door=(f.door or "")[:32],
                door_text=f.door_text[:128],
                phone=f.phone[:20],
                resident=resident_id,
                candidates=candidates,
            )
        )
    async with write_transaction():
        await rec.save()
        await ReconcileArea.insert(*[ReconcileArea(reconciliation=rec.id, building=b["id"]) for b in ev.area])
        await insert_in_chunks(ExpectedResident, expected)
        await insert_in_chunks(ListRow, rows)
    return rec.id


# ---------------------------------------------------------------------------------------------------------------
# Reading a result


async def _reconciliation_in_scope(scope: Scope, rec_id: uuid.UUID) -> dict | None:
    row = (
        await Reconciliation.select()
        .where((Reconciliation.id == rec_id) & (Reconciliation.community == scope.community_id))
        .first()
    )
    if row is None:
        return None
    if scope.grid_ids is not None and row["grid"] not in scope.grid_ids:
        return None  # an admin's reconciliation, or another grid's: not this grid worker's to see
    return row


async def is_visible(scope: Scope, rec_id: uuid.UUID) -> bool:
    return await _reconciliation_in_scope(scope, rec_id) is not None


async def list_reconciliations(scope: Scope, limit: int = 20) -> list[schemas.ReconcileSummary]:
    query = Reconciliation.select().where(Reconciliation.community == scope.community_id)
    if scope.grid_ids is not None:
        if not scope.grid_ids:
            return []
        query = query.where(Reconciliation.grid.is_in(list(scope.grid_ids)))
    recs = await query.order_by(Reconciliation.created_at, ascending=False).limit(limit)
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
    return [
        schemas.ReconcileSummary(
            id=r["id"],
            title=r["title"],
            source=r["source"],
            created_at=r["created_at"],
            expected=int(by_rec.get(str(r["id"]), {}).get("expected") or 0),
            present=int(by_rec.get(str(r["id"]), {}).get("present") or 0),
        )
        for r in recs
    ]


def _count(counts: dict, key: str, name: str, present: bool) -> None:
    entry = counts.setdefault(key, schemas.Count(key=key, name=name, expected=0, present=0))
    entry.expected += 1
    entry.present += present


def _natural(door: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in door.split("-"))


async def get_result(scope: Scope, rec_id: uuid.UUID, today: date) -> schemas.Result | None:
    rec = await _reconciliation_in_scope(scope, rec_id)
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
    ).where(ExpectedResident.reconciliation == rec_id)
    rows = await ListRow.select().where(ListRow.reconciliation == rec_id).order_by(ListRow.line)
    area = await ReconcileArea.select(ReconcileArea.building.name.as_alias("name")).where(
        ReconcileArea.reconciliation == rec_id
    )
    grids: dict = {}
    buildings: dict = {}
    households: dict = {}
    missing, not_expected = [], []
    order = sorted(expected, key=lambda e: (e["grid_number"], e["building_number"], _natural(e["door"])))
    for e in order:
        person = schemas.Person(
            resident_id=e["resident"],
            household_id=e["household"],
            name=e["name"],
            door=e["door"],
            age=age_on(e["birth_date"], today),
            phone=e["phone"],
            phone_masked=mask_phone(e["phone"]),
            status=e["status"],
            reason=e["reason"],
            line=e["line"],
        )
        if e["status"] != "living":
            not_expected.append(person)
            continue
        _count(grids, str(e["grid"]), e["grid_name"], e["present"])
        _count(buildings, str(e["building"]), e["building_name"], e["present"])
        _count(households, e["door"], e["door"], e["present"])
        if not e["present"]:
            missing.append(person)
    candidates = await _candidates(scope, rows, today)
    open_rows = [_open_row(r, candidates) for r in rows]
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
        ),
        listed=rec["listed"],
        area=sorted((a["name"] for a in area), key=lambda n: _natural(n.replace("号楼", ""))),
        grids=list(grids.values()),
        buildings=list(buildings.values()),
        households=[h for h in households.values() if h.missing],
        missing=missing,
        not_expected=not_expected,
        ambiguous=[r for r in open_rows if r.status == "ambiguous" and not r.decision],
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


# ---------------------------------------------------------------------------------------------------------------
# Acting on a result


async def record_reason(
    user: CurrentUser, scope: Scope, rec_id: uuid.UUID, resident_id: uuid.UUID, reason: str
) -> bool:
    """Why a missing person is missing ("" clears it). False when the person is not missing in this result."""
    if reason and reason not in schemas.REASONS:
        raise ReconcileError("invalid_reason")
    if await _reconciliation_in_scope(scope, rec_id) is None:
        return False
    where = (
        (ExpectedResident.reconciliation == rec_id)
        & (ExpectedResident.resident == resident_id)
        & (ExpectedResident.status == "living")
        & (ExpectedResident.present.eq(False))
    )
    async with write_transaction():
        if not await ExpectedResident.exists().where(where):
            return False
        await ExpectedResident.update(
            {
                ExpectedResident.reason: reason,
                ExpectedResident.reason_by: user.id if reason else None,
                ExpectedResident.reason_at: datetime.now(UTC) if reason else None,
            }
        ).where(where)
    return True


async def _open_row_in(scope: Scope, rec_id: uuid.UUID, row_id: uuid.UUID) -> dict | None:
    if await _reconciliation_in_scope(scope, rec_id) is None:
        return None
    return await ListRow.select().where((ListRow.id == row_id) & (ListRow.reconciliation == rec_id)).first()


async def decide(
    user: CurrentUser, scope: Scope, rec_id: uuid.UUID, row_id: uuid.UUID, resident_id: uuid.UUID | None
) -> bool:
    """A person decides an ambiguous row: it is this resident (one of its candidates), or nobody registered."""
    async with write_transaction():
        row = await _open_row_in(scope, rec_id, row_id)
        if row is None or row["status"] != "ambiguous" or row["decision"]:
            return False
        now = datetime.now(UTC)
        if resident_id is None:
            # Nobody of the register: the row joins the people on the list only, who can be added.
            await ListRow.update(
                {
                    ListRow.status: "unknown",
                    ListRow.decision: "not_registered",
                    ListRow.decided_by: user.id,
                    ListRow.decided_at: now,
                }
            ).where(ListRow.id == row_id)
            return True
        if str(resident_id) not in row["candidates"].split():
            raise ReconcileError("not_a_candidate")
        await ListRow.update(
            {
                ListRow.resident: resident_id,
                ListRow.decision: "chosen",
                ListRow.decided_by: user.id,
                ListRow.decided_at: now,
            }
        ).where(ListRow.id == row_id)
        await _mark_present(rec_id, resident_id, row["line"])
    return True


async def _mark_present(rec_id: uuid.UUID, resident_id: uuid.UUID, line: int) -> None:
    await ExpectedResident.update(
        {ExpectedResident.present: True, ExpectedResident.line: line, ExpectedResident.reason: ""}
    ).where(
        (ExpectedResident.reconciliation == rec_id)
        & (ExpectedResident.resident == resident_id)
        & (ExpectedResident.present.eq(False))
    )


async def add_to_register(
    user: CurrentUser, scope: Scope, rec_id: uuid.UUID, row_id: uuid.UUID, door: str, sex: str
) -> uuid.UUID:
    """A person on the list only is added to the register at a door of the scope, as living there.

    The register's own editing pages are issue 5's; this adds the one person the list showed, with what the list
    gave (a whole phone number only: a masked one cannot be called).
    """
    from server.imports.normalize import door_key

    if sex not in ("M", "F"):
        raise ReconcileError("sex_needed")
    door = door_key(door) or ""
    async with write_transaction():
        row = await _open_row_in(scope, rec_id, row_id)
        if row is None or row["status"] != "unknown" or row["decision"] == "added" or not row["name"]:
            raise ReconcileError("not_open")
        household = (
            await Household.select(Household.id, Household.building, Household.building.grid.as_alias("grid"))
            .where((Household.door == door) & (Household.community == scope.community_id))
            .first()
        )
        if household is None or not scope.allows_grid(household["grid"]):
            raise ReconcileError("door_not_found")
        now = datetime.now(UTC)
        phone = row["phone"] if row["phone"].isdigit() and len(row["phone"]) == 11 else None
        resident = Resident(
            id=uuid.uuid4(),
            community=scope.community_id,
            household=household["id"],
            name=row["name"],
            sex=sex,
            phone=phone,
            relation="other",
            status="living",
            created_at=now,
            updated_at=now,
        )
        await resident.save()
        await ListRow.update(
            {
                ListRow.decision: "added",
                ListRow.resident: resident.id,
                ListRow.decided_by: user.id,
                ListRow.decided_at: now,
            }
        ).where(ListRow.id == row_id)
        if await ReconcileArea.exists().where(
            (ReconcileArea.reconciliation == rec_id) & (ReconcileArea.building == household["building"])
        ):
            # In the area: expected from now on, and present, since the list named them.
            await ExpectedResident.insert(
                ExpectedResident(
                    id=uuid.uuid4(),
                    reconciliation=rec_id,
                    resident=resident.id,
                    household=household["id"],
                    building=household["building"],
                    grid=household["grid"],
                    name=resident.name,
                    door=door,
                    status="living",
                    present=True,
                    line=row["line"],
                )
            )
    return resident.id


async def revisit_sweep(user: CurrentUser, scope: Scope, rec_id: uuid.UUID, name: str, day: date) -> uuid.UUID | None:
    """A sweep of the buildings where the missing live, made in one action, its purpose naming their doors.

    sweeps.create_sweep takes whole buildings today; a sweep of single doors is the hook to add there
    (see the TODO in the report of issue 4): until then volunteers see every door of those buildings.
    """
    result = await get_result(scope, rec_id, day)
    if result is None or not result.missing:
        return None
    doors = list(dict.fromkeys(p.door for p in result.missing))
    building_ids = list(
        dict.fromkeys(
            row["building"]
            for row in await ExpectedResident.select(ExpectedResident.building).where(
                (ExpectedResident.reconciliation == rec_id) & (ExpectedResident.door.is_in(doors))
            )
        )
    )
    purpose = " ".join(doors)
    if len(purpose) > 256:
        purpose = purpose[:250].rsplit(" ", 1)[0] + " …"
    return await create_sweep(
        user, scope, SweepCreate(name=name[:64], day=day, building_ids=building_ids, purpose=purpose)
    )


async def export_rows(scope: Scope, rec_id: uuid.UUID, today: date) -> schemas.Result | None:
    return await get_result(scope, rec_id, today)


# ---------------------------------------------------------------------------------------------------------------
# Item 5: a person sweep's outcomes, with no file


async def from_sweep(user: CurrentUser, scope: Scope, sweep_id: uuid.UUID, now: datetime) -> uuid.UUID:
    """Reconcile a person sweep: present = each person's last outcome is "tested"; "away" becomes the reason.

    Reads the sweeps tables only. The area is the sweep's buildings that are in the scope.
    """
    sweep = (
        await Sweep.select(Sweep.id, Sweep.name, Sweep.subject)
        .where((Sweep.id == sweep_id) & (Sweep.community == scope.community_id))
        .first()
    )
    if sweep is None:
        raise ReconcileError("sweep_not_found")
    area_ids = [
        row["building"] for row in await SweepArea.select(SweepArea.building).where(SweepArea.sweep == sweep_id)
    ]
    register = await load_register(scope)
    in_scope = {row.building for row in register}
    area_ids = [b for b in dict.fromkeys(area_ids) if b in in_scope]
    if not area_ids:
        raise ReconcileError("building_out_of_scope")  # told apart from "not a person sweep" only within scope
    if sweep["subject"] != "persons":
        raise ReconcileError("not_a_person_sweep")
    last: dict[uuid.UUID, tuple[int, str]] = {}
    for tick in await SweepTick.select(SweepTick.seq, SweepTick.resident, SweepTick.outcome).where(
        (SweepTick.sweep == sweep_id) & SweepTick.resident.is_not_null()
    ):
        if tick["resident"] not in last or tick["seq"] > last[tick["resident"]][0]:
            last[tick["resident"]] = (tick["seq"], tick["outcome"])
    position = {row.id: i for i, row in enumerate(register)}
    area_set = set(area_ids)
    residents = [
        position[r]
        for r, (_, outcome) in last.items()
        if outcome == "tested" and r in position and register[position[r]].building in area_set
    ]
    buildings = {
        row["id"]: row
        for row in await Building.select(Building.id, Building.name, Building.number).where(Building.id.is_in(area_ids))
    }
    ev = Evaluation(
        draft=drafts.Draft(filename=sweep["name"], headers=[], header_line=0, rows=[]),
        mapping={},
        fields=[drafts.Fields(line=0) for _ in residents],
        register=register,
        residents=residents,
        others={},
        area=sorted(buildings.values(), key=lambda b: b["number"]),
        reasons={position[r]: "away" for r, (_, outcome) in last.items() if outcome == "away" and r in position},
    )
    return await _write(
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
