"""The daily round of calls to the register's elderly residents, and the calls' outcomes as they arrive through the
sync layer (online, or from a phone's outbox): who to call now, who did not answer, the follow-up card a second
missed call opens. Always inside a Scope; knows nothing of HTTP.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

import msgspec
from piccolo.query.functions.aggregate import Max

from server.access.masks import mask_phone
from server.access.scope import CurrentUser, Scope
from server.db import as_date, as_datetime, write_transaction
from server.places.services import age_on
from server.places.tables import Resident
from server.places.worker import held_before
from server.register.call_times import call_again_at
from server.register.refused_calls import describe_calls
from server.register.tables import CheckIn, ElderProfile, FollowUp
from server.settings import get_settings
from server.sync.services import Answer, Incoming, Kind, content_hash, rejection

REACHED = ("ok", "needs", "unwell")  # someone answered: not pinned any more today
MISSES_TO_ESCALATE = 2
BIRTHDAY_AHEAD = 14  # days: a birthday coming is time to plan a visit or a cake, not only a greeting on the day
NOT_REACHED_FOR = 2  # days without anyone answering that earn their own badge (yesterday's miss is routine)
AGE_BAND = 5  # years: within one band, who cannot walk comes first (81 and walking is not before 80 and bedridden)
MOBILITY_NEED = {"bedridden": 0, "limited": 1, "good": 2}
FOLLOW_UP_NAMESPACE = uuid.UUID("3e0c1f55-8a0e-5b7e-9d52-4b6f0c2a9e11")


def separate_misses(times: list[datetime], apart: timedelta) -> int:
    """Unanswered calls counted as calls: each at least `apart` after the last one counted (by when the phone made
    them), so that 未接 tapped twice in a few seconds is one missed call, and does not open a go-and-look card."""
    counted, last = 0, None
    for moment in sorted(times):
        if last is None or moment - last >= apart:
            counted, last = counted + 1, moment
    return counted


def made_at(call: dict) -> datetime:
    """When the phone made a call, as far as the server can trust it: its time on the server's clock (the sync layer
    corrects a batch for its phone's clock, decision 0032), and never after the server had it (a page older than
    that correction sends no clock of its own)."""
    return min(as_datetime(call["device_time"]), as_datetime(call["received_at"]))


def in_order_made(calls: list[dict]) -> list[dict]:
    """A person's calls in the order they were made (decision 0034): a call made without signal and sent later takes
    its place among the others, not after them; made in the same second, the one that arrived first comes first."""
    return sorted(calls, key=lambda call: (made_at(call), call["seq"]))


def misses_since_reached(calls: list[dict]) -> list[dict]:
    """The unanswered calls made after the last time someone answered (calls in the order made): what the row counts,
    when it says to call again, and what opens a go-and-look card."""
    reached = [n for n, call in enumerate(calls) if call["outcome"] in REACHED]
    after = calls[reached[-1] + 1 :] if reached else calls
    return [call for call in after if call["outcome"] == "no_answer"]


def calls_apart() -> timedelta:
    return timedelta(minutes=get_settings().calls_apart_minutes)


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
    birthday_in: int | None  # days to the next birthday, within BIRTHDAY_AHEAD (0: today)
    turns: int | None  # the age they turn on that birthday
    last_reached: date | None  # the last day before today someone answered (or a visit found them)
    outcome: str | None  # the last outcome today
    misses: int  # calls unanswered today
    retry_at: datetime | None  # when an unanswered call is due again
    follow_up: bool  # a task card is open for today
    # The last call of today to arrive (0: none): a call this phone sent with a later seq is one the row does not
    # know yet, and the page lays it over the row if it was made after the call the row shows (`made`).
    seq: int = 0
    made: datetime | None = None  # when the call the row shows was made (on the server's clock)
    needs_today: bool = False  # someone said on a call of today that they need something

    @property
    def reached(self) -> bool:
        return self.outcome in REACHED

    @property
    def birthday_today(self) -> bool:
        return self.birthday_in == 0

    def days_unreached(self, today: date) -> int | None:
        """Days since anyone last answered, when that is long enough to say (never reached: not said, since a
        register just imported would flag everyone)."""
        if self.reached or self.last_reached is None:
            return None
        days = (today - self.last_reached).days
        return days if days >= NOT_REACHED_FOR else None

    @property
    def priority_by_hand(self) -> bool:
        """一号专线 for a reason no other badge says (the office marked them): the only case where the badge tells
        the worker something, since living alone or walking badly already put everyone else on the line."""
        return self.priority and self.living != "alone" and self.mobility == "good"


def next_birthday(birth: date | None, today: date) -> tuple[int, int] | None:
    """(days until the next birthday, the age turned then), if within BIRTHDAY_AHEAD days. 29 February is kept on
    28 February in other years, as families do."""
    if birth is None:
        return None
    for year in (today.year, today.year + 1):
        try:
            day = birth.replace(year=year)
        except ValueError:
            day = date(year, 2, 28)
        if day >= today:
            days = (day - today).days
            return (days, year - birth.year) if days <= BIRTHDAY_AHEAD else None
    return None


def need_order(row: RoundRow, now: datetime) -> tuple:
    """The round's order (issue 16): who is still to reach first; among them, those due again after missed calls
    (most missed first), then living alone, the oldest (in bands of AGE_BAND years), who walks worst, whoever has gone
    longest without an answer; those called a moment ago wait below the ones not yet called."""
    due_later = row.retry_at is not None and row.retry_at > now
    return (
        row.reached,
        due_later,
        -row.misses,
        not row.priority,
        row.living != "alone",
        -((row.age or 0) // AGE_BAND),
        MOBILITY_NEED.get(row.mobility, 2),
        row.last_reached or date.min,
        row.door,
        row.name,
        str(row.resident_id),  # a total order: a page of the round never shares a person with the next (issue 18)
    )


def _on_round(query, scope: Scope):
    """The profiles on the daily round of the scope's grids, living at home: narrowed in SQL (the community, its
    grids, the status), never the community's whole round filtered here (issue 18: a grid worker's round read all)."""
    query = query.where(
        (ElderProfile.community == scope.community_id)
        & ElderProfile.in_round.eq(True)
        & (ElderProfile.resident.status == "living")
    )
    return scope.filter(query, ElderProfile.resident.household.building.grid)


def _round_query(scope: Scope, *columns):
    return _on_round(ElderProfile.select(*columns), scope)


@dataclass
class RoundSoFar:
    """Today's round counted for the home page (issue 18), without reading everyone on it: how many are on it (one
    COUNT), and the people called today, each with their calls' last outcome and whether one heard a need."""

    everyone: int
    called: list[dict]  # resident_id, name, door, outcome (the last, in the order made), needs_today

    @property
    def to_call(self) -> int:
        return self.everyone - sum(1 for person in self.called if person["outcome"] in REACHED)


