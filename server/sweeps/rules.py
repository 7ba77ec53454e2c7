"""The one rule that turns a door's ticks into its state. Pure: no database, tested on its own.

See docs/decisions/0004-offline-writes-and-door-state.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Door outcomes, strongest first. A door that needs help stays that way until someone acts on it; a door seen done
# is done even if another volunteer later found nobody home; and so on down.
DOOR_OUTCOMES = ("needs_help", "done", "vacant", "refused", "come_back", "nobody_home")
RANK = {outcome: len(DOOR_OUTCOMES) - i for i, outcome in enumerate(DOOR_OUTCOMES)}
PERSON_OUTCOMES = ("tested", "not_tested", "away")
OPEN_OUTCOMES = ("come_back", "nobody_home")  # a door with only these is still to visit


@dataclass(frozen=True, slots=True)
class TickView:
    seq: int  # server arrival order
    outcome: str
    volunteer: object


@dataclass(frozen=True, slots=True)
class State:
    outcome: str
    tick_seq: int
    ticks: int
    conflict: bool


def door_state(ticks: Sequence[TickView]) -> State:
    """The strongest outcome wins; between equals, the one that reached the server last.

    Device times are not used: phone clocks are often wrong, and a queued tick arrives hours after it was made.
    A conflict is two volunteers whose last words on the door differ (one changing their own mind is no
    conflict): the coordinator sees it and resolves it.
    """
    if not ticks:
        raise ValueError("a door state needs at least one tick")
    winner = max(ticks, key=lambda t: (RANK[t.outcome], t.seq))
    last_word: dict[object, TickView] = {}
    for tick in ticks:
        if tick.volunteer not in last_word or tick.seq > last_word[tick.volunteer].seq:
            last_word[tick.volunteer] = tick
    conflict = len({tick.outcome for tick in last_word.values()}) > 1
    return State(outcome=winner.outcome, tick_seq=winner.seq, ticks=len(ticks), conflict=conflict)
