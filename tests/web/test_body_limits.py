"""A request that takes no file is refused past 1 MB or 2,000 fields before anything parses it (issue 15): a 9.5 MB
form of 2.4 million fields sent to /login, without logging in, stopped the whole server. Without a session, a public
form is refused past 16 KB (server.web.anonymous; tests/web/test_anonymous_bodies.py). The largest body a phone
sends (a sync batch of 100 writes at their longest) still fits."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest

from server.demo.seed import STORY_RESIDENT_IDS
from server.web.bodies import MAX_BODY, MAX_FIELDS
from tests.conftest import csrf, log_in

WORKER = "13800000002"
TOO_LARGE = "提交的内容太大了（最多 1 MB）。"
ANONYMOUS_TOO_LARGE = "这个表单太大了（最多 16 KB）。"
TOO_MANY = "这张表单的栏目太多了（最多 2,000 个）。"
FORM = {"content-type": "application/x-www-form-urlencoded"}
BOUNDARY = "gridcare-limits"


async def test_a_huge_form_sent_without_logging_in_is_refused_from_its_length(client):
    """The stranger's 9.5 MB of a=1&a=1... to /login: refused from its Content-Length, never parsed."""
    await client.get("/login")
    answer = await client.post("/login", content=b"&".join([b"a=1"] * 2_400_000), headers=FORM)
    assert answer.status_code == 413 and ANONYMOUS_TOO_LARGE in answer.text and "<html" in answer.text


async def test_a_huge_form_sent_by_someone_logged_in_is_refused_from_its_length(client):
    await log_in(client, WORKER)
    answer = await client.post("/language", content=b"&".join([b"a=1"] * 2_400_000), headers={**FORM, **csrf(client)})
    assert answer.status_code == 413 and TOO_LARGE in answer.text and "<html" in answer.text


async def test_a_huge_form_sent_in_chunks_is_refused_as_it_streams(client):
    """No Content-Length: counted as it arrives, refused once past the limit (the rest is never read)."""
    sent = []

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            sent.append(64 * 1024)
            yield b"a=1&" * (16 * 1024)

    await client.get("/login")
    answer = await client.post("/login", content=chunks(), headers=FORM)
    assert answer.status_code == 413 and ANONYMOUS_TOO_LARGE in answer.text
    assert sum(sent) < 2 * MAX_BODY
    await log_in(client, WORKER)
    sent.clear()
    answer = await client.post("/language", content=chunks(), headers={**FORM, **csrf(client)})
    assert answer.status_code == 413 and TOO_LARGE in answer.text
    assert sum(sent) < 2 * MAX_BODY


@pytest.mark.parametrize("path", ["/login", "/join/", "/language"])
async def test_a_form_of_too_many_fields_is_refused_before_it_is_parsed(client, path):
    """12 KB of fields: small, but 250,000 of them took 4 s to parse in the event loop."""
    await client.get("/login")
    token = client.cookies["gc_csrf"]
    form = b"&".join([b"a=1"] * MAX_FIELDS) + b"&_csrf_token=" + token.encode()
    answer = await client.post(path, content=form, headers=FORM)
    assert answer.status_code == 413 and TOO_MANY in answer.text


async def test_a_multipart_form_of_too_many_parts_is_refused(client):
    await log_in(client, WORKER)  # without a session, its 120 KB would be refused as too large (16 KB)
    parts = b"".join(
        b'--%s\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n' % (BOUNDARY.encode(), n)
        for n in range(MAX_FIELDS + 1)
    )
    answer = await client.post(
        "/join/",
        content=parts + f"--{BOUNDARY}--\r\n".encode(),
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert answer.status_code == 413 and TOO_MANY in answer.text


async def test_a_json_body_past_the_limit_is_refused_in_json(client):
    await log_in(client, WORKER)
    answer = await client.post(
        "/api/v1/sync", content=b" " * (MAX_BODY + 1), headers={**csrf(client), "content-type": "application/json"}
    )
    assert answer.status_code == 413 and answer.json()["detail"] == TOO_LARGE


async def test_the_largest_batch_a_phone_sends_fits(client):
    """100 writes (outbox.js), each with two texts of 500 characters written the longest way JSON can (\\uXXXX)."""
    await log_in(client, WORKER)
    resident, today = str(STORY_RESIDENT_IDS["张国强"]), date.today().isoformat()
    longest = "\\u4e00" * 500
    write = (
        '{"id":"%s","kind":"checkin.outcome","device_time":"%s","payload":{"resident_id":"%s","outcome":"needs",'
        '"day":"%s","need":"%s","note":"%s"}}'
    )
    now = datetime.now(UTC).isoformat()
    writes = [write % (uuid.uuid4(), now, resident, today, longest, longest) for _ in range(100)]
    body = ('{"writes":[' + ",".join(writes) + "]}").encode()
    assert 600_000 < len(body) < MAX_BODY
    answer = await client.post(
        "/api/v1/sync", content=body, headers={**csrf(client), "content-type": "application/json"}
    )
    assert answer.status_code == 200, answer.text
    assert {a["status"] for a in answer.json()["answers"]} == {"accepted"}


@pytest.mark.parametrize(
    ("path", "content_type", "start"),
    [
        ("/login", "application/x-www-form-urlencoded", b"phone=13800000000&password=gri"),
        ("/join", "multipart/form-data; boundary=x", b'--x\r\ncontent-disposition: form-data; name="code"\r\n\r\n12'),
    ],
)
async def test_a_form_cut_off_mid_body_without_logging_in_is_one_info_line(app, caplog, path, content_type, start):
    """A stranger's review: each POST abandoned mid-body was logged as an unexpected error with its traceback
    (1.6 KB each, no log-in needed): anyone could fill the log. It is the network's doing: one line, at info."""
    import logging

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver.local"), (b"content-type", content_type.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver.local", 80),
    }
    arriving = [{"type": "http.request", "body": start, "more_body": True}]

    async def receive():
        return arriving.pop(0) if arriving else {"type": "http.disconnect"}

    sent = []

    async def send(message):
        sent.append(message)

    with caplog.at_level(logging.INFO):
        await app(scope, receive, send)
    errors = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert errors == [], [record.getMessage() for record in errors]
    assert not sent or sent[0]["status"] < 500
