"""Closing a sweep at 360 px (decision 0011): the coordinator confirms on the spot, a volunteer still in the
stairwell without signal keeps what they ticked, and is told the sweep has ended once their phone is back online."""

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
SWEEP = "收尾扫楼"
SMALL_PHONE = {"viewport": {"width": 360, "height": 740}}


def _sweep(live_server, name: str = SWEEP) -> tuple:
    with sqlite3.connect(live_server.db_path) as db:
        return db.execute(
            "SELECT status, (SELECT count(*) FROM sweep_tick t WHERE t.sweep = s.id),"
            " (SELECT count(*) FROM sweep_claim c WHERE c.sweep = s.id AND c.ended_at IS NULL),"
            " (SELECT count(*) FROM sweep_invite i WHERE i.sweep = s.id AND i.revoked_at IS NULL)"
            " FROM sweep s WHERE name = ?",
            (name,),
        ).fetchone()


def _two_doors_ticked_offline(new_context, code: str, phone: str) -> tuple[Page, FloorScreen]:
    """A guest joins with the code, claims floor 3 of 2号楼 unit 1 and, without signal, ticks 301 and 302."""
    volunteer = new_context(**SMALL_PHONE).new_page()
    JoinPage(volunteer).join(code, "孙志愿", phone)
    wait_until_controlled(volunteer)
    SweepPage(volunteer).claim(3, 3)
    floor = SweepPage(volunteer).open_floor(3)
    volunteer.reload()  # through the worker, which keeps a copy for the stairwell
    volunteer.context.set_offline(True)
    floor.tick("2-1-301", "已完成")
    floor.tick("2-1-302", "无人应答")
    expect(floor.unsent).to_have_text("2")
    return volunteer, floor


def test_a_sweep_closed_while_a_volunteer_is_offline_keeps_their_ticks(page_as, new_context, live_server) -> None:
    coordinator: Page = page_as(WORKER, **SMALL_PHONE)
    sweep = NewSweepPage(coordinator).open().create(SWEEP, "2号楼")
    sweep_path = path_of(coordinator)
    code = sweep.make_code()

    # A volunteer joins, claims floor 3 and climbs the stairs: no signal, two doors ticked on the phone.
    volunteer, floor = _two_doors_ticked_offline(new_context, code, "15600000021")

    # The coordinator could withdraw the code and sign the guest out with it; they close the sweep instead.
    coordinator.goto(f"{sweep_path}/invite")
    expect(coordinator.get_by_test_id("sign-out-choice")).to_contain_text("没有账号的 1 位志愿者退出")
    assert_phone_layout(coordinator, "sweep-invite-sign-out")

    # Meanwhile the coordinator closes the sweep: the confirm step says what it does and what is still open.
    coordinator.goto(sweep_path)
    confirm = SweepPage(coordinator).ask_to_close()
    assert path_of(coordinator) == sweep_path  # htmx: the step came in under the button, no new page
    expect(confirm).to_contain_text("还有 108 户没有结果")
    expect(confirm).to_contain_text("1 个邀请码作废")
    expect(confirm).to_contain_text("1 个楼层认领随即结束")
    assert_phone_layout(coordinator, "sweep-close-confirm")
    closed = SweepPage(coordinator).confirm_close()
    expect(closed.closed_note).to_contain_text("不能再加入或认领楼层")
    expect(coordinator.get_by_test_id("invite-link")).to_have_count(0)
    assert _sweep(live_server) == ("closed", 0, 0, 0)
    assert_phone_layout(coordinator, "sweep-closed")

    # The volunteer comes down: the phone sends what it held, and it is stored.
    volunteer.context.set_offline(False)
    expect_sent(volunteer)
    assert _sweep(live_server)[1] == 2
    volunteer.reload()  # the floor is closed to them now, and the copy on the phone goes too
    ended = volunteer.get_by_test_id("sweep-ended")
    expect(ended).to_contain_text("这次扫楼已结束")
    expect(ended).to_contain_text(SWEEP)
    assert_phone_layout(volunteer, "sweep-ended-volunteer")
    volunteer.goto("/")
    expect(volunteer.get_by_test_id("ended-sweeps")).to_contain_text(SWEEP)

    # A tick the server refused is said in words at its door (here: as if it had come back "sweep_closed").
    coordinator.reload()
    expect(closed.closed_note).to_contain_text("结束后又收到 2 条结果")
    screen = SweepPage(coordinator).open_floor(3)
    _mark_refused(coordinator, screen, "2-1-303", "sweep_closed")
    expect(screen.state("2-1-303")).to_contain_text("这次扫楼已结束，这几层也不是您认领的")
    assert_phone_layout(coordinator, "sweep-floor-closed")


