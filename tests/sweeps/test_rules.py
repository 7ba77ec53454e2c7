"""The door-state rule, on its own."""

import random

import pytest

from server.sweeps.rules import (
    DOOR_OUTCOMES,
    MEMORY_DECODER,
    MEMORY_ENCODER,
    PERSON_OUTCOMES,
    DoorMemory,
    TickView,
    door_state,
    person_sweep_state,
)


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


def test_a_whole_floor_nobody_home_never_overwrites_a_recorded_door():
    """Issue 14, defect 2: a door ticked done, then the floor's "nobody home" from the same phone (a stale button),
    from another volunteer's phone synced later, or from the coordinator's: the door stays done."""
    done = TickView(1, "done", "a")
    for bulk in (TickView(2, "nobody_home", "a", bulk=True), TickView(2, "nobody_home", "b", bulk=True)):
        assert door_state([done, bulk]).outcome == "done"
    coordinator = TickView(2, "nobody_home", "c", coordinator=True, bulk=True)
    state = door_state([done, coordinator])
    assert state.outcome == "done" and state.tick_seq == 1 and state.ticks == 2  # stored, and counted, all the same
    # Whatever arrives first: a floor's answer synced before the door's own tick is set aside when that arrives.
    assert door_state([TickView(1, "nobody_home", "b", bulk=True), TickView(2, "refused", "a")]).outcome == "refused"
    assert door_state([coordinator, TickView(3, "come_back", "a")]).outcome == "come_back"
    # Until then it is the door's answer: nobody opened.
    only = door_state([TickView(1, "nobody_home", "b", bulk=True)])
    assert only.outcome == "nobody_home" and only.tick_seq == 1


def test_in_a_person_sweep_a_whole_floor_nobody_home_stands_only_where_nobody_was_recorded():
    residents = {"p1", "p2"}
    bulk = TickView(5, "nobody_home", "b", bulk=True)
    assert person_sweep_state([bulk], {}, residents).outcome == "nobody_home"
    one = {"p1": [TickView(2, "tested", "a")]}
    assert person_sweep_state([bulk], one, residents).outcome == "partial"  # someone goes back for p2
    assert person_sweep_state([bulk, TickView(6, "refused", "a")], one, residents).outcome == "refused"


def _history(rng: random.Random, person_sweep: bool) -> list[dict]:
    ticks = []
    for seq in range(1, rng.randint(1, 12) + 1):
        person = person_sweep and rng.random() < 0.6
        bulk = not person and rng.random() < 0.3  # the whole floor's "nobody home", from anyone
        ticks.append(
            {
                "seq": seq * rng.randint(1, 3) + 100 * seq,  # increasing, with gaps (other doors' ticks)
                "outcome": "nobody_home" if bulk else rng.choice(PERSON_OUTCOMES if person else DOOR_OUTCOMES),
                "volunteer": rng.choice("abcd"),
                "coordinator": False,
                "resident": rng.choice(["p1", "p2", "p3"]) if person else None,
                "note": "" if bulk else rng.choice(["", "", "门铃坏了", "晚上再来"]),
                # Phone clocks: mostly right, some late (queued offline), some ahead of the server.
                "at": 1_669_250_000 + seq * 60 + rng.choice([0, 0, -3600, 7200]),
                "arrived": 1_669_250_000 + seq * 60,
                "help": "",
                "bulk": bulk,
            }
        )
        ticks[-1]["coordinator"] = ticks[-1]["volunteer"] == "d"  # d is the grid worker
        if ticks[-1]["outcome"] == "needs_help":
            ticks[-1]["help"] = rng.choice(["买药", "送菜"])
    return ticks


def _by_the_rule(ticks: list[dict], person_sweep: bool, residents: set):
    def view(t):
        return TickView(t["seq"], t["outcome"], t["volunteer"], t["coordinator"], bulk=t["bulk"])

    door_ticks = [view(t) for t in ticks if t["resident"] is None]
    if not person_sweep:
        return door_state(door_ticks) if door_ticks else None
    person_ticks: dict[str, list[TickView]] = {}
    for t in ticks:
        if t["resident"] is not None:
            person_ticks.setdefault(t["resident"], []).append(view(t))
    return person_sweep_state(door_ticks, person_ticks, residents)


