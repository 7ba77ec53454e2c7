"""Errand cards: intake, the board, one card, and who may read what. Changes of a card arrive as sync writes
(server/errands/actions.py); this module reads and creates. No web framework here.

Who sees a card: an admin (the community), a grid worker (the grids they hold or cover), the volunteer or rider it
was handed to (the door, the drop point and the items; never a phone number or health notes), and the resident it
is for (their own requests)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from server.accounts.services import CurrentUser, Scope
from server.accounts.tables import GridCover, User
from server.db import write_transaction
from server.errands import rules
from server.errands.tables import Errand, ErrandEvent, ErrandItem, ErrandPhoto
from server.places.services import mask_phone
from server.places.tables import Household, Resident
from server.register.tables import CheckIn, ElderProfile
from server.sweeps.queries import mask_name
from server.sweeps.tables import SweepTick


class CardError(Exception):
    """What is wrong with an intake form, per field (codes the page shows in words)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True, slots=True)
class CardForm:
    id: uuid.UUID
    resident_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None  # a door from a sweep, where no one resident asked
    kind: str = "groceries"
    items: str = ""
    urgency: str = "today"
    payment: str = "advance"
    drop_point: str = "door"
    note: str = ""
    source: str = "call"
    source_key: str | None = None


def _as_datetime(value) -> datetime:
    # SQLite hands back text for a few aggregate reads; PostgreSQL a datetime.
    return datetime.fromisoformat(value) if isinstance(value, str) else value


async def _place_in_scope(scope: Scope, resident_id: uuid.UUID | None, household_id: uuid.UUID | None) -> dict | None:
    """The household (and resident) a card is for, if the scope may see them."""
    if resident_id is not None:
        row = await (
            Resident.select(
                Resident.id.as_alias("resident"),
                Resident.household.as_alias("household"),
                Resident.household.building.grid.as_alias("grid"),
            )
            .where((Resident.id == resident_id) & (Resident.community == scope.community_id))
            .first()
        )
    elif household_id is not None:
        row = await (
            Household.select(Household.id.as_alias("household"), Household.building.grid.as_alias("grid"))
            .where((Household.id == household_id) & (Household.community == scope.community_id))
            .first()
        )
        if row is not None:
            row["resident"] = None
    else:
        return None
    if row is None or not scope.allows_grid(row["grid"]):
        return None
    return row


async def chosen(scope: Scope, resident_id: uuid.UUID | None, household_id: uuid.UUID | None) -> dict | None:
    """Who a card being written is for, as the intake form shows them: name and door, inside the scope only."""
    place = await _place_in_scope(scope, resident_id, household_id)
    if place is None:
        return None
    door = await Household.select(Household.door).where(Household.id == place["household"]).first()
    name = None
    if place["resident"] is not None:
        name = (await Resident.select(Resident.name).where(Resident.id == place["resident"]).first())["name"]
    return {"resident_id": place["resident"], "household_id": place["household"], "name": name, "door": door["door"]}


async def carded(source_key: str) -> uuid.UUID | None:
    """The card already made for this need, if any."""
    row = await Errand.select(Errand.id).where(Errand.source_key == source_key).first() if source_key else None
    return row["id"] if row else None


async def recorded_need(scope: Scope, source_key: str) -> tuple[str, dict] | None:
    """What a sweep door or a check-in said was needed, with the household or resident it is for: the card made
    from it starts prefilled. Keys: "sweep:<sweep>:<household>", "checkin:<resident>:<day>"."""
    kind, _, rest = source_key.partition(":")
    first, _, second = rest.partition(":")
    try:
        if kind == "sweep":
            household = uuid.UUID(second)
            tick = await (
                SweepTick.select(SweepTick.help_needed)
                .where(
                    (SweepTick.sweep == uuid.UUID(first))
                    & (SweepTick.household == household)
                    & (SweepTick.outcome == "needs_help")
                )
                .order_by(SweepTick.seq, ascending=False)
                .first()
            )
            place = {"household_id": household}
            text = tick["help_needed"] if tick else None
        elif kind == "checkin":
            resident = uuid.UUID(first)
            call = await (
                CheckIn.select(CheckIn.need)
                .where(
                    (CheckIn.resident == resident)
                    & (CheckIn.day == date.fromisoformat(second))
                    & (CheckIn.outcome == "needs")
                )
                .order_by(CheckIn.seq, ascending=False)
                .first()
            )
            place = {"resident_id": resident}
            text = call["need"] if call else None
        else:
            return None
    except ValueError:
        return None
    if text is None or await _place_in_scope(scope, place.get("resident_id"), place.get("household_id")) is None:
        return None
    return text, place