async def round_so_far(scope: Scope, today: date) -> RoundSoFar:
    """What needs_now says of the round, the same counts as today_round's rows: the round counted in SQL, and only
    today's calls read (those of the scope's round), in the order made."""
    everyone = await _on_round(ElderProfile.count(), scope)
    calls = await CheckIn.select(
        CheckIn.resident,
        CheckIn.outcome,
        CheckIn.device_time,
        CheckIn.received_at,
        CheckIn.seq,
        CheckIn.resident.name.as_alias("name"),
        CheckIn.resident.household.door.as_alias("door"),
    ).where(
        (CheckIn.community == scope.community_id)
        & (CheckIn.day == today)
        & CheckIn.resident.is_in(_round_query(scope, ElderProfile.resident))
    )
    people: dict[uuid.UUID, list[dict]] = {}
    for call in calls:
        people.setdefault(call["resident"], []).append(call)
    called = []
    for resident_id, said in people.items():
        said = in_order_made(said)
        called.append(
            {
                "resident_id": resident_id,
                "name": said[-1]["name"],
                "door": said[-1]["door"],
                "outcome": said[-1]["outcome"],
                "needs_today": any(c["outcome"] == "needs" for c in said),
                "first": said[0]["seq"],
            }
        )
    called.sort(key=lambda person: person["first"])
    return RoundSoFar(everyone=everyone, called=called)


