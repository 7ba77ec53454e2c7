"""The door-state rule, on its own."""

import pytest

from server.sweeps.rules import DOOR_OUTCOMES, TickView, door_state


def test_across_volunteers_the_strongest_outcome_wins_whatever_the_order():
    ticks = [TickView(1, "nobody_home", "a"), TickView(2, "done", "b"), TickView(3, "come_back", "c")]
    assert door_state(ticks).outcome == "done"
    assert door_state(list(reversed(ticks))).outcome == "done"


def test_a_volunteer_corrects_a_mis_tap_by_tapping_again():
    state = door_state([TickView(1, "done", "a"), TickView(2, "nobody_home", "a")])
    assert state.outcome == "nobody_home" and state.ticks == 2 and not state.conflict


def test_needs_help_outranks_everything_from_others():
    for outcome in DOOR_OUTCOMES:
        assert door_state([TickView(1, "needs_help", "a"), TickView(2, outcome, "b")]).outcome == "needs_help"


def test_ties_go_to_the_later_arrival():
    state = door_state([TickView(7, "refused", "a"), TickView(9, "refused", "b")])
    assert state.tick_seq == 9 and state.ticks == 2


def test_two_volunteers_who_disagree_make_a_conflict():
    assert door_state([TickView(1, "done", "a"), TickView(2, "refused", "b")]).conflict


def test_a_revisit_that_finds_someone_is_no_conflict():
    state = door_state([TickView(1, "nobody_home", "a"), TickView(2, "done", "b")])
    assert state.outcome == "done" and not state.conflict


def test_changing_your_own_mind_is_no_conflict():
    state = door_state([TickView(1, "nobody_home", "a"), TickView(2, "done", "a"), TickView(3, "done", "b")])
    assert state.outcome == "done" and not state.conflict


def test_a_door_needs_a_tick():
    with pytest.raises(ValueError):
        door_state([])


def test_a_coordinators_word_settles_a_conflict():
    ticks = [TickView(1, "done", "a"), TickView(2, "refused", "b"), TickView(3, "refused", "c", coordinator=True)]
    state = door_state(ticks)
    assert state.outcome == "refused" and not state.conflict and state.tick_seq == 3
    later = [*ticks, TickView(4, "needs_help", "a")]  # a need found afterwards is not hidden by the decision
    assert door_state(later).outcome == "needs_help"


def test_a_person_sweep_door_is_done_only_when_every_resident_has_an_outcome():
    from server.sweeps.rules import person_sweep_state

    residents = {"张国强", "李秀英"}
    one = {"张国强": [TickView(1, "tested", "a")]}
    assert person_sweep_state([], {}, residents) is None
    assert person_sweep_state([], one, residents).outcome == "partial"
    both = {**one, "李秀英": [TickView(2, "not_tested", "a"), TickView(3, "away", "b")]}
    state = person_sweep_state([], both, residents)
    assert state.outcome == "done" and state.tick_seq == 3 and state.ticks == 3
    # A door-level answer stands until everyone is recorded; needs help stands even then.
    assert person_sweep_state([TickView(4, "nobody_home", "a")], one, residents).outcome == "nobody_home"
    assert person_sweep_state([TickView(4, "nobody_home", "a")], both, residents).outcome == "done"
    assert person_sweep_state([TickView(5, "needs_help", "a")], both, residents).outcome == "needs_help"
    # Someone no longer living there does not hold the door open, and is not counted as recorded.
    assert person_sweep_state([], {"旧住户": [TickView(6, "tested", "a")]}, residents) is None
    assert person_sweep_state([TickView(7, "vacant", "a")], {}, set()).outcome == "vacant"