@pytest.mark.parametrize("person_sweep", [False, True])
def test_folding_ticks_in_pieces_gives_the_rules_state_on_all_of_them(person_sweep):
    """The stored memory, folded batch by batch and saved between, must agree with the rule read on every tick, and
    keep each person's last word with its times and their latest note (the coordinator's page of the door)."""
    rng = random.Random(2022_11_24)
    for _ in range(3000):
        ticks = _history(rng, person_sweep)
        residents = set(rng.sample(["p1", "p2", "p3"], rng.randint(0, 3)))
        memory = DoorMemory()
        for i, t in enumerate(ticks):
            memory.remember(
                t["seq"],
                t["outcome"],
                t["volunteer"],
                t["coordinator"],
                t["resident"],
                t["note"],
                t["help"],
                t["at"],
                t["arrived"],
                t["bulk"],
            )
            if rng.random() < 0.4 or i == len(ticks) - 1:  # a fold ends here: the memory goes to the database
                memory = MEMORY_DECODER.decode(MEMORY_ENCODER.encode(memory))
                again = rng.choice(ticks[: i + 1])  # a tick folded twice changes nothing
                memory.remember(
                    again["seq"], "needs_help", "x", True, again["resident"], "又一次", again["help"] or "又一次", 1, 1
                )
                seen = ticks[: i + 1]
                state = memory.state(person_sweep, residents)
                assert state == _by_the_rule(seen, person_sweep, residents), seen
                assert bool(memory.disagreement()) == bool(state and state.conflict), seen
                assert memory.note == next((t["note"] for t in reversed(seen) if t["note"]), "")
                assert memory.help == next((t["help"] for t in reversed(seen) if t["outcome"] == "needs_help"), "")
                assert memory.at == max(min(t["at"], t["arrived"]) for t in seen)
                _check_words(memory, seen)


def _check_words(memory: DoorMemory, seen: list[dict]) -> None:
    """Each volunteer's last door-level word (and each person's last word) as the ticks say, times and notes kept."""
    for bulk, words in ((False, memory.words), (True, memory.floor_words)):  # a whole floor's answers kept apart
        _check_door_words(words, [t for t in seen if t["resident"] is None and t["bulk"] == bulk])
    for person, said in memory.people.items():
        about = [t for t in seen if t["resident"] == person]
        last = about[-1]
        assert (said.seq, said.outcome, said.by, said.at) == (
            last["seq"],
            last["outcome"],
            last["volunteer"],
            last["at"],
        )
        run = []  # the note carries on while the same person keeps recording them
        for t in reversed(about):
            if t["volunteer"] != last["volunteer"]:
                break
            run.append(t)
        assert said.note == next((t["note"] for t in run if t["note"]), "")


def _check_door_words(words: dict, door_ticks: list[dict]) -> None:
    assert set(words) == {t["volunteer"] for t in door_ticks}
    for who, said in words.items():
        theirs = [t for t in door_ticks if t["volunteer"] == who]
        last = theirs[-1]
        assert (said.seq, said.outcome, said.coordinator, said.at, said.arrived) == (
            last["seq"],
            last["outcome"],
            last["coordinator"],
            last["at"],
            last["arrived"],
        )
        assert said.note == next((t["note"] for t in reversed(theirs) if t["note"]), "")
        assert said.help == (last["help"] if last["outcome"] == "needs_help" else "")


def test_memories_stored_before_times_were_kept_still_read():
    """A door state folded by the previous code ([seq, outcome, coordinator] per word) reads, with no times."""
    old = '[9,3,{"a":[4,"done",false],"d":[9,"refused",true]},{"p1":[7,"tested"]},"门铃坏了",""]'.encode()
    memory = MEMORY_DECODER.decode(old)
    assert memory.words["a"].outcome == "done" and memory.words["a"].at == 0 and memory.words["d"].coordinator
    assert memory.people["p1"].outcome == "tested" and memory.note == "门铃坏了" and memory.at == 0
    assert list(memory.counted()) == ["d"] and memory.state(False, set()).outcome == "refused"
    memory.remember(10, "done", "b", False, None, "", "", 1_669_254_000, 1_669_254_060)
    assert memory.words["b"].at == 1_669_254_000 and memory.at == 1_669_254_000


def test_who_disagrees_is_said_in_the_order_the_answers_arrived():
    memory = DoorMemory()
    memory.remember(1, "nobody_home", "a", False, None, "", "")
    memory.remember(2, "done", "b", False, None, "", "")
    assert memory.disagreement() == []  # a revisit, not a disagreement
    memory.remember(3, "refused", "c", False, None, "", "")
    assert memory.disagreement() == ["done", "refused"]
    memory.remember(4, "refused", "d", True, None, "打电话问过了", "")  # the grid worker settles it
    assert memory.disagreement() == [] and list(memory.counted()) == ["d"]
