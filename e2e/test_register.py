"""The daily round of calls and a resident's profile, at phone size, online and offline."""

from __future__ import annotations

import sqlite3

from playwright.sync_api import Page, expect

from e2e.pages import assert_phone_layout, wait_until_controlled

WORKER = "13800000002"  # 李雪敏, grid 2: 侯奶奶 lives alone in building 2


def _calls(live_server, name: str) -> list[str]:
    with sqlite3.connect(live_server.db_path) as db:
        return [
            row[0]
            for row in db.execute(
                "SELECT c.outcome FROM check_in c JOIN resident r ON c.resident = r.id WHERE r.name = ? ORDER BY c.seq",
                (name,),
            )
        ]


def test_the_round_online_and_offline_then_the_profile(page_as, live_server) -> None:
    worker: Page = page_as(WORKER)
    worker.goto("/")
    worker.get_by_role("link", name="打开今日电话").click()
    rows = worker.get_by_test_id("round-row")
    expect(rows.first).to_contain_text("一号专线")  # the priority line first
    hou = rows.filter(has_text="侯秀兰")
    expect(hou).to_contain_text("独居")
    assert_phone_layout(worker, "round")
    hou.get_by_role("button", name="未接", exact=True).click()
    # Saved on the phone first (the label and "waiting to send" appear together), then sent at once.
    expect(hou.locator("[data-outbox-label]")).to_have_text("未接")
    expect(hou.locator("[data-outbox-pending]")).to_be_hidden()
    assert _calls(live_server, "侯秀兰") == ["no_answer"]

    wait_until_controlled(worker)
    worker.reload()  # the worker keeps a copy of the round for the street
    worker.context.set_offline(True)
    worker.reload()
    hou = worker.get_by_test_id("round-row").filter(has_text="侯秀兰")
    hou.get_by_role("button", name="平安", exact=True).click()
    expect(hou).to_contain_text("待同步")
    expect(worker.get_by_test_id("outbox-count")).to_have_text("1")
    worker.context.set_offline(False)  # the online event (or Background Sync) sends it
    expect(worker.get_by_test_id("outbox-status")).to_be_hidden()
    assert _calls(live_server, "侯秀兰") == ["no_answer", "ok"]

    worker.goto("/round")
    hou = worker.get_by_test_id("round-row").filter(has_text="侯秀兰")
    hou.get_by_role("link", name="侯秀兰").click()
    profile = worker.get_by_test_id("profile")
    expect(profile).to_contain_text("降压药")
    worker.get_by_test_id("contacts").get_by_test_id("show-phone").first.click()
    expect(worker.get_by_test_id("call-link")).to_have_attribute("href", __import__("re").compile(r"^tel:\d{11}$"))
    assert_phone_layout(worker, "profile")
    worker.get_by_test_id("edit-profile").click()
    worker.get_by_label("出生日期").fill("1941-02-30")
    worker.get_by_test_id("save-profile").click()
    expect(worker.get_by_test_id("error-birth_date")).to_be_visible()
    assert_phone_layout(worker, "profile-edit-error")
