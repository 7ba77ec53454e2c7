"""POST /api/v1/sync against crafted bodies (issue 15): a clear 400 for a body that is no batch, one refused write
(kept) for a write the server cannot read, never a 500; and its body described in the OpenAPI schema."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from server.demo.seed import STORY_RESIDENT_IDS
from server.register.tables import CheckIn
from server.sync.tables import SyncRejection
from tests.conftest import csrf, log_in

VOLUNTEER = "13900000001"
WORKER = "13800000002"  # 李雪敏, grid 2: 张国强 is hers
DEEP = b"[" * 100_000 + b"]" * 100_000


def body(payload: bytes = b"{}", kind: bytes = b"sweep.tick", device_time: bytes = b"", write_id: str = "") -> bytes:
    moment = device_time or datetime.now(UTC).isoformat().encode()
    write_id = write_id or str(uuid.uuid4())
    return (
        b'{"writes":[{"id":"' + write_id.encode() + b'","kind":"' + kind + b'","device_time":"' + moment + b'",'
        b'"payload":' + payload + b"}]}"
    )


async def post(client, data: bytes):
    return await client.post("/api/v1/sync", content=data, headers={**csrf(client), "content-type": "application/json"})


@pytest.mark.parametrize(
    "data",
    [DEEP, b'{"writes":' + DEEP + b"}", body(DEEP), b'{"writes":[{"id":"\xff"}]}', body(kind=b"\xff\xfe"), b"\xff"],
    ids=["nested", "nested writes", "nested payload", "bad utf-8 id", "bad utf-8 kind", "bad utf-8"],
)
async def test_a_body_that_is_no_batch_is_refused_whole_in_json(client, data):
    await log_in(client, VOLUNTEER)
    answer = await post(client, data)
    assert answer.status_code == 400
    assert answer.json()["detail"] == "输入有误，请检查后再试。"


def call(note: bytes = b"", day: date | None = None) -> bytes:
    """A check-in's payload: 张国强 answered, today unless `day`, with a note."""
    resident = str(STORY_RESIDENT_IDS["张国强"]).encode()
    moment = (day or date.today()).isoformat().encode()
    return b'{"resident_id":"%s","outcome":"ok","day":"%s","note":"%s"}' % (resident, moment, note)


@pytest.mark.parametrize(
    ("note", "device_time"),
    [
        (b"\xff\xfe", b""),  # a note that is no UTF-8
        (b"\\u0000", b""),  # a NUL, which PostgreSQL refuses in text
        (b"\\ud800", b""),  # half of a character (a lone surrogate): no text of either database keeps it
        (b"\\udc00\\ud83d", b""),  # both halves, in the wrong order
        (b"", b"0001-01-01T00:00:00+14:00"),  # no date in UTC at all
        (b"", b"9999-12-31T23:59:59-14:00"),
    ],
    ids=["bad utf-8", "nul", "lone surrogate", "halves reversed", "year 1", "year 9999"],
)
async def test_a_write_the_server_cannot_read_is_refused_alone_and_kept(client, note, device_time):
    """Each is a call that would otherwise be stored (the last write shows it), sent with one that is refused."""
    await log_in(client, WORKER)
    refused_id, fine_id = uuid.uuid4(), uuid.uuid4()
    data = body(call(note), b"checkin.outcome", device_time, str(refused_id))
    fine = body(call(b"fine"), b"checkin.outcome", write_id=str(fine_id))
    both = data[: -len(b"]}")] + b"," + fine[len(b'{"writes":[') :]
    answer = await post(client, both)
    assert answer.status_code == 200, answer.text
    assert [(a["status"], a.get("reason")) for a in answer.json()["answers"]] == [
        ("rejected", "invalid"),
        ("accepted", None),
    ]
    kept = await SyncRejection.objects().get(SyncRejection.write_id == refused_id)
    assert kept.reason == "invalid" and "\x00" not in kept.body
    assert not await CheckIn.exists().where(CheckIn.id == refused_id)


async def test_a_phone_whose_clock_was_reset_still_has_its_call_kept(client):
    """1970 is a phone's clock after a reset, not a crafted date: answered with a warning, as any clock far off."""
    await log_in(client, WORKER)
    answer = await post(client, body(call(), b"checkin.outcome", b"1970-01-01T08:00:00+08:00"))
    [result] = answer.json()["answers"]
    assert (result["status"], result.get("warning")) == ("accepted", "device_clock_off")


@pytest.mark.parametrize("day", [date(1, 1, 1), date(9999, 12, 31), date.today() - timedelta(days=40)])
async def test_a_call_on_a_day_far_from_today_is_refused(client, day):
    await log_in(client, WORKER)
    write_id = uuid.uuid4()
    answer = await post(client, body(call(day=day), b"checkin.outcome", write_id=str(write_id)))
    assert [(a["status"], a["reason"]) for a in answer.json()["answers"]] == [("rejected", "invalid")]
    assert not await CheckIn.exists().where(CheckIn.id == write_id)
    assert (await client.get("/round")).status_code == 200


async def test_a_body_past_the_limit_is_answered_with_the_limit(client):
    await log_in(client, VOLUNTEER)
    answer = await post(client, b" " * 1_048_577)
    assert answer.status_code == 413
    assert answer.json()["detail"] == "提交的内容太大了（最多 1 MB）。"


async def test_the_openapi_schema_describes_the_batch(client):
    await log_in(client, WORKER)
    schema = (await client.get("/api/v1/schema/openapi.json")).json()
    body_schema = schema["paths"]["/api/v1/sync"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    write = body_schema["properties"]["writes"]["items"]
    assert set(write["required"]) == {"id", "kind", "device_time", "payload"}
    assert "sweep.tick" in write["properties"]["kind"]["description"]
    payloads = {p.get("title") for p in write["properties"]["payload"]["anyOf"]}
    assert {"TickPayload", "CheckInPayload"} <= payloads
    assert "$ref" not in str(body_schema)  # every name resolved within the document


async def test_half_a_character_outside_a_payload_refuses_the_batch_in_words(client):
    """In a write's kind there is no write to refuse alone: the batch is refused whole, as any malformed one."""
    await log_in(client, WORKER)
    answer = await post(client, body(call(), b"checkin.outcome\\ud800"))
    assert answer.status_code == 400 and answer.json()["detail"] == "输入有误，请检查后再试。"


async def test_a_phone_that_goes_away_while_sending_is_no_server_error(app, client, caplog):
    """Issue 14: a sync request cut off mid-body (the phone lost signal, or gave up on a stalled request) was logged
    as an unexpected error with a traceback. It is the network's doing, not the server's: one line, at info."""
    await log_in(client, VOLUNTEER)
    headers = {**csrf(client), "content-type": "application/json", "host": "testserver.local"}
    headers["cookie"] = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/sync",
        "raw_path": b"/api/v1/sync",
        "root_path": "",
        "query_string": b"",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver.local", 80),
    }
    arriving = [{"type": "http.request", "body": body()[:40], "more_body": True}]

    async def receive():
        return arriving.pop(0) if arriving else {"type": "http.disconnect"}

    sent = []

    async def send(message):
        sent.append(message)

    with caplog.at_level(logging.INFO, logger="gridcare"):
        await app(scope, receive, send)
    said = [(record.levelno, record.getMessage()) for record in caplog.records if record.name == "gridcare"]
    assert said == [(logging.INFO, "client went away during POST /api/v1/sync")]
    assert sent[0]["status"] < 500