async def round_people(scope: Scope, only: set[uuid.UUID] | None = None) -> list[dict]:
    """The people in the daily round of the scope's grids: in the round, and living at home (`only`: just these of
    them). Whole phone numbers: callers mask them or audit them."""
    query = _round_query(
        scope,
        ElderProfile.resident,
        ElderProfile.priority,
        ElderProfile.living,
        ElderProfile.mobility,
        ElderProfile.interests,
        ElderProfile.best_time,
        ElderProfile.resident.name.as_alias("name"),
        ElderProfile.resident.birth_date.as_alias("birth_date"),
        ElderProfile.resident.phone.as_alias("phone"),
        ElderProfile.resident.household.door.as_alias("door"),
    )
    if only is not None:
        query = query.where(ElderProfile.resident.is_in(list(only) or [uuid.UUID(int=0)]))
    return await query


async def today_round(scope: Scope, today: date, now: datetime, only: set[uuid.UUID] | None = None) -> list[RoundRow]:
    """Everyone in the round of the scope's grids, in `need_order`: not yet reached first, reached today last.
    `only`: just these people of it (the rows a refresh of the page brings, `changed_since`)."""
    rows = await round_people(scope, only)
    ids = [r["resident"] for r in rows] or [uuid.UUID(int=0)]
    calls: dict[uuid.UUID, list[dict]] = {}
    for call in (
        await CheckIn.select(CheckIn.resident, CheckIn.outcome, CheckIn.received_at, CheckIn.device_time, CheckIn.seq)
        .where(CheckIn.resident.is_in(ids) & (CheckIn.day == today))
        .order_by(CheckIn.seq)
    ):
        calls.setdefault(call["resident"], []).append(call)
    last_reached = {
        row["resident"]: row["day"]
        for row in await CheckIn.select(CheckIn.resident, Max(CheckIn.day).as_alias("day"))
        .where(CheckIn.resident.is_in(ids) & (CheckIn.day < today) & CheckIn.outcome.is_in(list(REACHED)))
        .group_by(CheckIn.resident)
    }
    open_cards = {
        row["resident"]
        for row in await FollowUp.select(FollowUp.resident).where(
            FollowUp.resident.is_in(ids) & (FollowUp.day == today) & (FollowUp.status == "open")
        )
    }
    found = []
    apart = calls_apart()
    for r in rows:
        today_calls = in_order_made(calls.get(r["resident"], []))
        misses = misses_since_reached(today_calls)
        last = today_calls[-1] if today_calls else None
        birth = r["birth_date"]
        birthday = next_birthday(birth, today)
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
                birthday_in=birthday[0] if birthday else None,
                turns=birthday[1] if birthday else None,
                last_reached=as_date(last_reached.get(r["resident"])),
                outcome=last["outcome"] if last else None,
                misses=separate_misses([made_at(c) for c in misses], apart),
                retry_at=call_again_at(made_at(misses[-1]), r["best_time"]) if misses else None,
                follow_up=r["resident"] in open_cards,
                seq=max((c["seq"] for c in today_calls), default=0),
                made=made_at(last) if last else None,
                needs_today=any(c["outcome"] == "needs" for c in today_calls),
            )
        )
    found.sort(key=lambda row: need_order(row, now))
    return found


# The round's page, open on two phones (a worker and whoever covers her grid, or the admin), shows each the other's
# calls without a reload (issue 16): it asks every while for the people whose calls of today arrived since it last
# asked. A call is stored with the moment the server had it (received_at) a little before its transaction ends, and
# two transactions may end in either order: the page asks again from FRESH_OVERLAP before its last answer, so that
# a call committed late is not stepped over. A row sent twice is redrawn once (the page compares its last call).
FRESH_OVERLAP = timedelta(seconds=30)
MAX_ADDED = 50  # rows the page asks for at once, of the people added to its round (more: in turns)
PAGE_SIZE = 50  # rows a page of the round shows (issue 18: the admin's round of 800 people was 500 KB of HTML)


