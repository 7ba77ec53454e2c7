"""The limits' clock (attempts._now), moved by a test instead of slept through."""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from server.accounts import attempts
from server.accounts.tables import LoginAttempt


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


@asynccontextmanager
async def fake_clock(monkeypatch):
    """A clock years ahead of every other test's attempts, so that the window holds this test's alone (the limit of
    everyone together counts the whole database); its attempts are deleted afterwards."""
    start = datetime.now(UTC) + timedelta(days=400 + uuid.uuid4().int % 10000)
    fake = Clock(start)
    monkeypatch.setattr(attempts, "_now", fake)
    try:
        yield fake
    finally:
        await LoginAttempt.delete().where(LoginAttempt.at >= start - timedelta(hours=1))
