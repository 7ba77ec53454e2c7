"""Today's round on a grid worker's phone without signal: the whole numbers of the people to call, handed over
once while there is signal and logged as such (docs/decisions/0010-round-numbers-offline.md). Knows nothing of HTTP.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.access.scope import CurrentUser, Scope
from server.audit.services import record_read
from server.register.round import round_people

AUDIT_ACTION = "round.phones_offline"


def offline_key(user_id: uuid.UUID, day: date, resident_ids: list[uuid.UUID]) -> str:
    """Names one hand-over: this user, this day, these people. The round page carries it, so that the phone fetches
    the numbers again only when the round changed (no second copy, no second log entry for the same numbers).
    Built from ids only: a hash of phone numbers could be reversed by trying every number."""
    text = f"{user_id}:{day.isoformat()}:" + ",".join(sorted(map(str, resident_ids)))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


async def round_phones(scope: Scope, user: CurrentUser, today: date, timezone: str, address: str = "") -> dict | None:
    """The numbers of the grid worker's round today, for the phone to keep until the day ends; the hand-over is
    one audit entry with the count. None for anyone but a grid worker: admins work at a desk, and volunteers and
    residents never see the register."""
    if user.role != "grid_worker":
        return None
    numbers = {str(r["resident"]): r["phone"] for r in await round_people(scope) if r["phone"]}
    await record_read(user, AUDIT_ACTION, "round", str(len(numbers)), address)
    end = datetime.combine(today + timedelta(days=1), time(), tzinfo=ZoneInfo(timezone))
    return {
        "user": str(user.id),
        "day": today.isoformat(),
        "until": int(end.timestamp() * 1000),  # the phone drops them when the community's day is over
        "key": offline_key(user.id, today, [uuid.UUID(i) for i in numbers]),
        "phones": numbers,
    }