@dataclass(frozen=True)
class RoundPage:
    """One page of the round in need order: its rows, where they start, and how many there are in all."""

    rows: list[RoundRow]
    page: int
    total: int

    @property
    def start(self) -> int:
        return (self.page - 1) * PAGE_SIZE

    @property
    def end(self) -> int:
        return self.start + len(self.rows)

    @property
    def next(self) -> int | None:
        return self.page + 1 if self.end < self.total else None

    @property
    def next_count(self) -> int:
        return min(PAGE_SIZE, self.total - self.end)

    @property
    def paged(self) -> bool:
        return self.total > PAGE_SIZE


def page_of(rows: list[RoundRow], page: int) -> RoundPage:
    """Page `page` (from 1) of the whole round, already in need order: the counts at the top count everyone."""
    start = (page - 1) * PAGE_SIZE
    return RoundPage(rows=rows[start : start + PAGE_SIZE], page=page, total=len(rows))


async def changed_since(scope: Scope, today: date, since: datetime) -> set[uuid.UUID]:
    """The people (of the scope's community; the round keeps those of its grids) with a call of today that arrived
    after `since`: one small query, answered from the day's index, when nothing has changed."""
    rows = await CheckIn.select(CheckIn.resident).where(
        (CheckIn.community == scope.community_id) & (CheckIn.day == today) & (CheckIn.received_at > since)
    )
    return {row["resident"] for row in rows}


async def round_members(scope: Scope) -> list[uuid.UUID]:
    """Who is on the round of the scope's grids now (the same people as round_people), and nothing else of them: what
    the page's refresh compares, every 45 s, with the people it shows."""
    return [row["resident"] for row in await _round_query(scope, ElderProfile.resident)]


def members_key(resident_ids: list[uuid.UUID]) -> str:
    """Names the round's people as a set: the page says it with each refresh, and gets the list only when it changed
    (a person added by an import or a new profile, a building handed over to or from the grid)."""
    return hashlib.sha256(",".join(sorted(map(str, resident_ids))).encode()).hexdigest()[:16]


async def open_follow_ups(scope: Scope) -> list[dict]:
    rows = FollowUp.select(
        FollowUp.id,
        FollowUp.resident,
        FollowUp.day,
        FollowUp.reason,
        FollowUp.grid,
        FollowUp.resident.name.as_alias("name"),
        FollowUp.resident.household.door.as_alias("door"),
    ).where((FollowUp.community == scope.community_id) & (FollowUp.status == "open"))
    return await scope.filter(rows, FollowUp.grid)


