"""What needs a grid worker (or the community's admin) now, counted for the top of the home page: people nobody
could reach (go-and-look cards), residents' own requests nobody has taken, errand cards gone late (urgent medicine
apart), who is still to call today, and what phones recorded that the server did not accept. Knows nothing of
HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from server.access.scope import CurrentUser, Scope
from server.db import as_datetime
from server.errands import rules
from server.errands.services import visible_to
from server.errands.tables import Errand
from server.register import round
from server.sync.refused import unsettled_count


@dataclass(slots=True)
class NeedsNow:
    follow_ups: list[dict]  # open go-and-look cards: name, door
    asks: list[dict]  # residents' own requests (/ask) not taken yet: name, door
    late: int  # open cards past their time
    late_medicine: int  # of which medicine: the first to chase
    to_call: int  # people of today's round nobody has reached yet
    needs: list[dict] = field(default_factory=list)  # said on today's call that they need something; no card yet
    unwell: list[dict] = field(default_factory=list)  # said on today's call they are unwell
    refused: int = 0  # writes from phones the server did not accept, nobody has dealt with (sync/refused.py)

    @property
    def asking(self) -> list[dict]:
        """Who is asking, each person once with how many requests (a stranger's walk of issue 16 read
        郝振华（5-1-602）、郝振华（5-1-602）、郝振华（5-1-602））, in the order they first asked."""
        people: dict[tuple[str, str], dict] = {}
        for ask in self.asks:
            person = people.setdefault((ask["name"], ask["door"]), {**ask, "count": 0})
            person["count"] += 1
        return list(people.values())

    @property
    def anything(self) -> bool:
        return bool(
            self.follow_ups or self.asks or self.late or self.to_call or self.needs or self.unwell or self.refused
        )


async def needs_now(user: CurrentUser, scope: Scope, today: date, now: datetime) -> NeedsNow:
    cards = await Errand.select(
        Errand.kind,
        Errand.state,
        Errand.source,
        Errand.due_at,
        Errand.resident.name.as_alias("name"),
        Errand.household.door.as_alias("door"),
    ).where(visible_to(user) & Errand.state.not_in(list(rules.FINISHED)))
    late = [c for c in cards if rules.is_late(c["state"], as_datetime(c["due_at"]), now)]
    # Counted, not drawn (issue 18): the round's people in one COUNT, and only today's calls read.
    day = await round.round_so_far(scope, today)
    # A need heard on a call waits for its card: counted here until the card is made (a stranger saw it vanish).
    # Any call of today that heard a need, not only the last: a 平安 made after it does not buy the medicine.
    keys = {f"checkin:{p['resident_id']}:{today.isoformat()}": p for p in day.called if p["needs_today"]}
    carded = {
        row["source_key"]
        for row in await Errand.select(Errand.source_key).where(Errand.source_key.is_in(list(keys) or [""]))
    }
    return NeedsNow(
        needs=[{"name": p["name"], "door": p["door"], "key": key} for key, p in keys.items() if key not in carded],
        unwell=[
            {"name": p["name"], "door": p["door"], "id": p["resident_id"]}
            for p in day.called
            if p["outcome"] == "unwell"
        ],
        follow_ups=await round.open_follow_ups(scope),
        asks=[
            {"name": c["name"] or "", "door": c["door"]} for c in cards if c["source"] == "self" and c["state"] == "new"
        ],
        late=len(late),
        late_medicine=sum(1 for c in late if c["kind"] == "medicine"),
        to_call=day.to_call,
        refused=await unsettled_count(user, now),
    )
