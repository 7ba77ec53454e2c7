"""Issue 3's story at phone size: two volunteers join one sweep by its code, work offline on overlapping doors,
and the coordinator sees every tick once and the door they disagree about."""

from __future__ import annotations

import sqlite3

from playwright.sync_api import Page, expect

from e2e.pages import (
    FloorScreen,
    JoinPage,
    NewSweepPage,
    SweepPage,
    assert_phone_layout,
    expect_sent,
    path_of,
    wait_until_controlled,
)

WORKER = "13800000002"  # 李雪敏: building 2 is in her grid
SWEEP = "两人离线扫楼"


def _ticks(live_server) -> list[tuple]:
    with sqlite3.connect(live_server.db_path) as db:
        return db.execute(
            "SELECT t.id, h.door, t.outcome, a.name, t.note FROM sweep_tick t JOIN household h ON t.household = h.id"
            " JOIN account a ON t.volunteer = a.id"
            " WHERE t.sweep IN (SELECT id FROM sweep WHERE name = ?) ORDER BY t.seq",
            (SWEEP,),
        ).fetchall()


def _door_state(live_server, door: str) -> tuple:
    with sqlite3.connect(live_server.db_path) as db:
        return db.execute(
            "SELECT s.outcome, s.conflict, s.ticks FROM door_state s JOIN household h ON s.household = h.id"
            " WHERE h.door = ? AND s.sweep IN (SELECT id FROM sweep WHERE name = ?)",
            (door, SWEEP),
        ).fetchone()


def _volunteer_joins(new_context, code: str, name: str, phone: str) -> Page:
    """A volunteer on their own phone, never logged in: the code, a name and a phone number."""
    page = new_context().new_page()
    sweep = JoinPage(page).join(code, name, phone)
    expect(sweep.who).to_contain_text(name)
    wait_until_controlled(page)
    return page


def test_two_volunteers_join_by_code_go_offline_and_their_disagreement_reaches_the_coordinator(
    page_as, new_context, live_server
) -> None:
    coordinator: Page = page_as(WORKER)
    sweep = NewSweepPage(coordinator).open().create(SWEEP, "2号楼")
    sweep_path = path_of(coordinator)
    code = sweep.make_code()
    assert len(code) == 6 and code.isdigit()
    expect(coordinator.locator(".qr svg")).to_be_visible()  # the QR code for phones that scan
    assert_phone_layout(coordinator, "sweep-invite")

    first = _volunteer_joins(new_context, code, "赵志愿", "15600000001")
    assert_phone_layout(first, "sweep-joined")
    SweepPage(first).claim(1, 3)  # the phone keeps floors 1-3 for the stairwell

    second = _volunteer_joins(new_context, code, "钱志愿", "15600000002")
    taken = SweepPage(second)
    form = taken.unit(1).get_by_test_id("claim-form")
    form.get_by_label("楼层", exact=True).fill("2")
    form.get_by_label("到楼层", exact=True).fill("4")
    form.get_by_test_id("claim-submit").click()
    expect(taken.error).to_contain_text("1–3 层已由 赵志愿 认领")  # said in place, nothing claimed

    # 赵志愿 looks gone (in fact offline in the stairwell): the coordinator hands floors 1-3 to 钱志愿.
    coordinator.goto(sweep_path)
    claim = SweepPage(coordinator).claims().filter(has_text="赵志愿")
    claim.get_by_role("combobox").select_option(label="钱志愿")
    claim.get_by_test_id("claim-reassign").click()
    expect(SweepPage(coordinator).claims().filter(has_text="钱志愿")).to_contain_text("1–3 层")
    second.goto(sweep_path)
    second.wait_for_function("() => document.documentElement.dataset.precached === '3'")

    # Both in the stairwell, no signal. Pages come from the phone; ticks wait in its outbox.
    floor_path = first.evaluate(  # floor 3, as the phone kept it
        "() => JSON.parse(document.querySelector('[data-precache]').getAttribute('data-precache'))[2]"
    )
    for page in (first, second):
        page.context.set_offline(True)
    for page in (first, second):
        page.goto(floor_path)
        expect(page.get_by_test_id("door-row").first).to_be_visible()
    a, b = FloorScreen(first), FloorScreen(second)
    a.tick("2-1-301", "已完成", note="孙子在家，敲门大声点")
    a.tick("2-1-302", "无人应答")
    b.tick("2-1-301", "拒绝")
    b.tick("2-1-303", "已完成")
    expect(a.unsent).to_have_text("2")
    expect(b.unsent).to_have_text("2")
    for page in (first, second):
        page.reload()  # still offline: the queued ticks are shown, not only the server's last state
    expect(a.state("2-1-301")).to_contain_text("已完成")
    expect(a.state("2-1-301")).to_contain_text("待同步")
    expect(b.state("2-1-301")).to_contain_text("拒绝")
    expect(b.unsent).to_have_text("2")
    assert_phone_layout(second, "sweep-floor-offline")
    assert _ticks(live_server) == []

    queued = {w["id"] for page in (first, second) for w in page.evaluate("() => GridcareOutbox.all()")}
    for page in (first, second):
        page.context.set_offline(False)  # the online event replays each outbox
    for screen in (a, b):
        expect_sent(screen.page)

    stored = _ticks(live_server)
    assert {row[0] for row in stored} == queued and len(stored) == 4  # every tick, exactly once
    assert sorted(row[1:4] for row in stored) == [
        ("2-1-301", "done", "赵志愿"),
        ("2-1-301", "refused", "钱志愿"),
        ("2-1-302", "nobody_home", "赵志愿"),
        ("2-1-303", "done", "钱志愿"),
    ]
    assert ("孙子在家，敲门大声点",) in {(row[4],) for row in stored}
    coordinator.goto(sweep_path)  # reading the sweep folds the new ticks into its door states
    page = SweepPage(coordinator)
    expect(page.progress).to_contain_text("已完成 2 / 共 108")
    assert _door_state(live_server, "2-1-301") == ("done", 1, 2)  # done outranks refused; they disagree
    expect(page.attention.filter(has_text="2-1-301")).to_contain_text("志愿者说法不一")
    volunteers = coordinator.get_by_test_id("sweep-volunteers")
    expect(volunteers).to_contain_text("赵志愿")
    expect(volunteers).to_contain_text("钱志愿")
    assert_phone_layout(coordinator, "sweep-conflict")


def test_a_withdrawn_code_lets_nobody_in(page_as, new_context) -> None:
    coordinator: Page = page_as(WORKER)
    NewSweepPage(coordinator).open().create("撤回邀请码", "2号楼")
    code = SweepPage(coordinator).make_code()
    coordinator.get_by_test_id("revoke-code").click()
    expect(coordinator.get_by_test_id("join-code")).to_have_count(0)

    page = new_context().new_page()
    page.goto(f"/join?code={code}")
    page.get_by_label("你的姓名").fill("孙志愿")
    page.get_by_label("你的手机号").fill("15600000009")
    page.get_by_test_id("join-submit").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("已过期或已撤回")
    expect(page.get_by_label("你的姓名")).to_have_value("孙志愿")  # nothing typed is lost
    assert_phone_layout(page, "sweep-join-refused")
