"""A guest signed out while their phone holds ticks (issue 14, defect 3; docs/decisions/0019), at 360 px: the phone
says what happened in words, keeps what they recorded visible as not accepted, and takes the coordinator's new code
on the spot; back in as the same person, the phone sends what it kept."""

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
SMALL_PHONE = {"viewport": {"width": 360, "height": 740}}


def _ticks(live_server, sweep: str) -> int:
    with sqlite3.connect(live_server.db_path) as db:
        return db.execute(
            "SELECT count(*) FROM sweep_tick t JOIN sweep s ON s.id = t.sweep WHERE s.name = ?", (sweep,)
        ).fetchone()[0]


def _guest_id(live_server, phone: str) -> str:
    with sqlite3.connect(live_server.db_path) as db:
        return db.execute("SELECT id FROM account WHERE guest_phone = ?", (phone,)).fetchone()[0]


def _wait_for_ticks(page: Page, live_server, sweep: str, count: int) -> None:
    for _ in range(100):  # the page syncs as it starts; give it up to 10 s
        if _ticks(live_server, sweep) == count:
            return
        page.wait_for_timeout(100)
    assert _ticks(live_server, sweep) == count


def _withdraw_signing_out(coordinator: Page, sweep_path: str) -> None:
    coordinator.goto(f"{sweep_path}/invite")
    coordinator.get_by_test_id("sign-out-choice").click()
    coordinator.get_by_test_id("revoke-code").click()
    expect(coordinator.get_by_test_id("join-code")).to_have_count(0)


def _new_code(coordinator: Page, sweep_path: str) -> str:
    coordinator.goto(sweep_path)
    return SweepPage(coordinator).make_code()


def test_a_signed_out_guest_is_told_keeps_their_ticks_and_gets_back_in_with_a_new_code(
    page_as, new_context, live_server
) -> None:
    sweep = "退出后重新加入"
    coordinator: Page = page_as(WORKER, **SMALL_PHONE)
    code = NewSweepPage(coordinator).open().create(sweep, "2号楼").make_code()
    sweep_path = path_of(coordinator).removesuffix("/invite")

    # A guest joins, claims floor 3 and, in the stairwell without signal, ticks two doors.
    volunteer = new_context(**SMALL_PHONE).new_page()
    JoinPage(volunteer).join(code, "孙志愿", "15600000051")
    guest_id = _guest_id(live_server, "15600000051")
    wait_until_controlled(volunteer)
    SweepPage(volunteer).claim(3, 3)
    floor = SweepPage(volunteer).open_floor(3)
    volunteer.reload()  # through the service worker, which keeps a copy for the stairwell
    volunteer.context.set_offline(True)
    floor.tick("2-1-301", "已完成")
    floor.tick("2-1-302", "无人应答")
    expect(floor.unsent).to_have_text("2")

    # Meanwhile the coordinator withdraws the code and signs its guests out.
    _withdraw_signing_out(coordinator, sweep_path)

    # Back in signal, the phone tries to send: it is told, in words, and the doors say "not accepted", kept here.
    volunteer.context.set_offline(False)
    volunteer.locator("#sync-now").click()
    signed_out = volunteer.get_by_test_id("signed-out")
    expect(signed_out).to_be_visible()
    expect(signed_out).to_contain_text("您已退出登录")
    expect(signed_out).to_contain_text("留在这部手机上")
    expect(floor.state("2-1-301")).to_contain_text("已完成")
    expect(floor.state("2-1-301")).to_contain_text("用新邀请码重新加入后就会发出")
    expect(floor.state("2-1-301").locator("[data-outbox-pending]")).to_be_hidden()
    assert_phone_layout(volunteer, "guest-signed-out-floor")
    assert _ticks(live_server, sweep) == 0

    # The way back: a new code from the coordinator, typed on the page the banner leads to.
    volunteer.get_by_test_id("signed-out-rejoin").click()
    rejoin = volunteer.get_by_test_id("rejoin")
    expect(rejoin).to_contain_text("负责人撤回了您的邀请码")
    expect(rejoin).to_contain_text(sweep)
    expect(rejoin).to_contain_text("孙志愿")
    expect(volunteer.get_by_test_id("outbox-left")).to_contain_text("2 条记录还没有被接收")
    assert_phone_layout(volunteer, "guest-rejoin")

    # A reload of the sweep lands here too, not on a log-in page a guest cannot pass.
    volunteer.goto(sweep_path)
    expect(volunteer.get_by_test_id("rejoin")).to_be_visible()

    new_code = _new_code(coordinator, sweep_path)
    volunteer.get_by_label("新的邀请码").fill(new_code)
    volunteer.get_by_test_id("rejoin-submit").click()
    SweepPage(volunteer).progress.wait_for()
    assert volunteer.evaluate("document.body.dataset.userId") == guest_id  # the same person
    _wait_for_ticks(volunteer, live_server, sweep, 2)
    expect_sent(volunteer)


