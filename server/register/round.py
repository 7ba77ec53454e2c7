"""The daily round of calls to the register's elderly residents, and the calls' outcomes as they arrive through the
sync layer (online, or from a phone's outbox): who to call now, who did not answer, the follow-up card a second
missed call opens. Always inside a Scope; knows nothing of HTTP.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

import msgspec

from server.accounts.services import CurrentUser, Scope
from server.db import as_datetime
from server.places.services import age_on, mask_phone
from server.places.tables import Resident
from server.register.tables import CheckIn, ElderProfile, FollowUp
from server.sync.services import Answer, Incoming, Kind, rejection

REACHED = ("ok", "needs", "unwell")  # someone answered: not pinned any more today
RETRY_AFTER = timedelta(hours=1)  # an unanswered call comes back to the top after this long
MISSES_TO_ESCALATE = 2
FOLLOW_UP_NAMESPACE = uuid.UUID("3e0c1f55-8a0e-5b7e-9d52-4b6f0c2a9e11")


def follow_up_id(resident_id: uuid.UUID, day: date) -> uuid.UUID:
    return uuid.uuid5(FOLLOW_UP_NAMESPACE, f"{resident_id}:{day.isoformat()}")


# The daily round ---------------------------------------------------------------------------------------------------


@dataclass
class RoundRow:
    resident_id: uuid.UUID
    name: str
    age: int | None
    door: str
    phone_masked: str | None
    priority: bool
    living: str
    mobility: str
    interests: str
    best_time: str
    birthday_today: bool
    outcome: str | None  # the last outcome today
    misses: int  # calls unanswered today
    retry_at: datetime | None  # when an unanswered call is due again
    follow_up: bool  # a task card is open for today

    @property
    def reached(self) -> bool:
        return self.outcome in REACHED


async def round_people(scope: Scope) -> list[dict]:
    """The people in the daily round of the scope's grids: in the round, and living at home. Whole phone numbers:
    callers mask them or audit them."""
    rows = await ElderProfile.select(
        ElderProfile.resident,
        ElderProfile.priority,
        ElderProfile.living,
        ElderProfile.mobility,
        ElderProfile.interests,
        ElderProfile.best_time,
        ElderProfile.resident.name.as_alias("name"),
        ElderProfile.resident.birth_date.as_alias("birth_date"),
        ElderProfile.resident.phone.as_alias("phone"),
        ElderProfile.resident.status.as_alias("status"),
        ElderProfile.resident.household.door.as_alias("door"),
        ElderProfile.resident.household.building.grid.as_alias("grid"),
    ).where((ElderProfile.community == scope.community_id) & ElderProfile.in_round.eq(True))
    return [r for r in rows if scope.allows_grid(r["grid"]) and r["status"] == "living"]


async def today_round(scope: Scope, today: date, now: datetime) -> list[RoundRow]:
    """Everyone in the round of the scope's grids: not yet reached first (priority line first among them, then
    those due again, then by door), then those reached today."""
    rows = await round_people(scope)
    ids = [r["resident"] for r in rows] or [uuid.UUID(int=0)]
    calls: dict[uuid.UUID, list[dict]] = {}
    for call in (
        await CheckIn.select(CheckIn.resident, CheckIn.outcome, CheckIn.received_at)
        .where(CheckIn.resident.is_in(ids) & (CheckIn.day == today))
        .order_by(CheckIn.seq)
    ):
        calls.setdefault(call["resident"], []).append(call)
    open_cards = {
        row["resident"]
        for row in await FollowUp.select(FollowUp.resident).where(
            FollowUp.resident.is_in(ids) & (FollowUp.day == today) & (FollowUp.status == "open")
        )
    }
    found = []
    for r in rows:
        today_calls = calls.get(r["resident"], [])
        misses = [c for c in today_calls if c["outcome"] == "no_answer"]
        last = today_calls[-1] if today_calls else None
        birth = r["birth_date"]
        found.append(
            RoundRow(
                resident_id=r["resident"],
                name=r["name"],
                age=age_on(birth, today),
                door=r["door"],
                phone_masked=mask_phone(r["phone"]),
                priority=r["priority"],
                living=r["living"],
                mobility=r["mobility"],
                interests=r["interests"],
                best_time=r["best_time"],
                birthday_today=bool(birth and (birth.month, birth.day) == (today.month, today.day)),
                outcome=last["outcome"] if last else None,
                misses=len(misses),
                retry_at=as_datetime(misses[-1]["received_at"]) + RETRY_AFTER if misses else None,
                follow_up=r["resident"] in open_cards,
            )
        )
    found.sort(
        key=lambda row: (
            row.reached,
            not row.priority,
            row.retry_at is not None and row.retry_at > now,  # called a moment ago: later
            row.door,
        )
    )
    return found


async def open_follow_ups(scope: Scope) -> list[dict]:
    rows = await FollowUp.select(
        FollowUp.id,
        FollowUp.resident,
        FollowUp.day,
        FollowUp.reason,
        FollowUp.grid,
        FollowUp.resident.name.as_alias("name"),
        FollowUp.resident.household.door.as_alias("door"),
    ).where((FollowUp.community == scope.community_id) & (FollowUp.status == "open"))
    return [r for r in rows if scope.allows_grid(r["grid"])]


async def close_follow_up(scope: Scope, user: CurrentUser, card_id: uuid.UUID, outcome: str) -> bool:
    card = await FollowUp.select(FollowUp.grid).where(
        (FollowUp.id == card_id) & (FollowUp.community == scope.community_id)
    )
    if not card or not scope.allows_grid(card[0]["grid"]):
        return False
    await FollowUp.update(
        {
            FollowUp.status: "done",
            FollowUp.outcome: outcome.strip()[:500],
            FollowUp.closed_at: datetime.now(UTC),
            FollowUp.closed_by: user.id,
        }
    ).where(FollowUp.id == card_id)
    return True


# Check-ins arrive through the sync layer, online or from the outbox ----------------------------------------------


CALL_DAY_TOLERANCE = timedelta(days=31)  # a call's day, as the phone says it, is within this of the server's


class CheckInPayload(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    resident_id: uuid.UUID
    outcome: Literal["ok", "needs", "no_answer", "unwell"]
    day: date
    need: Annotated[str, msgspec.Meta(max_length=500)] = ""
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


async def ingest_checkins(user: CurrentUser, items: list[Incoming], now: datetime) -> dict[uuid.UUID, Answer]:
    """Store calls; a second unanswered call of the day opens a follow-up card (once)."""
    scope = Scope.for_user(user)
    answers: dict[uuid.UUID, Answer] = {}
    existing = {
        row["id"]: row
        for row in await CheckIn.select(CheckIn.id, CheckIn.content_hash, CheckIn.seq).where(
            CheckIn.id.is_in([item.id for item in items])
        )
    }
    residents = {}
    if scope is not None:
        for row in await Resident.select(
            Resident.id, Resident.household.building.grid.as_alias("grid"), Resident.community
        ).where(Resident.id.is_in(list({item.payload.resident_id for item in items}))):
            if row["community"] == scope.community_id and scope.allows_grid(row["grid"]):
                residents[row["id"]] = row
    fresh = []
    for item in items:
        payload: CheckInPayload = item.payload
        earlier = existing.get(item.id)
        if earlier is not None:
            same = earlier["content_hash"] == item.content_hash
            answers[item.id] = (
                Answer(id=item.id, status="duplicate", seq=earlier["seq"]) if same else rejection(item.id, "id_reused")
            )
        elif abs(payload.day - now.date()) > CALL_DAY_TOLERANCE:
            answers[item.id] = rejection(item.id, "invalid")  # no call of today's round, even sent a month late
        elif payload.resident_id not in residents:
            answers[item.id] = rejection(item.id, "not_allowed")
        elif payload.outcome == "needs" and not payload.need.strip():
            answers[item.id] = rejection(item.id, "need_not_described")
        else:
            fresh.append(item)
    if not fresh:
        return answers
    await CheckIn.insert(
        *[
            CheckIn(
                id=item.id,
                content_hash=item.content_hash,
                community=user.community_id,
                resident=item.payload.resident_id,
                day=item.payload.day,
                outcome=item.payload.outcome,
                need=item.payload.need.strip(),
                note=item.payload.note.strip(),
                caller=user.id,
                device_time=item.device_time,
                received_at=now,
            )
            for item in fresh
        ]
    ).on_conflict(target=CheckIn.id, action="DO NOTHING")
    stored = {
        row["id"]: row
        for row in await CheckIn.select(CheckIn.id, CheckIn.seq, CheckIn.content_hash).where(
            CheckIn.id.is_in([item.id for item in fresh])
        )
    }
    for item in fresh:
        row = stored[item.id]
        same = row["content_hash"] == item.content_hash
        answers[item.id] = (
            Answer(id=item.id, status="accepted", seq=row["seq"]) if same else rejection(item.id, "id_reused")
        )
    await _escalate({(item.payload.resident_id, item.payload.day) for item in fresh}, residents, user, now)
    return answers


async def _escalate(calls: set[tuple[uuid.UUID, date]], residents: dict, user: CurrentUser, now: datetime) -> None:
    """Two unanswered calls on one day, and nobody reached them since: a task card to go and look."""
    outcomes: dict[tuple[uuid.UUID, date], list[str]] = {key: [] for key in calls}
    for row in await CheckIn.select(CheckIn.resident, CheckIn.day, CheckIn.outcome).where(
        CheckIn.resident.is_in(list({resident for resident, _ in calls}))
        & CheckIn.day.is_in(list({day for _, day in calls}))
    ):  # every call of these people on these days, in one query
        if (row["resident"], row["day"]) in outcomes:
            outcomes[(row["resident"], row["day"])].append(row["outcome"])
    cards = [
        FollowUp(
            id=follow_up_id(resident_id, day),
            community=user.community_id,
            grid=residents[resident_id]["grid"],
            resident=resident_id,
            day=day,
            reason="no_answer",
            created_at=now,
        )
        for (resident_id, day), said in outcomes.items()
        if said.count("no_answer") >= MISSES_TO_ESCALATE and not any(o in REACHED for o in said)
    ]
    if cards:
        await FollowUp.insert(*cards).on_conflict(target=FollowUp.id, action="DO NOTHING")


CHECK_IN = Kind(name="checkin.outcome", payload_type=CheckInPayload, ingest=ingest_checkins)
