"""What an errand card shows, decided here rather than in its template (issue 17: errands/_card.html held ~45 if/elif):
the words for its states, which move buttons it draws and from which states each follows, which of its sections
it has, and its history in words. Framework-free: `say` translates a message into the person's language and fills
in its %(name)s parameters (the route gives `server.i18n.translate` bound to the request).

The page draws a move's button for every state it follows from, hidden where the card is not: a move queued
offline (接单 without signal) shows the next steps from the state it puts the card in (marks.js, issue 16).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from server.errands import rules
from server.errands.services import CardView

Say = Callable[..., str]


def _(message: str) -> str:
    """Marks a message for the catalogs; it is said later, in the person's language."""
    return message


STATES = {
    "new": _("New"),
    "accepted": _("Accepted"),
    "buying": _("Buying"),
    "delivering": _("Delivering"),
    "delivered": _("Delivered at the door"),
    "confirmed": _("Confirmed"),
    "cancelled": _("Cancelled"),
}
# A move's button: what the person does, not the state it leads to.
MOVE_LABELS = {
    "accepted": _("Take this card"),
    "buying": _("Start buying"),
    "delivering": _("On the way"),
    "delivered": _("Left at the door"),
    "confirmed": _("Resident confirmed (by phone)"),
    "new": _("Give the card back"),
    "cancelled": _("Cancel the card"),
}
HISTORY = {
    "created": _("made the card"),
    "called": _("called the resident"),
    "photo": _("added a photo"),
}
FINISHED = rules.FINISHED
# Forward moves, in the order of their buttons; "new" (giving the card back) and "cancelled" have their own places.
FORWARD = ("accepted", "buying", "delivering", "delivered", "confirmed")
# For each state, the states a card may reach it from.
SOURCES = {to: [state for state, targets in rules.MOVES.items() if to in targets] for to in rules.STATES}


@dataclass(frozen=True, slots=True)
class Move:
    to: str
    button: str  # the button's words
    state_name: str  # the state it puts the card in: said where the move waits on the phone
    states: list[str]  # the states it follows from (data-for-states)
    hidden: bool  # not from the card's state now
    primary: bool


@dataclass(frozen=True, slots=True)
class HistoryWords:
    at: datetime
    by: str
    words: str


@dataclass(frozen=True, slots=True)
class CardParts:
    state: str  # the card's state, in words
    state_names: dict[str, str]  # every state in words: the badge follows a queued move
    moves: list[Move] | None  # None: no moves section (a finished card)
    cancel: Move | None  # the step to cancel it, behind its question
    contactless: bool  # the "leave it, step away, then call" section, drawn
    contactless_hidden: bool  # drawn hidden until the card is on its way (a queued move shows it)
    items_editable: bool
    handoff: bool
    money: bool
    photos: bool
    history: list[HistoryWords]


def state_name(say: Say, state: str) -> str:
    return say(STATES[state]) if state in STATES else state


def _moves(say: Say, card: CardView) -> list[Move]:
    state = card.row.state
    mine = card.may_work
    moves = []
    for to in FORWARD:
        # Buying, carrying and giving back are the holder's: another worker sees only what they may do. A card not
        # taken yet carries the holder's moves too, hidden: taken offline, its next steps show in the stairwell.
        shown = (
            (mine and (card.is_holder or state == "new" or to in ("accepted", "confirmed")))
            or (to == "delivered" and card.is_deliverer)
            or (to == "confirmed" and card.is_requester)
        )
        if shown:
            button = say(_("I received it")) if card.is_requester and to == "confirmed" else say(MOVE_LABELS[to])
            moves.append(Move(to, button, state_name(say, to), SOURCES[to], state not in SOURCES[to], primary=True))
    if mine and (card.is_holder or state == "new"):
        moves.append(
            Move(
                "new",
                say(MOVE_LABELS["new"]),
                state_name(say, "new"),
                SOURCES["new"],
                state not in SOURCES["new"],
                False,
            )
        )
    return moves


def _history(say: Say, card: CardView) -> list[HistoryWords]:
    lines = []
    for h in card.history:
        if h.action == "move":
            words = state_name(say, h.to_state) + (f" ({h.detail})" if h.detail else "")
        elif h.action == "handoff":
            words = say(_("handed to %(name)s"), name=h.detail) if h.detail else say(_("took the delivery back"))
        elif h.action in HISTORY:
            words = say(HISTORY[h.action])
        else:
            words = h.detail
        lines.append(HistoryWords(h.at, h.by, words))
    return lines


def card_parts(say: Say, card: CardView) -> CardParts:
    state = card.row.state
    open_card = state not in FINISHED
    cancel = None
    if open_card and (card.may_work or (card.is_requester and state == "new")):
        sources = SOURCES["cancelled"]
        cancel = Move("cancelled", say(MOVE_LABELS["cancelled"]), state_name(say, "cancelled"), sources,
                      state not in sources, primary=False)  # fmt: skip
    return CardParts(
        state=state_name(say, state),
        state_names={s: state_name(say, s) for s in rules.STATES},
        moves=_moves(say, card) if open_card else None,
        cancel=cancel,
        contactless=(card.may_work or card.is_deliverer) and open_card,
        contactless_hidden=state not in ("delivering", "delivered"),
        items_editable=card.may_work and open_card,
        handoff=card.may_work and state not in ("new", *FINISHED),
        money=card.may_work and (state != "cancelled" or bool(card.advanced_cents)),
        photos=(card.may_work or card.is_deliverer) and state != "cancelled",
        history=_history(say, card),
    )