def test_ticks_refused_while_signed_out_of_one_sweep_are_sent_after_joining_it_again(
    page_as, new_context, live_server
) -> None:
    """A guest in two sweeps stays logged in when signed out of one: the server refuses that one's ticks as
    "signed out", and they go back in the queue (never accepted) once the guest joins it again."""
    first, second = "两次扫楼之一", "两次扫楼之二"
    coordinator: Page = page_as(WORKER, **SMALL_PHONE)
    first_code = NewSweepPage(coordinator).open().create(first, "2号楼").make_code()
    first_path = path_of(coordinator).removesuffix("/invite")
    second_code = NewSweepPage(coordinator).open().create(second, "2号楼").make_code()

    volunteer = new_context(**SMALL_PHONE).new_page()
    JoinPage(volunteer).join(second_code, "周志愿", "15600000052")
    volunteer.goto(f"/join?code={first_code}")  # logged in now: the code alone
    volunteer.get_by_test_id("join-submit").click()
    SweepPage(volunteer).progress.wait_for()
    wait_until_controlled(volunteer)
    SweepPage(volunteer).claim(4, 4)
    floor: FloorScreen = SweepPage(volunteer).open_floor(4)
    volunteer.reload()
    volunteer.context.set_offline(True)
    floor.tick("2-1-401", "已完成")

    _withdraw_signing_out(coordinator, first_path)
    volunteer.context.set_offline(False)
    volunteer.locator("#sync-now").click()
    expect(floor.state("2-1-401")).to_contain_text("用新邀请码重新加入后就会发出")  # refused: signed out
    assert _ticks(live_server, first) == 0

    JoinPage(volunteer).open()  # logged in still (the other sweep): the code alone
    volunteer.get_by_label("邀请码", exact=True).fill(_new_code(coordinator, first_path))
    volunteer.get_by_test_id("join-submit").click()
    SweepPage(volunteer).progress.wait_for()
    _wait_for_ticks(volunteer, live_server, first, 1)


def test_a_volunteer_on_a_new_phone_gets_back_in_with_the_coordinators_confirmation_code(
    page_as, new_context, live_server
) -> None:
    coordinator: Page = page_as(WORKER, **SMALL_PHONE)
    code = NewSweepPage(coordinator).open().create("换手机的人", "2号楼").make_code()
    sweep_path = path_of(coordinator).removesuffix("/invite")
    old_phone = new_context(**SMALL_PHONE).new_page()
    JoinPage(old_phone).join(code, "吴志愿", "15600000053")
    guest_id = _guest_id(live_server, "15600000053")

    # The same number on another phone: nothing opens without the coordinator, who sees who asks.
    new_phone = new_context(**SMALL_PHONE).new_page()
    new_phone.goto(f"/join?code={code}")
    new_phone.get_by_label("你的姓名").fill("吴志愿")
    new_phone.get_by_label("你的手机号").fill("15600000053")
    new_phone.get_by_test_id("join-submit").click()
    # Answered as any join is (a 303), to a step of its own that keeps what was typed and asks for the code.
    expect(new_phone).to_have_url(f"{live_server.base_url}/join/confirm")
    expect(new_phone.get_by_test_id("confirm-notice")).to_contain_text("确认码")
    expect(new_phone.get_by_label("你的手机号")).to_have_value("15600000053")
    assert_phone_layout(new_phone, "guest-join-needs-confirmation")

    coordinator.goto(f"{sweep_path}/invite")
    ask = coordinator.get_by_test_id("rejoin-request")
    expect(ask).to_contain_text("吴志愿")
    expect(ask).to_contain_text("尾号 0053")
    assert_phone_layout(coordinator, "sweep-invite-rejoin-request")
    one_time = ask.get_by_test_id("rejoin-code").inner_text().strip()

    new_phone.get_by_test_id("confirm-code").fill(one_time)
    new_phone.get_by_test_id("join-submit").click()
    SweepPage(new_phone).progress.wait_for()
    assert new_phone.evaluate("document.body.dataset.userId") == guest_id