def validate(form: CardForm) -> tuple[dict[str, str], list[str]]:
    """Field errors and the item lines. Shopping needs a list; a visit or a repair needs at least a word of what."""
    errors: dict[str, str] = {}
    for name, allowed in (
        ("kind", rules.KINDS),
        ("urgency", rules.URGENCIES),
        ("payment", rules.PAYMENTS),
        ("drop_point", rules.DROP_POINTS),
    ):
        if getattr(form, name) not in allowed:
            errors[name] = "choose"
    items = rules.split_items(form.items)
    if len(items) > rules.MAX_ITEMS:
        errors["items"] = "too_many_items"
    elif (
        not items
        and form.source != "self"
        and (form.kind in ("groceries", "medicine", "other") or not form.note.strip())
    ):
        # An elderly person who taps 买菜 and writes nothing still asked for something: the card says to call back.
        errors["items"] = "no_items"
    if len(form.note) > 500:
        errors["note"] = "too_long"
    if form.resident_id is None and form.household_id is None:
        errors["resident"] = "no_resident"
    return errors, items


async def create_card(
    scope: Scope, user: CurrentUser, form: CardForm, now: datetime, times: rules.DueTimes
) -> uuid.UUID:
    """Make the card whole (with its items and its first event) or nothing. Sent twice, it is made once; a need
    already carded (the same source_key) gives the card made before."""
    errors, items = validate(form)
    place = await _place_in_scope(scope, form.resident_id, form.household_id) if not errors else None
    if not errors and place is None:
        errors["resident"] = "not_in_scope"
    if errors:
        raise CardError(errors)
    if form.source_key:
        earlier = await Errand.select(Errand.id).where(Errand.source_key == form.source_key).first()
        if earlier is not None:
            return earlier["id"]
    async with write_transaction():
        inserted = (
            await Errand.insert(
                Errand(
                    id=form.id,
                    community=scope.community_id,
                    grid=place["grid"],
                    household=place["household"],
                    resident=place["resident"],
                    kind=form.kind,
                    urgency=form.urgency,
                    payment=form.payment,
                    drop_point=form.drop_point,
                    note=form.note.strip(),
                    source=form.source,
                    source_key=form.source_key,
                    state="new",
                    created_by=user.id,
                    created_at=now,
                    due_at=rules.due_at(form.kind, form.urgency, now, times),
                    updated_at=now,
                )
            )
            .on_conflict(action="DO NOTHING")
            .returning(Errand.id)
        )
        if not inserted:
            if await Errand.exists().where(Errand.id == form.id):
                return form.id  # the same form again (a double tap, a resend): the card exists
            # A colleague carded the same recorded need a moment ago: theirs is the card.
            return await carded(form.source_key or "") or form.id
        if items:
            await ErrandItem.insert(
                *[ErrandItem(id=uuid.uuid4(), errand=form.id, position=n, text=text) for n, text in enumerate(items)]
            )
        await ErrandEvent.insert(
            ErrandEvent(
                id=uuid.uuid4(),
                content_hash="",
                errand=form.id,
                action="created",
                to_state="new",
                detail=form.source,
                by=user.id,
                device_time=now,
                received_at=now,
            )
        )
    return form.id


async def create_own_request(
    user: CurrentUser, card_id: uuid.UUID, kind: str, text: str, now: datetime, times: rules.DueTimes
) -> uuid.UUID:
    """A resident asks from their big-button page: a card for their own door, new, for their grid worker to take."""
    assert user.role == "resident" and user.resident_id is not None
    scope = Scope(community_id=user.community_id, grid_ids=None)
    shopping = kind in ("groceries", "medicine", "other")
    form = CardForm(
        id=card_id,
        resident_id=user.resident_id,
        kind=kind,
        items=text if shopping else "",
        note="" if shopping else text,
        source="self",
    )
    return await create_card(scope, user, form, now, times)


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


