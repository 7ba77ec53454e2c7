"""Log-in, log-out, CSRF and language through HTTP, as a browser does it."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import msgspec

from server.accounts.passwords import hash_password
from server.accounts.tables import LoginAttempt, User, UserSession
from server.app import create_app
from server.demo.seed import COMMUNITY_ID
from server.settings import get_settings
from tests.conftest import browser, csrf, log_in

WORKER = "13800000001"


async def test_login_page_is_chinese_and_lists_demo_accounts_in_demo_mode(client):
    page = await client.get("/login")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert "登录" in page.text and "手机号" in page.text
    assert 'data-testid="demo-accounts"' in page.text


async def test_anonymous_visitor_is_sent_to_log_in_with_the_page_to_return_to(client):
    answer = await client.get("/search?q=张", follow_redirects=False)
    assert answer.status_code == 303
    location = urlsplit(answer.headers["location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == ["/search?q=%E5%BC%A0"]  # decoded once: the URL to return to


async def test_log_in_sets_a_safe_session_cookie_and_returns_to_next(client):
    await client.get("/login")
    answer = await client.post(
        "/login",
        data={
            "phone": WORKER,
            "password": "gridcare-demo",
            "next": "/search",
            "_csrf_token": client.cookies["gc_csrf"],
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/search"
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("gc_session="))
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/" in cookie
    assert "Secure" not in cookie  # demo mode serves plain http on 127.0.0.1
    home = await client.get("/")
    assert home.status_code == 200 and "郭婷" in home.text


async def test_cookies_are_secure_when_configured():
    app = create_app(msgspec.structs.replace(get_settings(), cookie_secure=True))
    async with browser(app, base_url="https://testserver.local") as secure_client:
        answer = await log_in(secure_client, WORKER)
        cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("gc_session="))
        assert "Secure" in cookie


async def test_next_cannot_send_anyone_to_another_site(client):
    await client.get("/login")
    answer = await client.post(
        "/login",
        data={
            "phone": WORKER,
            "password": "gridcare-demo",
            "next": "//evil.example/",
            "_csrf_token": client.cookies["gc_csrf"],
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"


async def test_wrong_password_is_said_in_place_and_logs_nobody_in(client):
    sessions_before = await UserSession.count()
    answer = await log_in(client, WORKER, "wrong-password")
    assert answer.status_code == 401
    assert "手机号或密码不对" in answer.text
    assert f'value="{WORKER}"' in answer.text  # the phone stays filled in
    assert "gc_session" not in client.cookies
    assert await UserSession.count() == sessions_before


async def test_unknown_phone_gets_the_same_message(client):
    answer = await log_in(client, "13312345678", "whatever")
    assert answer.status_code == 401 and "手机号或密码不对" in answer.text


async def test_too_many_failures_are_refused_with_a_clear_message(client):
    phone = "13600000099"
    for _ in range(get_settings().login_max_failures_per_account):
        assert (await log_in(client, phone, "guess")).status_code == 401
    answer = await log_in(client, phone, "guess")
    assert answer.status_code == 429
    assert "这个号码错误次数太多" in answer.text and "15" in answer.text


async def test_missing_csrf_token_is_refused_and_changes_nothing(client):
    await client.get("/login")
    attempts_before = await LoginAttempt.count()
    answer = await client.post("/login", data={"phone": WORKER, "password": "gridcare-demo"}, follow_redirects=False)
    assert answer.status_code == 403
    assert "页面已过期" in answer.text
    assert await LoginAttempt.count() == attempts_before
    assert "gc_session" not in client.cookies


async def test_wrong_csrf_token_is_refused(client):
    assert (await log_in(client, WORKER)).status_code == 303
    answer = await client.post("/logout", headers={"x-csrftoken": "forged"}, follow_redirects=False)
    assert answer.status_code == 403
    assert (await client.get("/", follow_redirects=False)).status_code == 200  # still logged in


async def test_tampered_session_cookie_counts_as_logged_out(client):
    assert (await log_in(client, WORKER)).status_code == 303
    client.cookies.set("gc_session", client.cookies["gc_session"][:-2] + "xx")
    answer = await client.get("/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    api = await client.get("/api/v1/me")
    assert api.status_code == 401 and api.json()["detail"]


async def test_log_out_ends_the_session_in_the_database(client):
    await log_in(client, WORKER)
    token = client.cookies["gc_session"]
    sessions_before = await UserSession.count()
    answer = await client.post("/logout", headers=csrf(client), follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert await UserSession.count() == sessions_before - 1
    client.cookies.set("gc_session", token)  # an old cookie replayed
    assert (await client.get("/", follow_redirects=False)).status_code == 303


async def test_htmx_request_without_session_is_redirected_whole(client):
    answer = await client.get("/search?q=张", headers={"HX-Request": "true"}, follow_redirects=False)
    assert answer.headers["HX-Redirect"].startswith("/login?next=")


async def test_language_switch_is_remembered(client):
    await client.get("/login")
    answer = await client.post(
        "/language",
        data={"lang": "en", "next": "/login", "_csrf_token": client.cookies["gc_csrf"]},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    page = await client.get("/login")
    assert '<html lang="en">' in page.text and "Phone number" in page.text
    assert (await log_in(client, WORKER, "nope")).text.count("Wrong phone number or password.") == 1


async def test_unknown_language_is_refused(client):
    await client.get("/login")
    answer = await client.post(
        "/language", data={"lang": "xx", "_csrf_token": client.cookies["gc_csrf"]}, follow_redirects=False
    )
    assert answer.status_code == 400
    assert "gc_lang" not in client.cookies


async def test_pages_about_residents_are_not_kept_by_the_browser(client):
    await log_in(client, WORKER)
    for url in ("/", "/search?q=王", "/api/v1/me"):
        answer = await client.get(url)
        assert answer.headers["cache-control"] == "no-store", url
        assert answer.headers["x-frame-options"] == "DENY" and answer.headers["x-content-type-options"] == "nosniff"
    logout = await client.post("/logout", headers=csrf(client), follow_redirects=False)
    assert logout.headers["clear-site-data"] == '"cache"'


async def test_an_expired_session_on_a_form_returns_to_the_home_page_after_log_in(client):
    await client.get("/login")
    answer = await client.post("/logout", headers=csrf(client), follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"  # no ?next= to a form's URL


async def test_a_wrong_method_is_answered_in_the_persons_language(client):
    await log_in(client, WORKER)
    answer = await client.get("/logout")
    assert answer.status_code == 405 and "没有办成" in answer.text and "Method Not Allowed" not in answer.text


async def test_a_log_in_on_a_phone_ends_the_session_that_phone_had_before(app):
    async with browser(app) as phone:
        await log_in(phone, "13900000004")
        first = phone.cookies["gc_session"]
        assert (await log_in(phone, "13900000005")).status_code == 303  # someone else, on the same phone
        second = phone.cookies["gc_session"]
        assert (await log_in(phone, "13900000005")).status_code == 303  # and again, the same person
    for token in (first, second):
        async with browser(app) as other:
            other.cookies.set("gc_session", token)
            assert (await other.get("/api/v1/me")).status_code == 401  # not a session somewhere any more


async def test_correct_log_ins_at_the_same_moment_from_one_address_all_get_in():
    """A community's workers behind one NAT log in together at 8:00 (issue 15, item 6): with the real limits, 32
    right passwords at once from one address all get in, none is counted as a failure, and the address is not
    locked afterwards."""
    limits = msgspec.structs.replace(
        get_settings(), login_max_failures_per_address=20, login_max_failures_per_account=5
    )
    app = create_app(limits)
    address = f"10.99.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"  # one NAT, this test's own
    stored = hash_password("eight-oclock")
    phones = []
    for n in range(8):  # eight workers, each logging in on four phones at once
        phone = "1" + str(uuid.uuid4().int)[:10]
        await User(
            community=COMMUNITY_ID,
            phone=phone,
            name=f"早班{n}",
            role="volunteer",
            password_hash=stored,
            created_at=datetime.now(UTC),
        ).save()
        phones.append(phone)

    async def one(n: int) -> int:
        transport = httpx.ASGITransport(app=app, client=(address, 40000 + n))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as phone:
            await phone.get("/login")
            answer = await phone.post(
                "/login",
                data={"phone": phones[n % 8], "password": "eight-oclock", "_csrf_token": csrf(phone)["x-csrftoken"]},
                follow_redirects=False,
            )
            return answer.status_code

    codes = await asyncio.gather(*(one(n) for n in range(32)))
    assert codes == [303] * 32
    assert (
        await LoginAttempt.count().where((LoginAttempt.address == address) & (LoginAttempt.outcome != "succeeded")) == 0
    )
    assert await one(0) == 303  # the address is not locked


async def test_many_log_ins_at_once_never_check_more_passwords_at_once_than_the_bound(monkeypatch):
    """A stranger's 80 log-ins at once took the server to 1.9 GB: each argon2 check holds 64 MiB, and up to 40 ran
    at once (issue 15, F1). The checks running at the same moment are counted by wrapping the real check: never more
    than passwords.CHECKS, and every right password still gets in, one after another."""
    from server.accounts import passwords

    monkeypatch.setattr(passwords, "CHECKS", 2, raising=False)
    monkeypatch.setattr(passwords, "_limiter", None, raising=False)
    real = passwords.verify_password
    lock = threading.Lock()
    running = {"now": 0, "most": 0, "calls": 0}

    def counted(password_hash, password):
        with lock:
            running["now"] += 1
            running["calls"] += 1
            running["most"] = max(running["most"], running["now"])
        try:
            time.sleep(0.05)  # holds the check open, as a slow core does: checks made at once overlap here
            return real(password_hash, password)
        finally:
            with lock:
                running["now"] -= 1

    monkeypatch.setattr(passwords, "verify_password", counted)
    limits = msgspec.structs.replace(
        get_settings(), login_max_failures_per_address=20, login_max_failures_per_account=5
    )
    app = create_app(limits)
    stored = hash_password("eight-oclock")
    phones = []
    for n in range(8):
        phone = "1" + str(uuid.uuid4().int)[:10]
        await User(
            community=COMMUNITY_ID,
            phone=phone,
            name=f"早班{n}",
            role="volunteer",
            password_hash=stored,
            created_at=datetime.now(UTC),
        ).save()
        phones.append(phone)

    async def one(n: int, right: bool) -> int:
        address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{n % 250}"  # each its own address
        transport = httpx.ASGITransport(app=app, client=(address, 40000 + n))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as phone:
            await phone.get("/login")
            answer = await phone.post(
                "/login",
                data={
                    "phone": phones[n % 8] if right else "1" + str(uuid.uuid4().int)[:10],
                    "password": "eight-oclock" if right else "nope",
                    "_csrf_token": csrf(phone)["x-csrftoken"],
                },
                follow_redirects=False,
            )
            return answer.status_code

    codes = await asyncio.gather(*(one(n, right=n % 2 == 0) for n in range(24)))
    assert codes == [303 if n % 2 == 0 else 401 for n in range(24)]
    assert running["calls"] == 24
    assert running["most"] == 2


async def test_a_log_in_that_waits_too_long_for_its_check_is_told_the_server_is_busy(client, monkeypatch):
    """Log-ins past the queue are told in words to try again in a moment (503), nothing checked nor counted, rather
    than waiting without end behind a flood."""
    from server.accounts import passwords

    monkeypatch.setattr(passwords, "CHECKS", 1)
    monkeypatch.setattr(passwords, "_limiter", None, raising=False)
    monkeypatch.setattr(passwords, "WAIT_SECONDS", 0.01)
    failed = LoginAttempt.count().where((LoginAttempt.phone == WORKER) & (LoginAttempt.outcome == "failed"))
    failures = await failed
    slots = passwords.limiter()
    await slots.acquire()  # every check is taken (by a flood of others)
    try:
        await client.get("/login")
        answer = await client.post(
            "/login",
            data={"phone": WORKER, "password": "gridcare-demo", "_csrf_token": csrf(client)["x-csrftoken"]},
            follow_redirects=False,
        )
    finally:
        slots.release()
    assert answer.status_code == 503
    assert "现在登录的人多，请稍等一会儿再试。" in answer.text
    assert (
        await LoginAttempt.count().where((LoginAttempt.phone == WORKER) & (LoginAttempt.outcome == "failed"))
        == failures
    )  # not counted as a wrong password
    await client.get("/login")
    again = await client.post(
        "/login",
        data={"phone": WORKER, "password": "gridcare-demo", "_csrf_token": csrf(client)["x-csrftoken"]},
        follow_redirects=False,
    )
    assert again.status_code == 303  # once a check is free, the same person gets in
