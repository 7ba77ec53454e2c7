"""The rules of an errand card, with no database: which moves are allowed to whom, the board's order, when a card is
late. Services call these; tests check them directly."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

KINDS = ("groceries", "medicine", "repair", "visit", "doctor", "other")
URGENCIES = ("urgent", "today", "later")
PAYMENTS = ("advance", "online", "free")
DROP_POINTS = ("door", "lobby", "gate")
STATES = ("new", "accepted", "buying", "delivering", "delivered", "confirmed", "cancelled")
FINISHED = ("confirmed", "cancelled")

# Where a card may go from each state. A visit or a repair buys nothing: accepted goes straight to delivering
# ("on the way"). Accepted may go back to new: the worker gives the card up for someone else to take.
MOVES: dict[str, tuple[str, ...]] = {
    "new": ("accepted", "cancelled"),
    "accepted": ("buying", "delivering", "new", "cancelled"),
    "buying": ("delivering", "cancelled"),
    "delivering": ("delivered", "cancelled"),
    "delivered": ("confirmed",),
    "confirmed": (),
    "cancelled": (),
}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks for a move, as the rules need to know them."""

    role: str  # admin / grid_worker / volunteer / resident
    in_scope: bool  # a worker of the card's grid (or one covering it), or an admin of its community
    is_assignee: bool  # holds the card: took it, or inherited it with the grid (a handover)
    is_deliverer: bool  # the volunteer or rider the card was handed to
    is_requester: bool  # the resident the card is for


# Moves only the card's holder makes: someone else's card is never bought, carried or given up by another
# worker's tap, nor by their moves queued offline after a 接单 that lost the race.
HOLDER_MOVES = ("buying", "delivering", "delivered", "new")


def refuse_move(actor: Actor, state: str, to: str, reason: str = "") -> str | None:
    """Why this move is refused (a code the page shows in words), or None when it is allowed."""
    if to not in MOVES.get(state, ()):
        if state in FINISHED:
            return "finished"
        if to == "accepted":
            # Two workers tapped 接单 on one card: the first to reach the server has it.
            return "already_there" if actor.is_assignee and state == "accepted" else "taken"
        return "already_there" if state == to else "not_allowed_now"
    if to == "cancelled" and not reason.strip():
        return "reason_needed"
    if actor.role in ("admin", "grid_worker") and actor.in_scope:
        if to in HOLDER_MOVES and state != "new" and not actor.is_assignee:
            # An admin may take a card back from whoever holds it (to give it to someone else), nothing more.
            return None if actor.role == "admin" and to == "new" else "not_yours"
        return None
    if actor.is_deliverer:
        return None if (state, to) == ("delivering", "delivered") else "not_yours"
    if actor.is_requester:
        # The resident confirms what reached them, or withdraws a request nobody has taken yet.
        return None if (state, to) in (("delivered", "confirmed"), ("new", "cancelled")) else "not_yours"
    return "not_yours"


def pinned(kind: str, urgency: str, priority: bool) -> bool:
    """First on the board: the priority line (一号专线) and urgent medicine."""
    return priority or (kind == "medicine" and urgency == "urgent")


def board_order(kind: str, urgency: str, priority: bool, created_at: datetime, state: str = "new") -> tuple:
    """Pinned first, then urgency, then who has waited longest; cards already at the door (waiting only for the
    resident's word) after all that still needs doing."""
    return (state == "delivered", not pinned(kind, urgency, priority), URGENCIES.index(urgency), created_at)


# The card made from what a sweep door or a check-in said starts with a kind checked by the words used; the worker
# changes it with one tap. Medicine is looked for first: urgent medicine goes to the top of the board.
_KIND_WORDS = (
    ("medicine", re.compile("药")),
    ("doctor", re.compile("医院|看病|就医|复查|透析|化疗|陪诊")),
    ("repair", re.compile("修|坏了|漏水|停电|停水|堵了")),
    ("visit", re.compile("陪|聊天|探望|看看")),
)


def guess_kind(text: str) -> str:
    return next((kind for kind, words in _KIND_WORDS if words.search(text)), "groceries")


@dataclass(frozen=True, slots=True)
class DueTimes:
    """How long a card may stay open before it stands out (settings: GRIDCARE_ERRAND_*_MINUTES)."""

    medicine: int = 120
    urgent: int = 240
    today: int = 720
    later: int = 2880


def due_at(kind: str, urgency: str, created_at: datetime, times: DueTimes) -> datetime:
    minutes = {"urgent": times.urgent, "today": times.today, "later": times.later}[urgency]
    if kind == "medicine":
        minutes = min(minutes, times.medicine)
    return created_at + timedelta(minutes=minutes)


def is_late(state: str, due: datetime, now: datetime) -> bool:
    """Late while not yet at the door: once delivered, what remains is the resident's confirmation."""
    return state not in ("delivered", *FINISHED) and now > due


MAX_ITEMS = 40
MAX_YUAN = 5000  # more than any household's shopping: a slip of the finger (5000 for 50.00), refused


_AMOUNT = re.compile(r"(\d{1,7})(?:\.(\d{1,2}))?", re.ASCII)


def parse_amount(text: str) -> int | None:
    """Yuan as people write them ("12.5", "１２", "12元") into fen; None when it is not an amount or is absurd."""
    cleaned = text.strip().translate(str.maketrans("０１２３４５６７８９．", "0123456789.")).removesuffix("元").strip()
    match = _AMOUNT.fullmatch(cleaned)  # ASCII digits only: "²" or "①" are digits to str.isdigit, not to int()
    if match is None:
        return None
    fen = int(match.group(1)) * 100 + int((match.group(2) or "").ljust(2, "0"))
    return fen if 0 <= fen <= MAX_YUAN * 100 else None


_LIST_MARK = re.compile(r"^\s*(?:[-*•·]|\d{1,2}\s*[.、)）]|[（(]\d{1,2}[)）])\s*")


def split_items(text: str) -> list[str]:
    """One item per line, as said on the phone; blank lines and list marks dropped."""
    items = []
    for line in text.replace("\r", "\n").split("\n"):
        line = _LIST_MARK.sub("", line).strip()
        if line:
            items.append(line[:100])
    return items
