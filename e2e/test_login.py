"""Log-in: a wrong password is said in words on the same page; a right one leads where the person was going."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing

from playwright.sync_api import Page, expect

from e2e.pages import HouseholdPage, LoginPage, assert_phone_layout, path_of, session_token


def test_wrong_password_shows_the_message_in_place(page: Page, db) -> None:
    account = "13800000004"
    failures_before = db.failed_logins(account)
    sessions_before = db.sessions_of(account)
    login = LoginPage(page).open()
    expect(login.demo_accounts).to_be_visible()

    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        login.submit(account, "not-the-password")
    assert answer.value.status == 401

    expect(login.error).to_contain_text("手机号或密码不对")
    expect(login.error).to_have_attribute("role", "alert")
    assert path_of(page) == "/login"
    expect(login.phone_input).to_have_value(account)  # kept, so only the password is typed again
    expect(login.password_input).to_have_value("")
    expect(login.password_input).to_be_focused()
    assert not [c for c in page.context.cookies() if c["name"] == "gc_session"]
    assert db.failed_logins(account) == failures_before + 1
    assert db.sessions_of(account) == sessions_before


def test_log_in_returns_to_the_page_asked_for(page: Page, db, demo) -> None:
    page.goto(f"/households/{demo.household_2_1_301}")
    assert path_of(page) == "/login"
    LoginPage(page).log_in_as("13800000002")
    assert path_of(page) == f"/households/{demo.household_2_1_301}"
    expect(HouseholdPage(page).resident("张国强")).to_be_visible()
    assert db.session_owner(session_token(page)) == "13800000002"


def test_her_own_phone_logs_her_in_while_strangers_have_locked_her_number(new_context, own_server) -> None:
    """A right password makes the phone known for the account (docs/decisions/0026): a cookie no script reads, only
    its hash on the server; five strangers' wrong passwords lock the number for other phones, not for hers."""
    own_server.start()
    worker = "13800000002"
    hers = new_context(base_url=own_server.base_url).new_page()
    LoginPage(hers).open().log_in_as(worker)
    known = next(c for c in hers.context.cookies() if c["name"] == "gc_signin")
    assert known["httpOnly"] and known["sameSite"] == "Lax"
    token_hash = hashlib.sha256(known["value"].split(".")[0].encode()).hexdigest()
    with closing(sqlite3.connect(own_server.db_path, timeout=10)) as db:
        owner = db.execute(
            "SELECT a.phone FROM login_device d JOIN account a ON a.id = d.user WHERE d.token_hash = ?", (token_hash,)
        ).fetchall()
    assert owner == [(worker,)]
    hers.context.clear_cookies(name="gc_session")  # her session ended (the day's 12 hours)

    stranger = new_context(base_url=own_server.base_url).new_page()
    login = LoginPage(stranger).open()
    for _ in range(5):
        login.submit(worker, "not-her-password")
        expect(login.error).to_contain_text("手机号或密码不对")
    login.submit(worker, "not-her-password")
    expect(login.error).to_contain_text("这个号码错误次数太多")
    expect(login.error).to_contain_text("以前登录过的手机")
    assert_phone_layout(stranger, "login-number-locked")

    LoginPage(hers).open().log_in_as(worker)
    assert path_of(hers) == "/"


def test_strangers_wrong_passwords_from_networks_near_hers_are_said_so_in_place(new_context, own_server) -> None:
    """Wrong passwords count per IPv6 /48 too (a stranger's third walk of issue 15: 120 /64s of one /48 kept every
    password check busy). The proxy's X-Forwarded-For is trusted from 127.0.0.1, as behind nginx."""
    own_server.env.update(GRIDCARE_LOGIN_MAX_FAILURES_PER_SITE="2")
    own_server.start()
    for line in range(2):
        stranger = new_context(
            base_url=own_server.base_url, extra_http_headers={"X-Forwarded-For": f"2001:db8:48:{line + 1}::9"}
        ).new_page()
        login = LoginPage(stranger).open()
        login.submit(f"1770000000{line}", "not-a-password")
        expect(login.error).to_contain_text("手机号或密码不对")
    nearby = new_context(
        base_url=own_server.base_url,
        viewport={"width": 360, "height": 740},
        extra_http_headers={"X-Forwarded-For": "2001:db8:48:ff::1"},
    ).new_page()
    login = LoginPage(nearby).open()
    login.submit("13800000002", "gridcare-demo")
    expect(login.error).to_contain_text("附近的网络输错密码太多")
    expect(login.error).to_contain_text("以前登录过的手机")
    assert_phone_layout(nearby, "login-networks-near")
