"""Reconciling a list against the register, always inside a Scope. Knows nothing of HTTP.

The steps: a file becomes a draft (server.imports), the draft is evaluated (columns mapped, rows normalised, the
scope's register loaded in one query and matched in memory) for a preview that saves nothing; saving evaluates
again and writes the result in one transaction. Reading results is in results.py, acting on them in actions.py,
reconciling a person sweep in person_sweeps.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from server.access.scope import CurrentUser, Scope
from server.db import insert_in_chunks, write_transaction
from server.errors import DomainError
from server.imports import columns, matching
from server.imports import draft as drafts
from server.offload import in_thread
from server.places.tables import Building, Resident
from server.reconcile import schemas
from server.reconcile.tables import ExpectedResident, ListRow, ReconcileArea, Reconciliation

MOSTLY_UNKNOWN_MIN_ROWS = 10


class ReconcileError(DomainError):
    # A sweep or building the user does not see is not said to exist (docs/decisions/0003).
    statuses = {"sweep_not_found": 404, "building_out_of_scope": 404}


def draft_from_upload(data: bytes, filename: str) -> drafts.Draft:
    """Raises ImportProblem (empty, too large, not a spreadsheet, ...) with nothing stored."""
    return drafts.read_upload(data, filename)


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
    unit: uuid.UUID
    building: uuid.UUID
    building_number: int
    building_name: str
    grid: uuid.UUID
    phone: str | None
    id_number: str | None
    status: str
    sex: str
    birth_date: date | None


async def load_register(scope: Scope) -> list[RegisterRow]:
    """Every registered person the scope may see, with door and building: one query, whatever the size."""
    if scope.sees_nothing:
        return []
    query = Resident.select(
        Resident.id,
        Resident.name,
        Resident.household,
        Resident.household.door.as_alias("door"),
        Resident.household.unit.as_alias("unit"),
        Resident.household.building.as_alias("building"),
        Resident.household.building.number.as_alias("building_number"),
        Resident.household.building.name.as_alias("building_name"),
        Resident.household.building.grid.as_alias("grid"),
        Resident.phone,
        Resident.id_number,
        Resident.status,
        Resident.sex,
        Resident.birth_date,
    ).where(Resident.community == scope.community_id)
    query = scope.filter(query, Resident.household.building.grid)
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
    expected_only: set[int] | None = None  # a sweep of single units or doors: only their people are expected

    def matched_positions(self) -> list[tuple[int, int]]:
        return [(position, resident) for position, resident in enumerate(self.residents) if resident >= 0]


async def evaluate(
    scope: Scope, draft: drafts.Draft, choices: dict[int, str], building_ids: list[uuid.UUID]
) -> Evaluation:
    mapping = drafts.mapping_for(draft, choices)
    register = await load_register(scope)
    blocking = []
    # Normalising and matching 100,000 rows is seconds of CPU: outside the event loop, as the file's reading.
    fields, residents, others = await in_thread(_read_and_match, draft, mapping, register)
    if not columns.can_identify(mapping):
        blocking.append("no_identifying_column")
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


def _read_and_match(
    draft: drafts.Draft, mapping: dict[int, str], register: list[RegisterRow]
) -> tuple[list[drafts.Fields], list[int], dict[int, matching.Match]]:
    fields = drafts.read_rows(draft.lines, draft.columns, mapping)
    if not columns.can_identify(mapping):
        return fields, [-1] * len(fields), {}
    residents, others = matching.Matcher(matching.registered(register)).match_positions(fields)
    return fields, residents, others


def _problems(ev: Evaluation) -> list[schemas.RowProblem]:
    area_ids = {b["id"] for b in ev.area}
    problems = [
        schemas.RowProblem(line=line, kind="duplicate", other=str(first)) for line, first in ev.draft.duplicates
    ]
    for position, f in enumerate(ev.fields):
        for code in f.problems:
            problems.append(schemas.RowProblem(line=f.line, kind=code, name=f.name, door=f.door or f.door_text))
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
        doors = list(dict.fromkeys(ev.register[i].door for i in result.candidates))
        problems.append(
            schemas.RowProblem(
                line=f.line, kind=kind, name=f.name, door=f.door or f.door_text, other=result.reason, doors=doors
            )
        )
    problems.sort(key=lambda p: p.line)
    return problems


def _expected_in_area(ev: Evaluation) -> list[int]:
    area_ids = {b["id"] for b in ev.area}
    return [
        i
        for i, row in enumerate(ev.register)
        if row.building in area_ids and (ev.expected_only is None or i in ev.expected_only)
    ]


def build_preview(ev: Evaluation, draft: str) -> schemas.Preview:
    """`draft`: ev.draft encoded (drafts.encode: compressing a large list is CPU, done off the event loop)."""
    in_area = _expected_in_area(ev)
    present = {i for i in ev.residents if i >= 0}
    expected = [i for i in in_area if ev.register[i].status == "living"]
    statuses = [m.status for m in ev.others.values()]
    maybe = {c for m in ev.others.values() if m.status == matching.AMBIGUOUS for c in m.candidates}
    absent = [i for i in expected if i not in present]
    return schemas.Preview(
        filename=ev.draft.filename,
        draft=draft,
        columns=drafts.columns_of(ev.draft, ev.mapping),
        header_line=ev.draft.header_line,
        notes=ev.draft.notes,
        rows=ev.draft.row_count,
        duplicates=len(ev.draft.duplicates),
        blank_rows=ev.draft.blank_rows,
        matched=len(present),
        ambiguous=statuses.count(matching.AMBIGUOUS),
        unknown=statuses.count(matching.UNKNOWN),
        area=[b["name"] for b in ev.area],
        area_ids=[b["id"] for b in ev.area],
        expected=len(expected),
        missing=sum(1 for i in absent if i not in maybe),
        to_confirm=sum(1 for i in absent if i in maybe),
        problems=_problems(ev),
        blocking=ev.blocking,
        # Not blocking (a test point may serve several grids), but said before saving.
        mostly_unknown=not ev.blocking
        and len(ev.fields) >= MOSTLY_UNKNOWN_MIN_ROWS
        and len(present) * 2 < len(ev.fields),
    )


async def preview(
    scope: Scope, draft: drafts.Draft, choices: dict[int, str], building_ids: list[uuid.UUID]
) -> schemas.Preview:
    """What saving would give, with every row problem; writes nothing."""
    evaluation = await evaluate(scope, draft, choices, building_ids)
    return build_preview(evaluation, await in_thread(drafts.encode, draft))


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
    return await write_result(user, scope, ev, title=draft.filename, listed=len(ev.fields), now=now)


async def write_result(
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
