"""What goes with a grid handed to a colleague, said on the confirm step before the admin hands it over (issue 16:
one tap moved a grid, its round and its cards, with nothing said first). Knows nothing of HTTP."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from server.errands import rules
from server.errands.tables import Errand
from server.register.tables import ElderProfile, FollowUp


@dataclass(frozen=True, slots=True)
class HandoverLoad:
    in_round: int  # elderly residents called every day
    open_cards: int  # errand cards not finished
    follow_ups: int  # go-and-look cards open


async def handover_load(grid_id: uuid.UUID) -> HandoverLoad:
    return HandoverLoad(
        in_round=await ElderProfile.count().where(
            ElderProfile.in_round.eq(True) & (ElderProfile.resident.household.building.grid == grid_id)
        ),
        open_cards=await Errand.count().where((Errand.grid == grid_id) & Errand.state.not_in(list(rules.FINISHED))),
        follow_ups=await FollowUp.count().where((FollowUp.grid == grid_id) & (FollowUp.status == "open")),
    )