def test_closing_and_reopening_without_javascript(page_as, live_server) -> None:
    coordinator: Page = page_as(WORKER, java_script_enabled=False, **SMALL_PHONE)
    NewSweepPage(coordinator).open().create("无脚本收尾", "2号楼")
    sweep_path = path_of(coordinator)
    coordinator.get_by_test_id("close-sweep").click()  # a link to the confirm step's own page
    coordinator.wait_for_url(f"**{sweep_path}/close")
    page = SweepPage(coordinator)
    expect(page.close_confirm).to_contain_text("还有 108 户没有结果")
    assert_phone_layout(coordinator, "sweep-close-page")
    page.confirm_close()
    assert path_of(coordinator) == sweep_path
    page.reopen()
    expect(page.closed_badge).to_have_count(0)


def _mark_refused(page: Page, screen: FloorScreen, door: str, reason: str) -> None:
    """Put a refused write for `door` in this phone's outbox, as the sync would after the server's answer."""
    target = screen.door(door).get_attribute("id")
    page.evaluate(
        """([target, reason, user]) => new Promise((resolve) => {
             const open = indexedDB.open("gridcare");  // whatever version the app made
             open.onsuccess = () => {
               const tx = open.result.transaction("outbox", "readwrite");
               tx.objectStore("outbox").put({ id: crypto.randomUUID(), kind: "sweep.tick", status: "rejected",
                 reason, user_id: user, device_time: new Date().toISOString(), payload: {}, queued_at: Date.now(),
                 ui: { target: "#" + target, label: "已完成" } });
               tx.oncomplete = () => { open.result.close(); resolve(); };
             };
           })""",
        [target, reason, page.evaluate("document.body.dataset.userId")],
    )
    page.reload()


def test_a_volunteer_watching_the_sweep_is_told_when_it_closes(page_as, new_context) -> None:
    coordinator: Page = page_as(WORKER, **SMALL_PHONE)
    sweep = NewSweepPage(coordinator).open().create(SWEEP, "2号楼")
    sweep_path = path_of(coordinator)
    code = sweep.make_code()
    volunteer = new_context(**SMALL_PHONE).new_page()
    volunteer.clock.install()  # the page's 15 s refresh, run on the test's time
    JoinPage(volunteer).join(
        code, "孙志愿", "15600000022"
    )  # a number of its own: another phone with 021 needs confirming

    coordinator.goto(sweep_path)
    SweepPage(coordinator).ask_to_close()
    SweepPage(coordinator).confirm_close()
    volunteer.clock.run_for("00:16")  # the next refresh answers 410: the page says the sweep has ended
    expect(volunteer.get_by_test_id("sweep-ended")).to_contain_text("这次扫楼已结束")


def test_a_guest_signed_out_with_ticks_on_the_phone_is_told_and_sends_them_on_joining_again(
    page_as, new_context, live_server
) -> None:
    coordinator: Page = page_as(WORKER, **SMALL_PHONE)
    sweep = NewSweepPage(coordinator).open().create("退出后还有记录", "2号楼")
    sweep_path = path_of(coordinator)
    code = sweep.make_code()

    volunteer, floor = _two_doors_ticked_offline(new_context, code, "15600000031")

    # The coordinator withdraws the code and signs its guests out; the phone comes back to a login page.
    coordinator.goto(f"{sweep_path}/invite")
    coordinator.get_by_test_id("sign-out-choice").click()
    coordinator.get_by_test_id("revoke-code").click()
    expect(coordinator.get_by_test_id("join-code")).to_have_count(0)
    volunteer.context.set_offline(False)
    volunteer.goto("/join")
    left = volunteer.get_by_test_id("outbox-left")
    expect(left).to_contain_text("2 条记录还没有被接收，都留在这部手机上")
    assert_phone_layout(volunteer, "sweep-signed-out-ticks-left")
    assert _sweep(live_server, "退出后还有记录")[1] == 0

    # A new code on the same phone: the same person (its join cookie says so), and what the phone held is sent.
    coordinator.goto(sweep_path)
    volunteer.goto(f"/join?code={SweepPage(coordinator).make_code()}")
    volunteer.get_by_test_id("rejoin-submit").click()
    expect(left).to_have_count(0)
    for _ in range(100):  # the page syncs as it starts; give it up to 10 s
        if _sweep(live_server, "退出后还有记录")[1] == 2:
            break
        volunteer.wait_for_timeout(100)
    assert _sweep(live_server, "退出后还有记录")[1] == 2
