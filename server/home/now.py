"""What needs a grid worker (or the community's admin) now, counted for the top of the home page: people nobody
could reach (go-and-look cards), residents' own requests nobody has taken, errand cards gone late (urgent medicine
apart), and who is still to call today. Knows nothing of HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from server.accounts.services import CurrentUser, Scope
from server.db import as_datetime
from server.errands import rules
from server.errands.services import visible_to
from server.errands.tables import Errand
from server.register import round


@dataclass(slots=True)
class NeedsNow:
    follow_ups: list[dict]  # open go-and-look cards: name, door
    asks: int  # residents' own requests (/ask) not taken yet
    late: int  # open cards past their time
    late_medicine: int  # of which medicine: the first to chase
    to_call: int  # people of today's round nobody has reached yet

    @property
    def anything(self) -> bool:
        return bool(self.follow_ups or self.asks or self.late or self.to_call)


async def needs_now(user: CurrentUser, scope: Scope, today: date, now: datetime) -> NeedsNow:
    cards = await Errand.select(Errand.kind, Errand.state, Errand.source, Errand.due_at).where(
        visible_to(user) & Errand.state.not_in(list(rules.FINISHED))
    )
    late = [c for c in cards if rules.is_late(c["state"], as_datetime(c["due_at"]), now)]
    people = await round.today_round(scope, today, now)
    return NeedsNow(
        follow_ups=await round.open_follow_ups(scope),
        asks=sum(1 for c in cards if c["source"] == "self" and c["state"] == "new"),
        late=len(late),
        late_medicine=sum(1 for c in late if c["kind"] == "medicine"),
        to_call=sum(1 for person in people if not person.reached),
    )
