"""The one rule that turns a door's ticks into its state. Pure: no database, tested on its own.

See docs/decisions/0004-offline-writes-and-door-state.md.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import msgspec

# Door outcomes, strongest first. A door that needs help stays that way until someone acts on it; a door seen done
# is done even if another volunteer later found nobody home; and so on down.
DOOR_OUTCOMES = ("needs_help", "done", "vacant", "refused", "come_back", "nobody_home")
RANK = {outcome: len(DOOR_OUTCOMES) - i for i, outcome in enumerate(DOOR_OUTCOMES)}
PERSON_OUTCOMES = ("tested", "not_tested", "away")
# Answers about the household itself; two volunteers giving different ones disagree. Finding nobody home at 9:00
# and the household done at 11:00 is an ordinary revisit, not a disagreement.
FINAL_OUTCOMES = ("needs_help", "done", "vacant", "refused")


@dataclass(frozen=True, slots=True)
class TickView:
    seq: int  # server arrival order
    outcome: str
    volunteer: object
    coordinator: bool = False  # made by a grid worker or admin: their word settles the door
    # "Nobody home on the whole floor", one tap for the doors left: a fallback that stands only at a door nobody
    # recorded one by one (docs/decisions/0020), so it never overwrites a recorded door, whatever arrives first.
    bulk: bool = False


@dataclass(frozen=True, slots=True)
class State:
    outcome: str
    tick_seq: int
    ticks: int
    conflict: bool


def door_state(ticks: Sequence[TickView]) -> State:
    """Each volunteer's last word counts (a mis-tap is corrected by tapping again); across volunteers the strongest
    outcome wins, and between equals the one that reached the server last.

    Device times are not used: phone clocks are often wrong, and a queued tick arrives hours after it was made.
    A conflict is two volunteers whose last words are different final answers (done against refused, say): the
    coordinator sees it and resolves it by recording the door themselves: ticks before a coordinator's count no more.

    A whole-floor "nobody home" (bulk) counts only while the door has no tick of its own: one arriving after a door
    was recorded is set aside, and so is one that arrived before a door's own tick (decision 0020).
    """
    if not ticks:
        raise ValueError("a door state needs at least one tick")
    count = len(ticks)
    one_by_one = [tick for tick in ticks if not tick.bulk]
    if one_by_one:
        ticks = one_by_one
    settled = [tick for tick in ticks if tick.coordinator]
    if settled:
        # A coordinator who went to the door (or called) settles what came before; what comes after still counts
        # (a door found needing help later must not be hidden by an earlier decision).
        settling = max(settled, key=lambda t: t.seq)
        ticks = [tick for tick in ticks if tick.seq >= settling.seq]
    last_word: dict[object, TickView] = {}
    for tick in ticks:
        if tick.volunteer not in last_word or tick.seq > last_word[tick.volunteer].seq:
            last_word[tick.volunteer] = tick
    winner = max(last_word.values(), key=lambda t: (RANK[t.outcome], t.seq))
    finals = {tick.outcome for tick in last_word.values() if tick.outcome in FINAL_OUTCOMES}
    return State(outcome=winner.outcome, tick_seq=winner.seq, ticks=count, conflict=len(finals) > 1)


def person_sweep_state(
    door_ticks: Sequence[TickView], person_ticks: Mapping[object, Sequence[TickView]], residents: Collection
) -> State | None:
    """A person sweep's door: done when every registered person living there has an outcome.

    Each person's outcome is the one that reached the server last (tested after not-tested is a correction or a
    second visit). A door-level answer (nobody home, refused, vacant, needs help) stands until everyone is
    recorded, except "needs help", which stays until a coordinator settles it; with only some people recorded the
    door is "partial": someone has to go back for the others. None: nothing recorded yet. A whole-floor "nobody
    home" is set aside once anyone at the door was recorded one by one (decision 0020).
    """
    count = len(door_ticks) + sum(len(ticks) for ticks in person_ticks.values())
    if person_ticks:
        door_ticks = [tick for tick in door_ticks if not tick.bulk]
    door = door_state(door_ticks) if door_ticks else None
    recorded = {p: max(ticks, key=lambda t: t.seq) for p, ticks in person_ticks.items() if p in residents}
    conflict = bool(door and door.conflict)
    if door and door.outcome == "needs_help":
        return State(door.outcome, door.tick_seq, count, conflict)
    if residents and len(recorded) == len(residents):
        return State("done", max(t.seq for t in recorded.values()), count, conflict)
    if door:
        return State(door.outcome, door.tick_seq, count, conflict)
    if recorded:
        return State("partial", max(t.seq for t in recorded.values()), count, False)
    return None


class Said(msgspec.Struct, array_like=True):
    """Someone's last word at a door (or, in a person sweep, about one person living there): what, when, what they
    wrote. The coordinator's page of one door shows these: who said what, and when.

    Stored as a JSON array whose later fields have defaults, so that memories folded before the times were kept
    ([seq, outcome, coordinator] for a volunteer's word, [seq, outcome] for a person) still read, with no time (0).
    """

    seq: int
    outcome: str
    coordinator: bool = False  # made by a grid worker or admin: their word settles the door
    at: int = 0  # the phone's clock when it was recorded, Unix seconds (0: not known)
    arrived: int = 0  # when it reached the server, Unix seconds (0: not known)
    note: str = ""  # the latest note this person left at the door (or about this person)
    help: str = ""  # what a "needs help" word asked for
    by: str = ""  # who recorded it, about a person (a door-level word is kept under its author)
    # Its tick was purged (retention, decision 0016): the outcome stays, who said it, when, and what they wrote go.
    purged: bool = False


class DoorMemory(msgspec.Struct, array_like=True):
    """What a door's ticks leave behind that its state, its floor screen, its page for the coordinator, the export
    and errand intake read: enough to fold new ticks in without reading the old ones again (stored as JSON in
    DoorState.memory).

    The rule above depends on each volunteer's last word and each person's last outcome only (and the number of
    ticks), so folding ticks one by one in arrival order gives the state the rule gives on all of them at once
    (tests/sweeps/test_rules.py checks this on random histories). Fields added later go at the end, with defaults:
    memories stored before them still read.
    """

    seq: int = 0  # the last tick folded in: one folded again (or late, out of order) is ignored, not counted twice
    ticks: int = 0
    # volunteer -> their last door-level word
    words: dict[str, Said] = {}
    # resident -> the last word about them (person sweeps)
    people: dict[str, Said] = {}
    note: str = ""  # the last note left at the door
    help: str = ""  # what the last "needs help" tick asked for
    # When someone was last at the door: the latest phone time of its ticks, none later than its arrival (a phone
    # whose clock runs ahead cannot put a visit in the future). Unix seconds, 0: not known.
    at: int = 0
    # volunteer -> their last whole-floor "nobody home" here: read only while `words` and `people` are empty
    floor_words: dict[str, Said] = {}

    def remember(
        self,
        seq: int,
        outcome: str,
        volunteer: str,
        coordinator: bool,
        resident: str | None,
        note: str,
        help: str,
        at: int = 0,
        arrived: int = 0,
        bulk: bool = False,
    ) -> None:
        """One more tick, in arrival order (`at` and `arrived`: the phone's time and the server's, Unix seconds)."""
        if seq <= self.seq:
            return
        self.seq = seq
        self.ticks += 1
        if resident is None:
            before = (self.floor_words if bulk else self.words).get(volunteer)
        else:
            before = self.people.get(resident)
            before = before if before is not None and before.by == volunteer else None
        said = Said(
            seq,
            outcome,
            coordinator,
            at,
            arrived,
            note or (before.note if before is not None else ""),
            help if outcome == "needs_help" else "",
            "" if resident is None else volunteer,
        )
        if resident is None:
            (self.floor_words if bulk else self.words)[volunteer] = said
        else:
            self.people[resident] = said
        if note:
            self.note = note
        if outcome == "needs_help":
            self.help = help
        self.at = max(self.at, min(at, arrived) if at and arrived else at or arrived)

    def counted(self) -> dict[str, Said]:
        """The door-level words that count: those since the latest coordinator's word (door_state's rule)."""
        settling = max((said.seq for said in self.words.values() if said.coordinator), default=0)
        return {who: said for who, said in self.words.items() if said.seq >= settling}

    def disagreement(self) -> list[str]:
        """The different final answers that make the door a conflict, in the order they arrived; [] when none."""
        finals: dict[str, int] = {}
        for said in sorted(self.counted().values(), key=lambda s: s.seq):
            if said.outcome in FINAL_OUTCOMES:
                finals.setdefault(said.outcome, said.seq)
        return list(finals) if len(finals) > 1 else []

    def state(self, person_sweep: bool, residents: Collection) -> State | None:
        """The rule's state of the door (door_state, or person_sweep_state with the people living there now)."""
        door_ticks = [TickView(s.seq, s.outcome, who, s.coordinator) for who, s in self.words.items()]
        if not door_ticks and not self.people:  # nobody recorded the door itself: the whole floor's answer stands
            door_ticks = [
                TickView(s.seq, s.outcome, who, s.coordinator, bulk=True) for who, s in self.floor_words.items()
            ]
        if person_sweep:
            person_ticks = {person: [TickView(s.seq, s.outcome, None)] for person, s in self.people.items()}
            state = person_sweep_state(door_ticks, person_ticks, residents)
        else:
            state = door_state(door_ticks) if door_ticks else None
        return None if state is None else replace(state, ticks=self.ticks)

    def forget(self, gone: Collection[int], kept: DoorMemory) -> DoorMemory:
        """This memory once the ticks `gone` (their seqs) are purged (retention, decision 0016). The words they made
        stay as outcomes only (seq, outcome, a coordinator's or not): under no one's name, with no time, note or
        help, so that the door's state, its disagreement and its counts stay as they were. The words of ticks that
        stay, and the door's last note, help and time, come from `kept`, the door's remaining ticks folded afresh:
        a word whose tick stays may carry a note from an earlier, purged one."""

        def blank(said: Said) -> Said:
            return Said(said.seq, said.outcome, said.coordinator, purged=True)

        def words(said_by: dict[str, Said], fresh: dict[str, Said]) -> dict[str, Said]:
            found = {}
            for who, said in said_by.items():
                if said.purged:  # by an earlier purge
                    found[who] = said
                elif said.seq in gone:
                    found[f"~{said.seq}"] = blank(said)  # still one word per (former) volunteer, named by nobody
                else:
                    found[who] = fresh.get(who, said)
            return found

        people = {}
        for resident, said in self.people.items():  # kept under the resident: the register stays
            if said.purged or said.seq not in gone:
                people[resident] = said if said.purged else kept.people.get(resident, said)
            else:
                people[resident] = blank(said)
        return DoorMemory(
            seq=self.seq,
            ticks=self.ticks,
            words=words(self.words, kept.words),
            people=people,
            note=kept.note,
            help=kept.help,
            at=kept.at,
            floor_words=words(self.floor_words, kept.floor_words),
        )


MEMORY_ENCODER = msgspec.json.Encoder()
MEMORY_DECODER = msgspec.json.Decoder(DoorMemory)
