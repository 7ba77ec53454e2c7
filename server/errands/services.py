"""Reading errand cards: the board, one card, the money of the day, and who may read what. Cards are made in
intake.py and changed by sync writes (actions.py). No web framework here.

Who sees a card: an admin (the community), a grid worker (the grids they hold or cover), the volunteer or rider it
was handed to (the door, the drop point and the items; never a phone number, the note or health notes), and the
resident it is for (their own requests)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from server.access.masks import mask_name, mask_phone
from server.access.scope import CurrentUser
from server.accounts.tables import GridCover, User
from server.db import as_datetime
from server.errands import rules
from server.errands.tables import Errand, ErrandEvent, ErrandItem, ErrandPhoto
from server.register.tables import ElderProfile

# Reading: the board and one card ----------------------------------------------------------------------------------


@dataclass(slots=True)
class CardRow:
    id: uuid.UUID
    kind: str
    state: str
    urgency: str
    priority: bool
    pinned: bool
    late: bool
    door: str
    name: str  # whole for workers; masked (张**) for a deliverer
    items: list[str]
    drop_point: str
    assignee_id: uuid.UUID | None
    assignee: str | None
    deliverer_id: uuid.UUID | None
    deliverer: str | None
    created_at: datetime
    due_at: datetime
    version: int
    # What a resident wrote asking for a repair or a visit (no items): only on his own cards, for his list of
    # requests (a stranger's walk of issue 16: 修水龙头 read only 🔧 维修).
    own_note: str = ""


_CARD_COLUMNS = (
    Errand.id,
    Errand.kind,
    Errand.note,
    Errand.state,
    Errand.urgency,
    Errand.drop_point,
    Errand.resident,
    Errand.household,
    Errand.grid,
    Errand.household.door.as_alias("door"),
    Errand.resident.name.as_alias("name"),
    Errand.resident.phone.as_alias("phone"),
    Errand.assignee,
    Errand.assignee.name.as_alias("assignee_name"),
    Errand.assignee.phone.as_alias("assignee_phone"),
    Errand.deliverer,
    Errand.deliverer.name.as_alias("deliverer_name"),
    Errand.created_at,
    Errand.due_at,
    Errand.version,
)


def visible_to(user: CurrentUser):
    """The where-clause of the cards this user may read at all."""
    in_community = Errand.community == user.community_id
    if user.role == "admin":
        return in_community
    if user.role == "grid_worker":
        return in_community & Errand.grid.is_in(list(user.grid_ids) or [uuid.UUID(int=0)])
    if user.role == "resident" and user.resident_id is not None:
        return in_community & (Errand.resident == user.resident_id)
    # Volunteers and riders: what was handed to them, while it is on its way.
    return in_community & (Errand.deliverer == user.id) & Errand.state.not_in(list(rules.FINISHED))


async def holds(user: CurrentUser, card: dict) -> bool:
    """Whether the user holds this card: they took it, or it came to them with its grid. A worker who is off sick
    has their grid handed to a colleague (GridCover): the cards they had taken go on with whoever has the grid now."""
    if card["assignee"] == user.id:
        return True
    if card["assignee"] is None or user.role != "grid_worker":
        return False
    taker = await User.select(User.role).where(User.id == card["assignee"]).first()
    if taker is None or taker["role"] != "grid_worker":
        return False  # an admin who took a card keeps it
    cover = await GridCover.select(GridCover.user).where(GridCover.grid == card["grid"]).first()
    if cover is not None:
        holder = cover["user"]
    else:
        owner = await User.select(User.id).where(User.grid == card["grid"]).first()
        holder = owner["id"] if owner else None
    return holder == user.id and holder != card["assignee"]


async def _pinned_by_priority(rows: list[dict]) -> set:
    """The cards whose resident is on the priority line; for a household's card (from a sweep door), any resident
    of the household on it."""
    residents = {row["resident"] for row in rows if row["resident"] is not None}
    households = {row["household"] for row in rows if row["resident"] is None}
    if not residents and not households:
        return set()
    on_line = await ElderProfile.select(ElderProfile.id, ElderProfile.resident.household.as_alias("household")).where(
        ElderProfile.priority.eq(True)
        & (
            ElderProfile.id.is_in(list(residents) or [uuid.UUID(int=0)])
            | ElderProfile.resident.household.is_in(list(households) or [uuid.UUID(int=0)])
        )
    )
    people = {row["id"] for row in on_line}
    homes = {row["household"] for row in on_line}
    return {
        row["id"]
        for row in rows
        if (row["resident"] in people) or (row["resident"] is None and row["household"] in homes)
    }


async def _items_of(card_ids: list) -> dict[uuid.UUID, list[dict]]:
    found: dict[uuid.UUID, list[dict]] = {card_id: [] for card_id in card_ids}
    if card_ids:
        for row in await ErrandItem.select().where(ErrandItem.errand.is_in(card_ids)).order_by(ErrandItem.position):
            found[row["errand"]].append(row)
    return found


def _row(user: CurrentUser, row: dict, items: list[dict], priority: bool, now: datetime) -> CardRow:
    name = row["name"] or ""
    return CardRow(
        id=row["id"],
        kind=row["kind"],
        state=row["state"],
        urgency=row["urgency"],
        priority=priority,
        pinned=rules.pinned(row["kind"], row["urgency"], priority),
        late=rules.is_late(row["state"], as_datetime(row["due_at"]), now),
        door=row["door"],
        name=name if user.can_read_register or user.resident_id == row["resident"] else (mask_name(name) or ""),
        items=[item["text"] for item in items],
        drop_point=row["drop_point"],
        assignee_id=row["assignee"],
        assignee=row["assignee_name"],
        deliverer_id=row["deliverer"],
        deliverer=row["deliverer_name"],
        created_at=as_datetime(row["created_at"]),
        due_at=as_datetime(row["due_at"]),
        version=row["version"],
        own_note=row["note"] if user.resident_id is not None and user.resident_id == row["resident"] else "",
    )


VIEWS = ("grid", "mine", "unassigned")


@dataclass(slots=True)
class Board:
    cards: list[CardRow]
    counts: dict[str, int] = field(default_factory=dict)  # open cards per view
    finished_today: int = 0


async def board(user: CurrentUser, view: str, now: datetime, day_start: datetime) -> Board:
    """The open cards this user may see, pinned first, then by urgency, then by waiting time."""
    rows = await Errand.select(*_CARD_COLUMNS).where(visible_to(user) & Errand.state.not_in(list(rules.FINISHED)))
    priorities = await _pinned_by_priority(rows)
    items = await _items_of([row["id"] for row in rows])
    cards = [_row(user, row, items[row["id"]], row["id"] in priorities, now) for row in rows]
    cards.sort(key=lambda c: rules.board_order(c.kind, c.urgency, c.priority, c.created_at, c.state))

    def mine(card: CardRow) -> bool:
        return card.assignee_id == user.id or card.deliverer is not None and user.role == "volunteer"

    counts = {
        "grid": len(cards),
        "mine": sum(1 for c in cards if mine(c)),
        "unassigned": sum(1 for c in cards if c.state == "new"),
    }
    if view == "mine":
        cards = [c for c in cards if mine(c)]
    elif view == "unassigned":
        cards = [c for c in cards if c.state == "new"]
    finished = await Errand.count().where(
        visible_to(user) & Errand.state.is_in(list(rules.FINISHED)) & (Errand.updated_at >= day_start)
    )
    return Board(cards=cards, counts=counts, finished_today=finished)


@dataclass(slots=True)
class HistoryLine:
    action: str
    from_state: str
    to_state: str
    detail: str
    by: str
    at: datetime


@dataclass(slots=True)
class CardView:
    row: CardRow
    resident_id: uuid.UUID | None
    phone_masked: str | None  # workers only; the whole number is a logged tap away
    assignee_phone: str | None  # for the volunteer delivering: they call the worker, never the resident
    payment: str
    note: str
    source: str
    items: list[dict]
    history: list[HistoryLine]
    photos: list[dict]
    delivered_at: datetime | None
    called_at: datetime | None
    cancel_reason: str
    advanced_cents: int
    reimbursed: bool
    may_work: bool  # a worker of this card's grid: the list, the money, taking or cancelling it
    is_holder: bool  # took it (or inherited it with the grid): buys, carries, gives it back
    is_deliverer: bool
    is_requester: bool


async def get_card(user: CurrentUser, card_id: uuid.UUID, now: datetime) -> CardView | None:
    """One card as this user may see it; None if they may not (not admitted to exist)."""
    row = (
        await Errand.select(
            *_CARD_COLUMNS,
            Errand.payment,
            Errand.note,
            Errand.source,
            Errand.delivered_at,
            Errand.called_at,
            Errand.cancel_reason,
            Errand.advanced_cents,
            Errand.reimbursed,
        )
        .where((Errand.id == card_id) & visible_to(user))
        .first()
    )
    if row is None:
        return None
    worker = user.can_read_register
    items = (await _items_of([card_id]))[card_id]
    priority = bool(await _pinned_by_priority([row]))
    events = (
        await ErrandEvent.select(
            ErrandEvent.action,
            ErrandEvent.from_state,
            ErrandEvent.to_state,
            ErrandEvent.detail,
            ErrandEvent.by.name.as_alias("by_name"),
            ErrandEvent.device_time,
            ErrandEvent.received_at,
        )
        .where(ErrandEvent.errand == card_id)
        .order_by(ErrandEvent.seq)
    )
    photos = (
        await ErrandPhoto.select(ErrandPhoto.id, ErrandPhoto.role, ErrandPhoto.at)
        .where(ErrandPhoto.errand == card_id)
        .order_by(ErrandPhoto.at)
    )
    # Only the workers and the resident themself read what was written about the person (the note may hold a
    # relative's number or an illness) and every photo; a rider reads the door, the drop point and the list.
    close = worker or user.resident_id == row["resident"]
    return CardView(
        row=_row(user, row, items, priority, now),
        resident_id=row["resident"],
        phone_masked=mask_phone(row["phone"]) if worker else None,
        assignee_phone=row["assignee_phone"] if row["deliverer"] == user.id else None,
        payment=row["payment"],
        note=row["note"] if close else "",
        source=row["source"],
        items=items,
        history=[
            HistoryLine(
                e["action"],
                e["from_state"],
                e["to_state"],
                e["detail"],
                e["by_name"],
                # when it was done on the phone (offline work syncs later), never later than its arrival
                min(as_datetime(e["device_time"]), as_datetime(e["received_at"])),
            )
            for e in events
        ]
        if close
        else [],
        photos=[p for p in photos if close or p["role"] == "delivery"],
        delivered_at=as_datetime(row["delivered_at"]) if row["delivered_at"] else None,
        called_at=as_datetime(row["called_at"]) if row["called_at"] else None,
        cancel_reason=row["cancel_reason"] if close else "",
        advanced_cents=row["advanced_cents"] if worker else 0,
        reimbursed=row["reimbursed"],
        may_work=worker,
        is_holder=await holds(user, row),
        is_deliverer=row["deliverer"] == user.id,
        is_requester=user.resident_id is not None and user.resident_id == row["resident"],
    )


async def deliverers(user: CurrentUser) -> list[dict]:
    """Volunteers and riders of the community a card can be handed to (accounts, not one-morning sweep guests)."""
    return (
        await User.select(User.id, User.name)
        .where(
            (User.community == user.community_id)
            & (User.role == "volunteer")
            & User.is_active.eq(True)
            & User.is_guest.eq(False)
        )
        .order_by(User.name)
    )


# Money: what each worker advanced today, and what is still owed to them ------------------------------------------


@dataclass(slots=True)
class MoneyDay:
    advanced_today: int = 0  # fen
    owed: int = 0  # fen, over all days: advanced and not yet reimbursed
    cards: list[dict] = field(default_factory=list)


async def money_of(user: CurrentUser, day_start: datetime) -> MoneyDay:
    rows = (
        await Errand.select(
            Errand.id,
            Errand.kind,
            Errand.household.door.as_alias("door"),
            Errand.advanced_cents,
            Errand.reimbursed,
            Errand.money_at,
        )
        .where((Errand.money_by == user.id) & (Errand.advanced_cents > 0))
        .order_by(Errand.money_at, ascending=False)
    )
    summary = MoneyDay()
    for row in rows:
        at = as_datetime(row["money_at"]) if row["money_at"] else None
        if at is not None and at >= day_start:
            summary.advanced_today += row["advanced_cents"]
        if not row["reimbursed"]:
            summary.owed += row["advanced_cents"]
        if (at is not None and at >= day_start) or not row["reimbursed"]:
            summary.cards.append(row)
    return summary
