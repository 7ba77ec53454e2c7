"""Intake: a call, a WeChat message, a resident's own tap, or a need recorded at a sweep door or in the round
becomes a card, whole (with its items and its first event) or not at all. No web framework here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from server.access.scope import CurrentUser, Scope
from server.db import write_transaction
from server.errands import rules
from server.errands.tables import Errand, ErrandEvent, ErrandItem
from server.places.tables import Household, Resident
from server.register.tables import CheckIn
from server.sweeps.rules import MEMORY_DECODER
from server.sweeps.services import door_state_id, fold_door_states
from server.sweeps.tables import DoorState


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


async def carded(scope: Scope, source_key: str) -> uuid.UUID | None:
    """The card already made for this need, if any and if the scope sees it: to a worker of another grid (or
    community) a need already carded is as if nothing were there, so that no card id is given away."""
    if not source_key:
        return None
    row = (
        await Errand.select(Errand.id, Errand.grid)
        .where((Errand.source_key == source_key) & (Errand.community == scope.community_id))
        .first()
    )
    return row["id"] if row and scope.allows_grid(row["grid"]) else None


async def recorded_need(scope: Scope, source_key: str) -> tuple[str, dict] | None:
    """What a sweep door or a check-in said was needed, with the household or resident it is for: the card made
    from it starts prefilled. Keys: "sweep:<sweep>:<household>", "checkin:<resident>:<day>"."""
    kind, _, rest = source_key.partition(":")
    first, _, second = rest.partition(":")
    try:
        if kind == "sweep":
            sweep, place = uuid.UUID(first), {"household_id": uuid.UUID(second)}
        elif kind == "checkin":
            day, place = date.fromisoformat(second), {"resident_id": uuid.UUID(first)}
        else:
            return None
    except ValueError:
        return None
    # Before anything is read (or a sweep folded): a need outside the worker's scope sets nothing in motion.
    if await _place_in_scope(scope, place.get("resident_id"), place.get("household_id")) is None:
        return None
    if kind == "sweep":
        await fold_door_states(sweep)  # the door's latest ticks may not be folded in yet
        state = (
            await DoorState.select(DoorState.memory)
            .where(DoorState.id == door_state_id(sweep, place["household_id"]))
            .first()
        )
        memory = MEMORY_DECODER.decode(state["memory"]) if state and state["memory"] else None
        text = memory.help if memory and memory.help else None
    else:
        call = await (
            CheckIn.select(CheckIn.need)
            .where((CheckIn.resident == place["resident_id"]) & (CheckIn.day == day) & (CheckIn.outcome == "needs"))
            .order_by(CheckIn.seq, ascending=False)
            .first()
        )
        text = call["need"] if call else None
    return None if text is None else (text, place)


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
            return await carded(scope, form.source_key or "") or form.id
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


async def _same_request(card_id: uuid.UUID, resident: uuid.UUID, kind: str, text: str, shopping: bool) -> bool:
    """Whether the card of this id, if any, is this resident's request of this kind and these words (a double tap, a
    resend); True when there is no such card yet."""
    card = await Errand.select(Errand.resident, Errand.kind, Errand.note).where(Errand.id == card_id).first()
    if card is None:
        return True
    if card["resident"] != resident or card["kind"] != kind:
        return False
    if not shopping:
        return card["note"] == text.strip()
    items = await ErrandItem.select(ErrandItem.text).where(ErrandItem.errand == card_id).order_by(ErrandItem.position)
    return [row["text"] for row in items] == rules.split_items(text)


async def create_own_request(
    user: CurrentUser, card_id: uuid.UUID, kind: str, text: str, now: datetime, times: rules.DueTimes
) -> uuid.UUID:
    """A resident asks from their big-button page: a card for their own door, new, for their grid worker to take."""
    assert user.role == "resident" and user.resident_id is not None
    scope = Scope(community_id=user.community_id, grid_ids=None)
    shopping = kind in ("groceries", "medicine", "other")
    if not await _same_request(card_id, user.resident_id, kind, text, shopping):
        # The id was drawn for another request: the phone's kept copy of /ask (sw.js, when the network stalls)
        # carries the id of one made from it before, and this one was taken for that one sent again and lost (a
        # stranger's walk of issue 16). An id of its own, the same for the same words sent again.
        card_id = uuid.uuid5(card_id, f"{kind}\n{text}")
    form = CardForm(
        id=card_id,
        resident_id=user.resident_id,
        kind=kind,
        items=text if shopping else "",
        note="" if shopping else text,
        source="self",
    )
    return await create_card(scope, user, form, now, times)
