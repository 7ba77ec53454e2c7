"""A sweep from the coordinator's form to a volunteer's tick at the door, at phone size."""

from __future__ import annotations

import sqlite3

from playwright.sync_api import Page, expect

from e2e.pages import (
    FloorScreen,
    NewSweepPage,
    SweepPage,
    assert_phone_layout,
    expect_sent,
    path_of,
    sweep_ticks,
    wait_until_controlled,
    wait_until_true,
)

WORKER = "13800000002"  # 李雪敏: building 2 is in her grid
VOLUNTEER = "13900000004"


def test_grid_worker_creates_a_sweep_and_a_volunteer_ticks_a_door(page_as, live_server) -> None:
    coordinator: Page = page_as(WORKER)
    new = NewSweepPage(coordinator).open()
    assert_phone_layout(coordinator, "sweep-new")
    new.create("11月24日核酸扫楼", "2号楼")
    expect(coordinator.get_by_test_id("sweep-progress")).to_contain_text("已完成 0 / 共 108")
    sweep_path = path_of(coordinator)
    assert_phone_layout(coordinator, "sweep-progress")

    volunteer: Page = page_as(VOLUNTEER)
    volunteer.goto("/")
    volunteer.get_by_test_id("sweep-row").filter(has_text="11月24日核酸扫楼").click()
    SweepPage(volunteer).claim(1, 18)
    assert_phone_layout(volunteer, "sweep-claimed")
    SweepPage(volunteer).open_floor(3)
    door = volunteer.get_by_test_id("door-row").filter(has_text="2-1-301")
    expect(door).to_contain_text("张**")
    expect(door).not_to_contain_text("张国强")
    assert_phone_layout(volunteer, "sweep-floor")
    door.get_by_role("button", name="已完成").click()
    expect(door.get_by_test_id("door-state")).to_contain_text("已完成")  # at once, before the server answers
    expect_sent(volunteer)  # then sent, since the phone is online
    # The server's answer is in (the status is hidden also in the instant before the tap reaches the outbox).
    wait_until_true(volunteer, "async () => (await GridcareOutbox.sent()).length === 1")

    with sqlite3.connect(live_server.db_path) as db:
        ticks = db.execute(
            "SELECT t.outcome, a.phone FROM sweep_tick t JOIN household h ON t.household = h.id"
            " JOIN account a ON t.volunteer = a.id WHERE h.door = '2-1-301' AND t.sweep IN"
            " (SELECT id FROM sweep WHERE name = '11月24日核酸扫楼')"
        ).fetchall()
    assert ticks == [("done", VOLUNTEER)]

    coordinator.goto(sweep_path)
    expect(coordinator.get_by_test_id("sweep-progress")).to_contain_text("已完成 1 / 共 108")


def _open_sweep(page_as, name: str) -> str:
    coordinator: Page = page_as(WORKER)
    NewSweepPage(coordinator).open().create(name, "2号楼")
    return path_of(coordinator)


