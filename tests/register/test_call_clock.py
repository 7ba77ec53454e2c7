"""Calls from phones whose clocks are wrong fall into place on the round and the resident's calls (issue 16, a
stranger's walk: a phone 12 minutes fast put its 未接 after a later 平安). Decision 0032: the phone sends its own
'now' with each batch, and the server moves the batch's times by the difference, never past its own now."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import msgspec

from server.register.tables import CheckIn, FollowUp
from server.settings import Settings
from server.sync.services import on_server_clock
from tests.conftest import csrf, log_in
from tests.register.test_call_history import OUTCOME, calls_of
from tests.register.test_round import quiet_round  # noqa: F401 (a fixture)
from tests.register.test_routes import HOU_WORKER, round_rows

SLACK = timedelta(seconds=5)  # between the test's clock and the server's, in one process: no timing is measured


async def send(client, sent_at: datetime | None, *calls: tuple[uuid.UUID, str, datetime]) -> list[uuid.UUID]:
    """One batch from a phone: each call (who, outcome, the phone's time as it was made), and the phone's clock."""
    ids = [uuid.uuid4() for _ in calls]
    day = Settings().today().isoformat()
    batch = {
        "writes": [
            {
                "id": str(write_id),
                "kind": "checkin.outcome",
                "device_time": made.isoformat(),
                "payload": {"resident_id": str(resident), "outcome": outcome, "day": day},
            }
            for write_id, (resident, outcome, made) in zip(ids, calls, strict=True)
        ],
        **({"sent_at": sent_at.isoformat()} if sent_at else {}),
    }
    answer = await client.post(
        "/api/v1/sync", content=msgspec.json.encode(batch), headers={**csrf(client), "content-type": "application/json"}
    )
    assert [a["status"] for a in answer.json()["answers"]] == ["accepted"] * len(calls), answer.text
    return ids


async def made(write_id: uuid.UUID) -> datetime:
    row = await CheckIn.select(CheckIn.device_time).where(CheckIn.id == write_id).first()
    return row["device_time"].astimezone(UTC)


async def outcomes_newest_first(client, resident: uuid.UUID) -> list[str]:
    page = (await client.get(f"/residents/{resident}/calls")).text
    words = {word: key for key, word in OUTCOME.items()}
    return [next(words[w] for w in words if w in call) for call in calls_of(page)]


async def test_calls_from_a_fast_phone_and_a_slow_one_are_placed_by_when_they_were_made(client, quiet_round):  # noqa: F811
    await log_in(client, HOU_WORKER)
    someone = quiet_round[0]
    now = datetime.now(UTC).replace(microsecond=0)
    # Her own phone, its clock right: 平安 five minutes ago, sent now.
    [ok] = await send(client, now, (someone, "ok", now - timedelta(minutes=5)))
    # A borrowed phone 12 minutes fast, without signal until now: 未接 made a quarter of an hour ago (its clock said
    # three minutes ago), sent now (its clock says twelve minutes from now).
    fast = timedelta(minutes=12)
    [missed] = await send(client, now + fast, (someone, "no_answer", now - timedelta(minutes=15) + fast))
    assert abs(await made(missed) - (now - timedelta(minutes=15))) < SLACK
    assert abs(await made(ok) - (now - timedelta(minutes=5))) < SLACK
    # The 平安 came after the 未接: the calls list it first.
    assert await outcomes_newest_first(client, someone) == ["ok", "no_answer"]

    # A phone an hour slow: 未接 two minutes ago (its clock: an hour and two minutes ago), then 身体不适 a minute ago,
    # in one batch: both fall after the 平安, in the order they were made.
    slow = timedelta(hours=1)
    first, second = await send(
        client,
        now - slow,
        (someone, "no_answer", now - timedelta(minutes=2) - slow),
        (someone, "unwell", now - timedelta(minutes=1) - slow),
    )
    assert abs(await made(first) - (now - timedelta(minutes=2))) < SLACK
    assert await made(first) < await made(second)
    assert await outcomes_newest_first(client, someone) == ["unwell", "no_answer", "ok", "no_answer"]


async def test_a_time_never_lands_after_the_server_had_the_call(client, quiet_round):  # noqa: F811
    """A phone whose clock was put back between the call and the sending: its call is not believed in the future."""
    await log_in(client, HOU_WORKER)
    now = datetime.now(UTC).replace(microsecond=0)
    [ahead] = await send(client, now - timedelta(hours=2), (quiet_round[1], "ok", now))
    row = await CheckIn.select(CheckIn.device_time, CheckIn.received_at).where(CheckIn.id == ahead).first()
    assert row["device_time"] <= row["received_at"]


def test_the_shift_keeps_order_and_gaps_and_stops_at_now():
    now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    fast = now + timedelta(minutes=12)
    times = [now - timedelta(minutes=m) + timedelta(minutes=12) for m in (30, 20, 10)]
    assert [on_server_clock(t, fast, now) for t in times] == [now - timedelta(minutes=m) for m in (30, 20, 10)]
    assert on_server_clock(now + timedelta(hours=1), now, now) == now
    assert on_server_clock(now - timedelta(minutes=3), None, now) == now - timedelta(minutes=3)  # an older page
    assert on_server_clock(now, datetime(1, 1, 1, tzinfo=UTC), now) == now  # no phone's clock


async def test_the_row_follows_the_call_made_last_not_the_one_that_arrived_last(client, quiet_round):  # noqa: F811
    """A stranger's walk (issue 16): phone A's 未接, made without signal, synced after phone B's 平安 made later; the
    row read 未接 · 1次未接 · 再打 and stayed counted to call, with no clock wrong anywhere (decision 0034)."""
    await log_in(client, HOU_WORKER)
    someone = quiet_round[0]
    now = datetime.now(UTC).replace(microsecond=0)
    await send(client, now, (someone, "ok", now - timedelta(minutes=1)))  # phone B, online
    await send(client, now, (someone, "no_answer", now - timedelta(minutes=3)))  # phone A, back in signal
    page = (await client.get("/round")).text
    classes, row = next((c, r) for c, r in round_rows(page) if f'href="/residents/{someone}/profile"' in r)
    assert "door-done" in classes.split() and "平安" in row and "次未接" not in row
    left = int(re.search(r"data-round-left>(\d+)<", page).group(1))
    assert left == len(quiet_round) - 1
    # The page knows every call that arrived (the last seq), and when the call it shows was made: a call this phone
    # sent later is laid over the row only if made after it (marks.js).
    seqs = [r["seq"] for r in await CheckIn.select(CheckIn.seq).where(CheckIn.resident == someone)]
    tag = re.search(rf'<li [^>]*id="c-{someone}"[^>]*>', page).group(0)
    assert f'data-outbox-seq="{max(seqs)}"' in tag
    assert f'data-made-at="{int((now - timedelta(minutes=1)).timestamp() * 1000)}"' in tag


async def test_misses_count_and_open_a_card_from_the_last_answer_in_the_order_made(client, quiet_round):  # noqa: F811
    await log_in(client, HOU_WORKER)
    a, b = quiet_round[1], quiet_round[2]
    now = datetime.now(UTC).replace(microsecond=0)
    # Two misses made before someone answered, arriving after the answer: the person was reached; no card.
    await send(client, now, (a, "ok", now - timedelta(minutes=10)))
    await send(
        client, now, (a, "no_answer", now - timedelta(minutes=40)), (a, "no_answer", now - timedelta(minutes=30))
    )
    assert not await FollowUp.exists().where(FollowUp.resident == a)
    # Answered early in the morning, then two misses since, the answer arriving last: nobody has reached them since
    # the two misses; a card goes out, and the row says two missed calls (on main: the row read 平安, no card).
    await send(
        client, now, (b, "no_answer", now - timedelta(minutes=40)), (b, "no_answer", now - timedelta(minutes=30))
    )
    await send(client, now, (b, "ok", now - timedelta(hours=2)))
    assert await FollowUp.exists().where(FollowUp.resident == b)
    row = next(r for _, r in round_rows((await client.get("/round")).text) if f"/residents/{b}/profile" in r)
    assert "2次未接" in row