class FollowUpProblem(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


VISIT_NAMESPACE = uuid.UUID("9b1f7a52-3c1e-5d0a-8f6e-2a7d4c9e0b13")


async def close_follow_up(
    scope: Scope, user: CurrentUser, card_id: uuid.UUID, found: str, text: str, today: date, now: datetime
) -> bool:
    """Close a go-and-look card with what was found. The finding is also the person's contact of the day (a check-in
    in the card's name): the round then reads them as reached and stops counting them as someone to call, where it
    went on saying 2次未接 after the card was closed (issue 16). One transaction: both or neither.

    False for a card out of scope; FollowUpProblem ("choose" / "need_not_described") for a closing that says too
    little, only once the card is known to be the person's to close."""
    card = await FollowUp.select(FollowUp.grid, FollowUp.resident, FollowUp.status).where(
        (FollowUp.id == card_id) & (FollowUp.community == scope.community_id)
    )
    if not card or not scope.allows_grid(card[0]["grid"]):
        return False
    text = text.strip()[:500]
    if found not in REACHED:
        raise FollowUpProblem("choose")
    if found == "needs" and not text:
        raise FollowUpProblem("need_not_described")
    async with write_transaction():
        closed = (
            await FollowUp.update(
                {FollowUp.status: "done", FollowUp.outcome: text, FollowUp.closed_at: now, FollowUp.closed_by: user.id}
            )
            .where((FollowUp.id == card_id) & (FollowUp.status == "open"))
            .returning(FollowUp.id)
        )
        if closed:  # closed twice (two workers, a double tap): one visit recorded
            visit = uuid.uuid5(VISIT_NAMESPACE, str(card_id))
            await CheckIn.insert(
                CheckIn(
                    id=visit,
                    content_hash=content_hash("followup.visit", f"{card_id}:{found}".encode()),
                    community=scope.community_id,
                    resident=card[0]["resident"],
                    day=today,
                    outcome=found,
                    need=text if found == "needs" else "",
                    note=text,
                    caller=user.id,
                    device_time=now,
                    received_at=now,
                )
            ).on_conflict(target=CheckIn.id, action="DO NOTHING")
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
    homes = {}  # the residents of the caller's community named by these calls, with their grid
    if scope is not None:
        for row in await Resident.select(
            Resident.id, Resident.household.building.grid.as_alias("grid"), Resident.community
        ).where(Resident.id.is_in(list({item.payload.resident_id for item in items}))):
            if row["community"] == scope.community_id:
                homes[row["id"]] = row
    # Grids the caller answered for until a hand-over: a call made while the grid was theirs, sent from a phone that
    # had no signal until after the hand-over, is theirs to record (docs/decisions/0034).
    before = {row["grid"] for row in homes.values() if not scope.allows_grid(row["grid"])} if scope else set()
    held = await held_before(user.id, list(before), now - CALL_DAY_TOLERANCE) if before else {}
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
        elif (refused := _not_theirs(scope, homes.get(payload.resident_id), held, item, now)) is not None:
            # Kept (sync_rejection), said in words on the phone, and shown to the admin and whoever answers for the
            # grid now (/refused).
            answers[item.id] = rejection(item.id, refused)
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
    await _escalate({(item.payload.resident_id, item.payload.day) for item in fresh}, homes, user, now)
    return answers


HANDED_OVER_GRACE = timedelta(hours=72)  # how long after a hand-over a call made before it is still taken


def _not_theirs(scope: Scope | None, home: dict | None, held: dict, item: Incoming, now: datetime) -> str | None:
    """Why this caller may not record a call to this resident, or None: the resident is in their scope, or the call
    was made while the grid was theirs and it was handed on at most HANDED_OVER_GRACE ago (a phone offline longer is
    rare; what it then sends is refused and seen, not taken on the phone's word about its own clock)."""
    if scope is None or home is None:
        return "not_allowed"
    if scope.allows_grid(home["grid"]):
        return None
    spans = held.get(home["grid"], [])
    made = min(item.device_time, now)
    if any(span.covers(made) and span.until >= now - HANDED_OVER_GRACE for span in spans):
        return None
    return "handed_over" if spans else "not_allowed"


async def _escalate(calls: set[tuple[uuid.UUID, date]], residents: dict, user: CurrentUser, now: datetime) -> None:
    """Two unanswered calls on one day since anyone last answered (in the order the calls were made): a task card to
    go and look."""
    made: dict[tuple[uuid.UUID, date], list[dict]] = {key: [] for key in calls}
    for row in await CheckIn.select(
        CheckIn.resident, CheckIn.day, CheckIn.outcome, CheckIn.device_time, CheckIn.received_at, CheckIn.seq
    ).where(
        CheckIn.resident.is_in(list({resident for resident, _ in calls}))
        & CheckIn.day.is_in(list({day for _, day in calls}))
    ):  # every call of these people on these days, in one query
        key = (row["resident"], as_date(row["day"]))
        if key in made:
            made[key].append(row)
    apart = calls_apart()
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
        for (resident_id, day), said in made.items()
        if separate_misses([made_at(c) for c in misses_since_reached(in_order_made(said))], apart) >= MISSES_TO_ESCALATE
    ]
    if cards:
        await FollowUp.insert(*cards).on_conflict(target=FollowUp.id, action="DO NOTHING")


CHECK_IN = Kind(name="checkin.outcome", payload_type=CheckInPayload, ingest=ingest_checkins, describe=describe_calls)