_CARD_COLUMNS = (
    Errand.id,
    Errand.kind,
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


def is_worker(user: CurrentUser) -> bool:
    return user.role in ("admin", "grid_worker")


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
        late=rules.is_late(row["state"], _as_datetime(row["due_at"]), now),
        door=row["door"],
        name=name if is_worker(user) or user.resident_id == row["resident"] else (mask_name(name) or ""),
        items=[item["text"] for item in items],
        drop_point=row["drop_point"],
        assignee_id=row["assignee"],
        assignee=row["assignee_name"],
        deliverer_id=row["deliverer"],
        deliverer=row["deliverer_name"],
        created_at=_as_datetime(row["created_at"]),
        due_at=_as_datetime(row["due_at"]),
        version=row["version"],
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
    worker = is_worker(user)
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
                min(_as_datetime(e["device_time"]), _as_datetime(e["received_at"])),
            )
            for e in events
        ]
        if close
        else [],
        photos=[p for p in photos if close or p["role"] == "delivery"],
        delivered_at=_as_datetime(row["delivered_at"]) if row["delivered_at"] else None,
        called_at=_as_datetime(row["called_at"]) if row["called_at"] else None,
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


# Photos -------------------------------------------------------------------------------------------------------------


async def may_add_photo(user: CurrentUser, card_id: uuid.UUID, role: str) -> bool:
    """Workers of the card add delivery and receipt photos; the rider only one of the delivery; none on a
    cancelled card. Checked before the upload is even decoded."""
    card = await Errand.select(Errand.deliverer, Errand.state).where((Errand.id == card_id) & visible_to(user)).first()
    if card is None or card["state"] == "cancelled":
        return False
    if is_worker(user):
        return role in ("delivery", "receipt")
    return card["deliverer"] == user.id and role == "delivery"


async def add_photo(
    user: CurrentUser, card_id: uuid.UUID, role: str, picture: tuple[bytes, int, int], now: datetime
) -> bool:
    """Keep a photo (already checked and re-encoded); False if it is not the user's to add."""
    if not await may_add_photo(user, card_id, role):
        return False
    data, width, height = picture
    async with write_transaction():
        photo_id = uuid.uuid4()
        await ErrandPhoto.insert(
            ErrandPhoto(
                id=photo_id, errand=card_id, role=role, data=data, width=width, height=height, by=user.id, at=now
            )
        )
        await ErrandEvent.insert(
            ErrandEvent(
                id=photo_id,
                content_hash="",
                errand=card_id,
                action="photo",
                detail=role,
                by=user.id,
                device_time=now,
                received_at=now,
            )
        )
        await Errand.update({Errand.version: Errand.version + 1, Errand.updated_at: now}).where(Errand.id == card_id)
    return True


async def photo_bytes(user: CurrentUser, photo_id: uuid.UUID) -> bytes | None:
    """A photo for those who may see its card; a rider sees only delivery photos (a receipt shows what was bought
    for whom and what it cost)."""
    row = (
        await ErrandPhoto.select(ErrandPhoto.data, ErrandPhoto.errand, ErrandPhoto.role)
        .where(ErrandPhoto.id == photo_id)
        .first()
    )
    if row is None:
        return None
    card = await Errand.select(Errand.resident).where((Errand.id == row["errand"]) & visible_to(user)).first()
    if card is None:
        return None
    if not (is_worker(user) or card["resident"] == user.resident_id or row["role"] == "delivery"):
        return None
    return bytes(row["data"])


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
        at = _as_datetime(row["money_at"]) if row["money_at"] else None
        if at is not None and at >= day_start:
            summary.advanced_today += row["advanced_cents"]
        if not row["reimbursed"]:
            summary.owed += row["advanced_cents"]
        if (at is not None and at >= day_start) or not row["reimbursed"]:
            summary.cards.append(row)
    return summary
