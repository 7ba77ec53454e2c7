"""Log-in: a wrong password is said in words on the same page; a right one leads where the person was going."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.pages import HouseholdPage, LoginPage, path_of, session_token


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
