"""A resident's calls, as their profile lists them: when each was made, by whom, what they said, newest first, a page
at a time (issue 16: the records had neither their time nor who made the call, and a long history made the profile
long). Knows nothing of HTTP; the caller has checked the Scope (services.resident_in_scope) and logged the read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from server.db import as_datetime
from server.register.round import VISIT_NAMESPACE, made_at
from server.register.tables import CheckIn, FollowUp

ON_PROFILE = 8  # the newest calls on the profile itself: about a week of daily calls, one screen
A_PAGE = 20  # older calls, a page at a time


@dataclass(slots=True)
class CallRecord:
    seq: int
    at: datetime  # when the call was made, as the server can trust it (see round.made_at)
    day: date
    outcome: str  # ok / no_answer / unwell / needs
    need: str
    note: str
    caller: str  # the name of the grid worker, admin or volunteer who called (or went to look)
    visit: bool  # the finding of a go-and-look card (someone went to the door), not a call


@dataclass(slots=True)
class CallPage:
    calls: list[CallRecord]
    older: int | None  # the seq to ask for the next page with (before=), None when these are the oldest


async def calls_of(resident_id: uuid.UUID, before: int | None, limit: int) -> CallPage | None:
    """The resident's calls made before the call `before` (its seq; None: from the newest), newest first by when they
    were made (calls sent late from a phone without signal fall into place), at most `limit`. None when `before` is
    not one of this resident's calls."""
    condition = CheckIn.resident == resident_id
    if before is not None:
        cursor = await CheckIn.select(CheckIn.device_time).where(condition & (CheckIn.seq == before)).first()
        if cursor is None:
            return None
        at = as_datetime(cursor["device_time"])
        condition &= (CheckIn.device_time < at) | ((CheckIn.device_time == at) & (CheckIn.seq < before))
    rows = await (
        CheckIn.select(
            CheckIn.seq,
            CheckIn.id,
            CheckIn.day,
            CheckIn.outcome,
            CheckIn.need,
            CheckIn.note,
            CheckIn.device_time,
            CheckIn.received_at,
            CheckIn.caller.name.as_alias("caller_name"),
        )
        .where(condition)
        .order_by(CheckIn.device_time, ascending=False)
        .order_by(CheckIn.seq, ascending=False)
        .limit(limit + 1)
    )
    more = len(rows) > limit
    rows = rows[:limit]
    # A visit's check-in carries an id derived from its card (round.close_follow_up): known without another column.
    cards = await FollowUp.select(FollowUp.id).where((FollowUp.resident == resident_id) & (FollowUp.status == "done"))
    visits = {uuid.uuid5(VISIT_NAMESPACE, str(card["id"])) for card in cards}
    calls = [
        CallRecord(
            seq=row["seq"],
            at=made_at(row),
            day=row["day"],
            outcome=row["outcome"],
            need=row["need"],
            note=row["note"],
            caller=row["caller_name"] or "",
            visit=row["id"] in visits,
        )
        for row in rows
    ]
    return CallPage(calls=calls, older=calls[-1].seq if more else None)
