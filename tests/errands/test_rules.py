"""The errand rules with no database: moves, the board's order, due times, amounts, item lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.errands import rules

WORKER = rules.Actor(role="grid_worker", in_scope=True, is_assignee=False, is_deliverer=False, is_requester=False)
HOLDER = rules.Actor(role="grid_worker", in_scope=True, is_assignee=True, is_deliverer=False, is_requester=False)
RIDER = rules.Actor(role="volunteer", in_scope=False, is_assignee=False, is_deliverer=True, is_requester=False)
ELDER = rules.Actor(role="resident", in_scope=False, is_assignee=False, is_deliverer=False, is_requester=True)
STRANGER = rules.Actor(role="volunteer", in_scope=False, is_assignee=False, is_deliverer=False, is_requester=False)


ADMIN = rules.Actor(role="admin", in_scope=True, is_assignee=False, is_deliverer=False, is_requester=False)


def test_the_path_from_new_to_confirmed_is_the_holder_s():
    path = ["new", "accepted", "buying", "delivering", "delivered", "confirmed"]
    for state, to in zip(path, path[1:], strict=False):
        assert rules.refuse_move(HOLDER, state, to) is None


def test_someone_else_s_card_is_not_bought_carried_or_given_up_by_another_worker():
    for state, to in (
        ("accepted", "buying"),
        ("buying", "delivering"),
        ("delivering", "delivered"),
        ("accepted", "new"),
    ):
        assert rules.refuse_move(WORKER, state, to) == "not_yours"
        assert rules.refuse_move(ADMIN, state, to) == ("not_yours" if to != "new" else None)  # an admin takes it back
    assert rules.refuse_move(WORKER, "delivered", "confirmed") is None  # whoever calls the resident confirms
    assert rules.refuse_move(WORKER, "buying", "cancelled", "家人送来了") is None


@pytest.mark.parametrize(
    ("state", "to", "why"),
    [
        ("new", "delivered", "not_allowed_now"),  # skipping the shop and the stairs
        ("confirmed", "cancelled", "finished"),  # a closed card stays closed
        ("cancelled", "accepted", "finished"),
        ("accepted", "accepted", "taken"),  # another worker got there first
        ("delivered", "buying", "not_allowed_now"),
    ],
)
def test_forbidden_moves_are_refused_with_a_reason(state, to, why):
    assert rules.refuse_move(WORKER, state, to) == why


def test_accepting_twice_is_harmless_for_the_holder_and_taken_for_anyone_else():
    assert rules.refuse_move(HOLDER, "accepted", "accepted") == "already_there"
    assert rules.refuse_move(WORKER, "accepted", "accepted") == "taken"


def test_cancelling_needs_a_reason():
    assert rules.refuse_move(WORKER, "new", "cancelled") == "reason_needed"
    assert rules.refuse_move(WORKER, "new", "cancelled", "  ") == "reason_needed"
    assert rules.refuse_move(WORKER, "new", "cancelled", "家人送来了") is None
    assert rules.refuse_move(WORKER, "delivered", "cancelled", "x") == "not_allowed_now"


def test_a_rider_only_delivers_and_a_resident_only_confirms_or_withdraws():
    assert rules.refuse_move(RIDER, "delivering", "delivered") is None
    assert rules.refuse_move(RIDER, "new", "accepted") == "not_yours"
    assert rules.refuse_move(RIDER, "delivered", "confirmed") == "not_yours"
    assert rules.refuse_move(ELDER, "delivered", "confirmed") is None
    assert rules.refuse_move(ELDER, "new", "cancelled", "不用了") is None
    assert rules.refuse_move(ELDER, "buying", "cancelled", "不用了") == "not_yours"
    assert rules.refuse_move(STRANGER, "delivering", "delivered") == "not_yours"


def test_the_board_puts_priority_and_urgent_medicine_first_then_urgency_then_waiting():
    t0 = datetime(2022, 11, 24, 8, tzinfo=UTC)
    cards = {
        "groceries, urgent, waiting longest": ("groceries", "urgent", False, t0),
        "priority line, can wait": ("groceries", "later", True, t0 + timedelta(hours=2)),
        "urgent medicine, newest": ("medicine", "urgent", False, t0 + timedelta(hours=3)),
        "groceries today": ("groceries", "today", False, t0 - timedelta(hours=1)),
        "priority, at the door, waiting for her word": ("groceries", "urgent", True, t0, "delivered"),
        "groceries, urgent, newer": ("groceries", "urgent", False, t0 + timedelta(minutes=5)),
    }
    order = sorted(cards, key=lambda name: rules.board_order(*cards[name]))
    assert order == [
        "urgent medicine, newest",
        "priority line, can wait",
        "groceries, urgent, waiting longest",
        "groceries, urgent, newer",
        "groceries today",
        "priority, at the door, waiting for her word",
    ]


def test_medicine_is_due_within_its_own_time_and_lateness_ends_at_the_door():
    t0 = datetime(2022, 11, 24, 8, tzinfo=UTC)
    times = rules.DueTimes(medicine=120, urgent=240, today=720, later=2880)
    assert rules.due_at("medicine", "today", t0, times) == t0 + timedelta(minutes=120)
    assert rules.due_at("groceries", "urgent", t0, times) == t0 + timedelta(minutes=240)
    due = rules.due_at("medicine", "urgent", t0, times)
    assert rules.is_late("buying", due, due + timedelta(minutes=1))
    assert not rules.is_late("buying", due, due - timedelta(minutes=1))
    assert not rules.is_late("delivered", due, due + timedelta(hours=5))


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("12.5", 1250),
        ("１２元", 1200),
        (" 0.05 ", 5),
        ("5000", 500000),
        ("-3", None),
        ("5000.01", None),
        ("1.234", None),
        ("abc", None),
        ("", None),
        ("1.2.3", None),
    ],
)
def test_amounts_are_yuan_as_people_type_them_and_absurd_ones_are_refused(text, fen):
    assert rules.parse_amount(text) == fen


def test_items_are_one_per_line_without_list_marks_but_with_their_quantities():
    assert rules.split_items("1. 2斤鸡蛋\n- 白菜\n\n3、降压药 硝苯地平\n（4）牛奶 x2\n  ") == [
        "2斤鸡蛋",
        "白菜",
        "降压药 硝苯地平",
        "牛奶 x2",
    ]


@pytest.mark.parametrize(
    ("said", "kind"),
    [
        ("高血压的药吃完了，要买硝苯地平", "medicine"),
        ("明天要去医院透析，没人陪", "doctor"),
        ("厨房水管漏水了", "repair"),
        ("老伴走了，想有人来聊聊天", "visit"),
        ("米和鸡蛋没有了", "groceries"),
        ("", "groceries"),
    ],
)
def test_a_recorded_need_starts_its_card_with_the_kind_its_words_say(said, kind):
    assert rules.guess_kind(said) == kind
