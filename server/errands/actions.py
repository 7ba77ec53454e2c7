"""Changes of an errand card arrive as sync writes of kind "errand.action", from the phone's outbox (offline too)
or from a page's plain form (server.sync.forms): one path, so a change is checked and recorded the same way.

Each write is checked against the card as it is when the write arrives, in arrival order. A move is a conditional
update (`WHERE state = <the state it was checked against>`): of two workers tapping 接单 at once, one changes the
row and the other is answered "taken", on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from server.access.scope import CurrentUser
from server.accounts.tables import User
from server.errands import rules
from server.errands.services import holds, visible_to
from server.errands.tables import Errand, ErrandEvent, ErrandItem
from server.sync.services import CLOCK_TOLERANCE, Answer, Incoming, Kind, rejection

Text500 = Annotated[str, msgspec.Meta(max_length=500)]


class Move(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag="move", tag_field="action"):
    card_id: uuid.UUID
    to: Literal["new", "accepted", "buying", "delivering", "delivered", "confirmed", "cancelled"]
    reason: Text500 = ""


class ItemCheck(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag="item", tag_field="action"):
    card_id: uuid.UUID
    item_id: uuid.UUID
    done: Literal["1", "0"] = "1"  # form fields are text
    substitute: Annotated[str, msgspec.Meta(max_length=100)] = ""


class Money(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag="money", tag_field="action"):
    card_id: uuid.UUID
    amount: Annotated[str, msgspec.Meta(max_length=16)]  # yuan as typed: "12.5"
    reimbursed: Literal["1", "0"] = "0"


class Called(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag="called", tag_field="action"):
    """After a contactless drop: the resident was called to open the door."""

    card_id: uuid.UUID


class Handoff(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag="handoff", tag_field="action"):
    card_id: uuid.UUID
    deliverer_id: Annotated[str, msgspec.Meta(max_length=36)] = ""  # a volunteer's id; "" takes the card back


Action = Move | ItemCheck | Money | Called | Handoff


async def _actor(user: CurrentUser, card: dict) -> rules.Actor:
    return rules.Actor(
        role=user.role,
        in_scope=user.can_read_register,  # the card was read through visible_to: a worker who reads it is in scope
        is_assignee=await holds(user, card),
        is_deliverer=card["deliverer"] == user.id,
        is_requester=user.resident_id is not None and card["resident"] == user.resident_id,
    )


Outcome = tuple[str | None, dict, str]  # a refusal, or the card's changed columns and the history line's detail


async def _apply(user: CurrentUser, action: Action, card: dict, when: datetime) -> Outcome:
    """Check one action against the card as read; changes nothing itself. `when` is when it was done on the phone
    (its device time, kept within the clock tolerance): a drop made offline at 10:00 is recorded at 10:00."""
    actor = await _actor(user, card)
    state = card["state"]
    if isinstance(action, Move):
        refused = rules.refuse_move(actor, state, action.to, action.reason)
        if refused:
            return refused, {}, ""
        changes: dict = {"state": action.to}
        if action.to == "accepted":
            changes["assignee"] = user.id
        elif action.to == "new":
            changes["assignee"] = None
        elif action.to == "delivered":
            changes["delivered_at"] = when
        elif action.to == "confirmed":
            changes["confirmed_how"] = "resident" if actor.is_requester else "phone"
        elif action.to == "cancelled":
            changes["cancel_reason"] = action.reason.strip()
        return None, changes, action.reason.strip()
    if not actor.in_scope:
        return "not_yours", {}, ""  # the call, the list, the money and the hand-off are the workers' own
    if isinstance(action, Money):
        # Also on a closed card: a reimbursement often comes days after the delivery.
        fen = rules.parse_amount(action.amount)
        if fen is None:
            return "bad_amount", {}, ""
        changes = {"reimbursed": action.reimbursed == "1"}
        if fen != card["advanced_cents"]:
            # Who advanced the money and when: only the amount says so, not a later tick of "reimbursed".
            changes |= {"advanced_cents": fen, "money_by": user.id, "money_at": when}
        return None, changes, f"¥{fen / 100:.2f}" + (" ✓" if action.reimbursed == "1" else "")
    if state in rules.FINISHED:
        return "finished", {}, ""
    if isinstance(action, Called):
        if state not in ("delivering", "delivered"):
            return "not_allowed_now", {}, ""
        return None, {"called_at": when}, ""
    if isinstance(action, ItemCheck):
        item = (
            await ErrandItem.select(ErrandItem.text)
            .where((ErrandItem.id == action.item_id) & (ErrandItem.errand == action.card_id))
            .first()
        )
        if item is None:
            return "no_such_item", {}, ""
        mark = "✓" if action.done == "1" else "✗"
        swap = f" → {action.substitute.strip()}" if action.substitute.strip() else ""
        return None, {}, f"{mark} {item['text']}{swap}"
    assert isinstance(action, Handoff)
    if action.deliverer_id == "":
        return None, {"deliverer": None}, ""
    if state == "new":
        return "take_first", {}, ""  # the rider calls the worker who holds the card: someone must hold it
    try:
        deliverer = uuid.UUID(action.deliverer_id)
    except ValueError:
        return "no_such_volunteer", {}, ""
    volunteer = (
        await User.select(User.name)
        .where(
            (User.id == deliverer)
            & (User.community == user.community_id)
            & (User.role == "volunteer")
            & User.is_active.eq(True)
            & User.is_guest.eq(False)  # a one-morning sweep guest is no rider
        )
        .first()
    )
    if volunteer is None:
        return "no_such_volunteer", {}, ""
    return None, {"deliverer": deliverer}, volunteer["name"]


async def _apply_once(user: CurrentUser, action: Action, now: datetime, when: datetime) -> str | tuple[dict, dict, str]:
    """Check and change the card; a refusal code, or (the card as it was, its changes, the detail).

    The row changes only if nobody changed it since it was read (its version). On PostgreSQL another transaction
    may commit in between: the action is checked again against the new card, so a second 接单 is answered "taken"
    while a tick on the list simply lands after the other change."""
    for _ in range(3):
        card = (
            await Errand.select(
                Errand.state,
                Errand.assignee,
                Errand.deliverer,
                Errand.resident,
                Errand.grid,
                Errand.advanced_cents,
                Errand.version,
            )
            .where((Errand.id == action.card_id) & visible_to(user))
            .first()
        )
        if card is None:
            return "not_found"
        refused, changes, detail = await _apply(user, action, card, when)
        if refused:
            return refused
        changes |= {"version": card["version"] + 1, "updated_at": now}
        changed = (
            await Errand.update(changes)
            .where((Errand.id == action.card_id) & (Errand.version == card["version"]))
            .returning(Errand.id)
        )
        if changed:
            return card, changes, detail
    return "changed"


async def ingest_actions(user: CurrentUser, items: list[Incoming], now: datetime) -> dict[uuid.UUID, Answer]:
    """Apply card changes one by one, in the order they came; each is answered, refused ones with a reason."""
    answers: dict[uuid.UUID, Answer] = {}
    earlier = {
        row["id"]: row
        for row in await ErrandEvent.select(ErrandEvent.id, ErrandEvent.content_hash, ErrandEvent.seq).where(
            ErrandEvent.id.is_in([item.id for item in items])
        )
    }
    for item in items:
        if item.id in earlier:
            same = earlier[item.id]["content_hash"] == item.content_hash
            answers[item.id] = (
                Answer(id=item.id, status="duplicate", seq=earlier[item.id]["seq"])
                if same
                else rejection(item.id, "id_reused")
            )
            continue
        action: Action = item.payload
        when = min(now, max(item.device_time, now - CLOCK_TOLERANCE))  # phone clocks are trusted only so far
        applied = await _apply_once(user, action, now, when)
        if isinstance(applied, str):
            answers[item.id] = rejection(item.id, applied)
            continue
        card, changes, detail = applied
        if isinstance(action, ItemCheck):
            await ErrandItem.update({"done": action.done == "1", "substitute": action.substitute.strip()}).where(
                ErrandItem.id == action.item_id
            )
        stored = await ErrandEvent.insert(
            ErrandEvent(
                id=item.id,
                content_hash=item.content_hash,
                errand=action.card_id,
                action=type(action).__struct_config__.tag,
                from_state=card["state"],
                to_state=changes.get("state", card["state"]),
                detail=detail,
                by=user.id,
                device_time=item.device_time,
                received_at=now,
            )
        ).returning(ErrandEvent.seq)
        answers[item.id] = Answer(id=item.id, status="accepted", seq=stored[0]["seq"])
    return answers


ACTION = Kind(name="errand.action", payload_type=Action, ingest=ingest_actions)
