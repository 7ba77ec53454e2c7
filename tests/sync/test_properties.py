"""Property tests of POST /api/v1/sync (issue 15): whatever a logged-in phone sends, the server answers without a
5xx, and a batch it reads gets one answer per write.

Bodies are made by Hypothesis: batches of writes of every kind the server knows (and kinds it does not), whose
payloads are the real shapes with their fields drawn from any JSON, any text (NUL and all), any id and any time;
and bytes that are barely JSON at all. Examples are few (the suite stays fast); Hypothesis keeps no database here,
so each run draws afresh and over many runs covers more.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.demo.seed import STORY_RESIDENT_IDS, demo_uuid
from server.sweeps.tables import Sweep
from tests.conftest import csrf, log_in

VOLUNTEER = "13900000001"
WORKER = "13800000002"
KINDS = ["sweep.tick", "checkin.outcome", "errand.action", "sweep.ticks", "", "x" * 40]
PROPERTY = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

texts = st.text(max_size=40) | st.sampled_from(["", "\x00", "a\x00b", "\ud7ff", "张国强", " " * 600, "x" * 501])
ids = st.uuids().map(str) | st.sampled_from(
    [str(demo_uuid("household", "2-1-301")), str(STORY_RESIDENT_IDS["张国强"]), "not an id", ""]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
days = (
    st.dates().map(date.isoformat)
    | st.just(date.today().isoformat())
    | st.sampled_from(["0001-01-01", "9999-12-31"])
    | texts
)
times = st.datetimes(
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))])
).map(datetime.isoformat) | st.just(datetime.now(UTC).isoformat())


def shaped(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy:
    """A payload with the real fields (each present or not), each real-looking or anything at all, and maybe more."""
    return st.fixed_dictionaries({}, optional={k: v | json_values for k, v in fields.items()}).flatmap(
        lambda payload: (
            st.dictionaries(texts, json_values, max_size=2).map(lambda extra: {**payload, **extra}) | st.just(payload)
        )
    )


def payloads(sweeps: list[str]) -> st.SearchStrategy:
    sweep_ids = st.sampled_from(sweeps) | ids if sweeps else ids
    tick = shaped(
        {
            "sweep_id": sweep_ids,
            "household_id": ids,
            "outcome": st.sampled_from(["done", "needs_help", "nobody_home", "tested", "away", "x"]),
            "resident_id": ids | st.none(),
            "note": texts,
            "help_needed": texts,
        }
    )
    call = shaped(
        {
            "resident_id": ids,
            "outcome": st.sampled_from(["ok", "needs", "no_answer", "unwell", "x"]),
            "day": days,
            "need": texts,
            "note": texts,
        }
    )
    action = shaped(
        {
            "action": st.sampled_from(["move", "item", "money", "called", "handoff", "x"]),
            "card_id": ids,
            "to": st.sampled_from(["accepted", "buying", "delivered", "confirmed", "cancelled", "x"]),
            "reason": texts,
            "item_id": ids,
            "done": st.sampled_from(["0", "1", "2"]),
            "amount": json_values,
        }
    )
    return tick | call | action | json_values


def writes(sweeps: list[str]) -> st.SearchStrategy:
    """Mostly batches whose writes the server reads (a batch with one unreadable id or time is refused whole, and
    then the kinds and the database behind it would go untried), some with anything in any field."""
    readable = st.fixed_dictionaries(
        {
            "id": st.uuids().map(str),
            "kind": st.sampled_from(KINDS[:3]) | st.sampled_from(KINDS),
            "device_time": times,
            "payload": payloads(sweeps),
        }
    )
    anything = st.fixed_dictionaries(
        {"id": ids, "kind": st.sampled_from(KINDS) | texts, "device_time": times | texts, "payload": json_values},
        optional={"user_id": ids | st.none()},
    )
    batches = (
        st.lists(readable, min_size=1, max_size=4) | st.lists(readable, max_size=1) | st.lists(anything, max_size=2)
    )
    return batches.flatmap(
        lambda made: st.just(made) | st.just(made + made[:1])  # the same write twice, as a resent outbox does
    )


async def demo_sweeps() -> list[str]:
    return [str(row["id"]) for row in await Sweep.select(Sweep.id).limit(3)]


# What no json.dumps makes, done to the bytes of a batch: text that is no UTF-8, a NUL, a payload nested 100,000 deep.
EDITS = st.sampled_from(
    [
        (b"", b""),
        (b'"note": "', b'"note": "\xff\xfe'),
        (b'"reason": "', b'"reason": "\\u0000'),
        (b'"payload": ', b'"payload": ' + b"[" * 100_000 + b"]" * 100_000 + b', "x": '),
    ]
)


def encoded(batch: list[dict], edit: tuple[bytes, bytes]) -> bytes:
    raw = json.dumps({"writes": batch}).encode()
    return raw.replace(edit[0], edit[1], 1) if edit[0] else raw


async def post(client, data: bytes):
    return await client.post("/api/v1/sync", content=data, headers={**csrf(client), "content-type": "application/json"})


@PROPERTY
@given(data=st.data())
async def test_no_batch_a_volunteer_sends_gets_a_5xx(client, data):
    if "gc_session" not in client.cookies:
        await log_in(client, VOLUNTEER)
    batch = data.draw(writes(await demo_sweeps()))
    answer = await post(client, encoded(batch, data.draw(EDITS)))
    assert answer.status_code < 500, answer.text
    if answer.status_code == 200:
        assert len(answer.json()["answers"]) == len(batch)


@PROPERTY
@given(data=st.data())
async def test_no_batch_a_grid_worker_sends_gets_a_5xx(client, data):
    """A grid worker's writes reach the calls of her round and the errand cards of her grid."""
    if "gc_session" not in client.cookies:
        await log_in(client, WORKER)
    batch = data.draw(writes(await demo_sweeps()))
    answer = await post(client, encoded(batch, data.draw(EDITS)))
    assert answer.status_code < 500, answer.text


@PROPERTY
@given(
    raw=st.binary(max_size=200)
    | json_values.map(lambda value: json.dumps(value).encode())
    | st.builds(
        lambda head, cut: head[:cut], st.just(b'{"writes":[{"id":"' + str(uuid.uuid4()).encode()), st.integers(0, 60)
    )
)
async def test_no_body_that_is_barely_json_gets_a_5xx(client, raw):
    if "gc_session" not in client.cookies:
        await log_in(client, VOLUNTEER)
    answer = await post(client, raw)
    assert answer.status_code in (200, 400), answer.text
