"""Which buttons and sections an errand card draws, and its words (server/errands/card_parts.py), with no database."""

from datetime import UTC, datetime
from types import SimpleNamespace

from server.errands.card_parts import card_parts
from server.errands.services import HistoryLine

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def say(message: str, **params) -> str:
    return f"<{message % params if params else message}>"


def card(state: str, **who) -> SimpleNamespace:
    facts = {"may_work": False, "is_holder": False, "is_deliverer": False, "is_requester": False, "advanced_cents": 0}
    return SimpleNamespace(row=SimpleNamespace(state=state), history=[], **{**facts, **who})


def buttons(parts) -> dict[str, bool]:
    """Each move button drawn, and whether it shows now (a hidden one shows once a queued move reaches its state)."""
    return {m.to: not m.hidden for m in parts.moves}


def test_a_new_card_offers_its_worker_to_take_it_and_carries_the_holders_next_steps_hidden():
    parts = card_parts(say, card("new", may_work=True))
    assert buttons(parts) == {
        "accepted": True,
        "buying": False,
        "delivering": False,
        "delivered": False,
        "confirmed": False,
        "new": False,
    }
    assert parts.moves[0].button == "<Take this card>" and parts.moves[0].state_name == "<Accepted>"
    assert parts.cancel and not parts.cancel.hidden
    assert parts.state == "<New>" and parts.contactless and parts.contactless_hidden and not parts.handoff


def test_another_worker_sees_only_taking_and_confirming_once_it_is_taken():
    parts = card_parts(say, card("buying", may_work=True))
    assert set(buttons(parts)) == {"accepted", "confirmed"}


def test_the_rider_leaves_it_at_the_door_and_the_resident_says_they_received_it():
    rider = card_parts(say, card("delivering", is_deliverer=True))
    assert buttons(rider) == {"delivered": True} and rider.cancel is None and not rider.contactless_hidden
    resident = card_parts(say, card("delivered", is_requester=True))
    assert [(m.to, m.button, m.hidden) for m in resident.moves] == [("confirmed", "<I received it>", False)]
    assert not resident.photos and not resident.money


def test_a_finished_card_has_no_moves_and_its_history_is_said_in_words():
    done = card("cancelled", may_work=True, advanced_cents=1250)
    done.history = [
        HistoryLine("created", "", "new", "", "王", AT),
        HistoryLine("move", "new", "cancelled", "不需要了", "王", AT),
        HistoryLine("handoff", "", "", "", "王", AT),
        HistoryLine("handoff", "", "", "小李", "王", AT),
    ]
    parts = card_parts(say, done)
    assert parts.moves is None and parts.cancel is None and not parts.contactless
    assert parts.money and not parts.photos  # money advanced is still settled on a cancelled card
    assert [h.words for h in parts.history] == [
        "<made the card>",
        "<Cancelled> (不需要了)",
        "<took the delivery back>",
        "<handed to 小李>",
    ]
