"""Acting on a result, inside a Scope: why someone is missing, who an ambiguous row is, adding a person, a revisit."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from piccolo.columns.combination import Where

from server.access.scope import CurrentUser, Scope
from server.db import write_transaction
from server.places.search_index import index_residents
from server.places.tables import Household, Resident
from server.reconcile import schemas
from server.reconcile.results import get_result, reconciliation_in_scope
from server.reconcile.services import ReconcileError
from server.reconcile.tables import ExpectedResident, ListRow, ReconcileArea
from server.sweeps.services import create_door_sweep


async def record_reason(
    user: CurrentUser, scope: Scope, rec_id: uuid.UUID, resident_id: uuid.UUID, reason: str
) -> bool:
    """Why a missing person is missing ("" clears it). False when the person is not missing in this result."""
    return await _record(user, scope, rec_id, ExpectedResident.resident == resident_id, reason)


async def record_door_reason(
    user: CurrentUser, scope: Scope, rec_id: uuid.UUID, household_id: uuid.UUID, reason: str
) -> bool:
    """One reason for everyone missing at a door ("" clears theirs): a household is often away or in hospital
    together, and one call says so. False when nobody is missing at that door in this result."""
    return await _record(user, scope, rec_id, ExpectedResident.household == household_id, reason)


async def _record(user: CurrentUser, scope: Scope, rec_id: uuid.UUID, who: Where, reason: str) -> bool:
    if reason and reason not in schemas.REASONS:
        raise ReconcileError("invalid_reason")
    if await reconciliation_in_scope(scope, rec_id) is None:
        return False
    where = (
        (ExpectedResident.reconciliation == rec_id)
        & who
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
    if await reconciliation_in_scope(scope, rec_id) is None:
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
        await index_residents([resident.id])
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
    """A sweep of each person at the doors where someone is missing, in one action (sweeps.create_door_sweep):
    volunteers see only those doors, and record each person; the sweep can then be reconciled in turn."""
    result = await get_result(scope, rec_id, day)
    if result is None or not result.missing:
        return None
    doors = {p.household_id: p.door for p in result.missing}
    purpose = " ".join(dict.fromkeys(doors.values()))
    if len(purpose) > 256:
        purpose = purpose[:250].rsplit(" ", 1)[0] + " …"
    return await create_door_sweep(user, scope, name, day, list(doors), subject="persons", purpose=purpose)