def test_ticks_made_offline_wait_on_the_phone_and_land_once(page_as, live_server) -> None:
    sweep_path = _open_sweep(page_as, "离线扫楼")
    volunteer: Page = page_as(VOLUNTEER)
    volunteer.goto(sweep_path)
    SweepPage(volunteer).claim(3, 3)
    SweepPage(volunteer).open_floor(3)
    floor_url = volunteer.url
    wait_until_controlled(volunteer)
    volunteer.goto(floor_url)  # now through the worker, which keeps a copy for the stairwell

    volunteer.context.set_offline(True)
    door = volunteer.get_by_test_id("door-row").filter(has_text="2-1-301")
    door.get_by_role("button", name="已完成").click()
    expect(door.get_by_test_id("door-state")).to_contain_text("待同步")
    expect(volunteer.get_by_test_id("outbox-count")).to_have_text("1")
    other = volunteer.get_by_test_id("door-row").filter(has_text="2-1-302")
    other.get_by_role("button", name="无人应答").click()
    expect(volunteer.get_by_test_id("outbox-count")).to_have_text("2")
    needs = volunteer.get_by_test_id("door-row").filter(has_text="2-1-303")
    FloorScreen(volunteer).ask_help("2-1-303", "降压药吃完了")  # in the door's 更多 sheet
    expect(needs.get_by_test_id("door-state")).to_contain_text("需要帮助 · 待同步")  # the outcome, not the button
    needs.scroll_into_view_if_needed()
    assert_phone_layout(volunteer, "sweep-floor-help-queued")
    expect(volunteer.get_by_test_id("outbox-count")).to_have_text("3")
    assert sweep_ticks(live_server, "离线扫楼") == []  # nothing reached the server

    volunteer.reload()  # offline: the page is the worker's copy, the queued ticks come from the outbox
    expect(volunteer.get_by_test_id("outbox-count")).to_have_text("3")
    expect(
        volunteer.get_by_test_id("door-row").filter(has_text="2-1-301").get_by_test_id("door-state")
    ).to_contain_text("已完成")
    assert sweep_ticks(live_server, "离线扫楼") == []

    queued = volunteer.evaluate("() => GridcareOutbox.all()")
    assert [w["payload"]["outcome"] for w in queued] == ["done", "nobody_home", "needs_help"]

    volunteer.context.set_offline(False)  # the online event replays the outbox
    expect_sent(volunteer)
    sent = [("2-1-301", "done"), ("2-1-302", "nobody_home"), ("2-1-303", "needs_help")]
    assert sweep_ticks(live_server, "离线扫楼") == sent

    # The phone lost the answer and sends the first tick again: it is a duplicate, stored once.
    left = volunteer.evaluate(
        """(write) => new Promise((resolve) => {
             const open = indexedDB.open("gridcare");  // whatever version the app made
             open.onsuccess = () => {
               const tx = open.result.transaction("outbox", "readwrite");
               tx.objectStore("outbox").put(write);
               tx.oncomplete = () => { open.result.close(); resolve(GridcareOutbox.sync()); };
             };
           })""",
        queued[0],
    )
    assert left == 0
    assert volunteer.evaluate("() => GridcareOutbox.all()") == []
    assert sweep_ticks(live_server, "离线扫楼") == sent


def test_a_person_sweep_of_one_unit_records_each_person_offline(page_as, live_server) -> None:
    coordinator: Page = page_as(WORKER)
    new = NewSweepPage(coordinator).open()
    coordinator.fill("#name", "每人核酸")
    coordinator.get_by_label("按人").check()
    coordinator.get_by_text("只扫2号楼的部分单元").click()
    coordinator.get_by_label("2号楼 1单元").check()
    assert_phone_layout(coordinator, "sweep-new-units")
    coordinator.get_by_role("button", name="创建扫楼").click()
    expect(SweepPage(new.page).progress).to_contain_text("已完成 0 / 共 54")  # unit 1 only
    sweep_path = path_of(coordinator)

    volunteer: Page = page_as("13900000002")
    volunteer.goto(sweep_path)
    SweepPage(volunteer).claim(3, 3)
    screen = SweepPage(volunteer).open_floor(3)
    wait_until_controlled(volunteer)
    volunteer.goto(volunteer.url)
    volunteer.context.set_offline(True)
    people = screen.door("2-1-301").get_by_test_id("person-row")
    expect(people).to_have_count(5)  # 张大爷's household: five registered people, masked names
    expect(people.first).not_to_contain_text("张国强")
    for n in range(5):
        people.nth(n).get_by_role("button", name="外出" if n == 4 else "已检测", exact=True).click()
    expect(screen.unsent).to_have_text("5")
    expect(people.nth(4)).to_contain_text("待同步")
    assert_phone_layout(volunteer, "sweep-persons-offline")
    volunteer.context.set_offline(False)
    expect_sent(volunteer)
    volunteer.reload()
    expect(screen.state("2-1-301")).to_contain_text("已完成")  # every registered person has an outcome
    with sqlite3.connect(live_server.db_path) as db:
        outcomes = db.execute(
            "SELECT t.outcome FROM sweep_tick t WHERE t.resident IS NOT NULL AND t.sweep IN"
            " (SELECT id FROM sweep WHERE name = '每人核酸') ORDER BY t.seq"
        ).fetchall()
    assert [o for (o,) in outcomes] == ["tested"] * 4 + ["away"]
