"""Crafted requests get a clear 4xx in the person's language, never a 500 with a traceback (issue 15), some of them
before anyone logs in: text that is not UTF-8, a NUL character anywhere, bodies past their limit, impossible dates."""

from __future__ import annotations

import uuid

import pytest

from server.demo.seed import demo_uuid
from server.guides.tables import Guide
from tests.conftest import csrf, log_in

WORKER = "13800000002"
ADMIN = "13800000000"
BOUNDARY = "gridcare-crafted"
UNREADABLE = "提交的文字读不出来。请刷新页面再试。"
NUL = "输入里有无法保存的字符。请删掉后再试。"


def multipart(fields: dict[str, bytes], token: str) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
        for name, value in {**fields, "_csrf_token": token.encode()}.items()
    ]
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


async def post_multipart(client, path: str, fields: dict[str, bytes], with_header: bool):
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    if with_header:
        headers.update(csrf(client))
    return await client.post(path, content=multipart(fields, client.cookies["gc_csrf"]), headers=headers)


async def some_guide() -> uuid.UUID:
    return (await Guide.select(Guide.id).first())["id"]


@pytest.mark.parametrize("who", [None, WORKER])
@pytest.mark.parametrize("with_header", [False, True], ids=["token in the form", "token in the header"])
async def test_a_multipart_field_that_is_not_utf8_is_refused_in_words(client, who, with_header):
    """Litestar's form parser raised UnicodeDecodeError, in the CSRF check before any handler: a 500 on /login."""
    await client.get("/login")
    if who:
        await log_in(client, who)
    paths = ["/login", "/join", "/api/v1/sync", "/reconcile/preview", "/register/import/preview", "/language"]
    paths += [f"/guides/{await some_guide()}/steps", f"/errands/{uuid.uuid4()}/photos"]
    for path in paths:
        answer = await post_multipart(client, path, {"phone": b"\xff\xfe138", "text": b"\xc3\x28"}, with_header)
        assert answer.status_code < 500, (path, answer.status_code)
        if answer.status_code == 400:
            assert UNREADABLE in answer.text, path
        else:  # refused before the form was read: the CSRF token, or log in first (303 to /login, 401 on the API)
            assert answer.status_code in (303, 401, 403), (path, answer.status_code)
    answer = await post_multipart(client, "/login", {"phone": b"\xff\xfe138"}, with_header)
    assert answer.status_code == 400 and UNREADABLE in answer.text and "<html" in answer.text


async def test_a_nul_anywhere_is_refused_at_the_edge(client):
    """PostgreSQL refuses NUL in text: a %00 in a search, a guide link or a form answered 500 on PostgreSQL."""
    await client.get("/login")
    login = await client.post(
        "/login", data={"phone": "138\x00", "password": "x", "_csrf_token": client.cookies["gc_csrf"]}
    )
    assert login.status_code == 400 and NUL in login.text
    assert (await client.get("/g/abc%00def")).status_code == 400
    await log_in(client, WORKER)
    for url in ("/search?q=%E5%BC%A0%00", "/api/v1/residents?q=%00", "/round?x=%00"):
        answer = await client.get(url)
        assert answer.status_code == 400 and NUL in answer.text, url
    assert (await client.get("/api/v1/residents?q=%00")).json()["detail"] == NUL
    step = await post_multipart(client, f"/guides/{await some_guide()}/steps", {"text": b"a\x00b"}, True)
    assert step.status_code == 400 and NUL in step.text


async def test_a_body_past_a_routes_limit_says_that_limit(client):
    await client.get("/login")
    answer = await client.post(
        "/login",
        content=b"phone=" + b"1" * 1_048_577,
        headers={"content-type": "application/x-www-form-urlencoded", **csrf(client)},
    )
    # Without a session, a public form's own limit (server.web.anonymous); signed in, the 1 MB of any request.
    assert answer.status_code == 413 and "这个表单太大了（最多 16 KB）。" in answer.text
    await log_in(client, WORKER)
    answer = await client.post(
        "/language",
        content=b"lang=" + b"1" * 1_048_577,
        headers={"content-type": "application/x-www-form-urlencoded", **csrf(client)},
    )
    assert answer.status_code == 413 and "提交的内容太大了（最多 1 MB）。" in answer.text


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
async def test_the_audit_log_filtered_by_an_impossible_day_is_answered(client, day):
    await log_in(client, ADMIN)
    answer = await client.get(f"/audit?day={day}")
    assert answer.status_code == 200


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
async def test_a_sweep_on_an_impossible_day_is_refused_in_place(client, day):
    await log_in(client, WORKER)
    answer = await client.post(
        "/sweeps/",
        data={
            "name": "某天",
            "day": day,
            "building_ids": str(demo_uuid("building", "2")),
            "_csrf_token": client.cookies["gc_csrf"],
        },
        follow_redirects=False,
    )
    assert answer.status_code == 400 and 'name="day"' in answer.text
