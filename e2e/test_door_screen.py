"""The door screen of the demo's tower (42号楼: 33 floors, 12 doors a floor, 8 on the ground floor) at 360x740, as a
volunteer sweeps it with one thumb (issue 14): 8 doors on one screen, any floor two taps away, the next floor to
sweep one tap, the common answers one tap and the rest two."""

from __future__ import annotations

import sqlite3

from playwright.sync_api import Page, expect

from e2e.pages import (
    PHONE_HEIGHT,
    FloorScreen,
    LoginPage,
    NewSweepPage,
    SweepPage,
    assert_accessible,
    assert_phone_layout,
    expect_sent,
    path_of,
    stored,
    sweep_ticks,
    wait_until_controlled,
)

WORKER = "13800000000"  # 王磊, the admin, makes the sweeps of the tower (grid 6)
VOLUNTEER = "13900000005"
TOWER = "42号楼"


def _rows_on_first_screen(page: Page) -> tuple[int, float]:
    """How many door rows are wholly on the screen as the page opens, and the list's height per door."""
    return page.evaluate(
        """(height) => {
             const rows = [...document.querySelectorAll("[data-testid='door-row']")];
             const boxes = rows.map((row) => row.getBoundingClientRect());
             const whole = boxes.filter((box) => box.top >= 0 && box.bottom <= height).length;
             return [whole, (boxes.at(-1).bottom - boxes[0].top) / rows.length];
           }""",
        PHONE_HEIGHT,
    )


def test_a_volunteer_sweeps_the_400_door_tower_with_one_thumb(page_as, live_server) -> None:
    coordinator: Page = page_as(WORKER)
    NewSweepPage(coordinator).open().create("塔楼扫楼", TOWER)
    expect(SweepPage(coordinator).progress).to_contain_text("已完成 0 / 共 392")
    sweep_path = path_of(coordinator)

    volunteer: Page = page_as(VOLUNTEER)
    volunteer.goto(sweep_path)
    SweepPage(volunteer).claim(20, 25)
    screen = SweepPage(volunteer).open_floor(20)
    expect(screen.doors).to_have_count(12)

    # Floor 25 of the claim: two taps (the picker, the floor), not five.
    screen.picker.click()
    assert_phone_layout(volunteer, "door-screen-floor-picker")
    volunteer.screenshot(path="test-artifacts/screenshots/door-screen-floor-picker-screen.png")
    screen.picker.click()  # closed again: go_to_floor taps it once more
    screen.go_to_floor(25)

    # Twelve doors: eight of them on the first screen, under 100 px a door.
    whole, per_door = _rows_on_first_screen(volunteer)
    assert whole >= 8, whole
    assert per_door <= 100, per_door
    volunteer.screenshot(path="test-artifacts/screenshots/door-screen-12-doors-screen.png")
    assert_phone_layout(volunteer, "door-screen-12-doors")
    assert_accessible(volunteer, "door-screen-12-doors")

    # 已完成 and 无人应答: one tap each. 拒绝 (and the rest): two, through the door's sheet; a note rides along.
    screen.tick("42-1-2501", "已完成")
    expect(screen.state("42-1-2501")).to_contain_text("已完成")
    screen.tick("42-1-2502", "无人应答")
    screen.more("42-1-2503")
    assert_phone_layout(volunteer, "door-screen-more-sheet")
    screen.door("42-1-2503").get_by_role("button", name="拒绝", exact=True).click()
    expect(screen.state("42-1-2503")).to_contain_text("拒绝")
    screen.tick("42-1-2504", "再访", note="晚上八点后在家")
    screen.ask_help("42-1-2505", "腿脚不便，要送菜")
    expect(screen.state("42-1-2505")).to_contain_text("需要帮助")

    # The rest of the floor: nobody home, after a confirm step that names the seven doors left.
    expect(screen.nobody_home).to_contain_text("整层无人应答（7 户）")
    screen.nobody_home.click()
    expect(screen.nobody_home_doors.locator("visible=true")).to_have_text(
        ["2506", "2507", "2508", "2509", "2510", "2511", "2512"]
    )
    volunteer.screenshot(path="test-artifacts/screenshots/door-screen-confirm-screen.png")
    assert_phone_layout(volunteer, "door-screen-confirm")
    assert_accessible(volunteer, "door-screen-confirm")  # the sheets open, a door answered and one waiting
    screen.confirm_nobody_home()
    expect(screen.state("42-1-2512")).to_contain_text("无人应答")
    expect(screen.nobody_home).to_be_hidden()
    expect_sent(volunteer)
    ticks = stored(lambda: sweep_ticks(live_server, "塔楼扫楼", bulk=True), 12)
    assert ticks[:5] == [
        ("42-1-2501", "done", 0),
        ("42-1-2502", "nobody_home", 0),
        ("42-1-2503", "refused", 0),
        ("42-1-2504", "come_back", 0),
        ("42-1-2505", "needs_help", 0),
    ]
    assert sorted(ticks[5:]) == [(f"42-1-25{n:02d}", "nobody_home", 1) for n in range(6, 13)]

    # The next floor to sweep: one tap (from the top of the claim, down).
    expect(screen.next_floor).to_contain_text("24层")
    screen.next_floor.click()
    volunteer.wait_for_url("**/floors/24")

    # The ground floor beside the lobby: 8 doors, all on one screen; the coordinator reaches it in two taps.
    coordinator.goto(volunteer.url)
    ground = FloorScreen(coordinator).go_to_floor(1)
    expect(ground.doors).to_have_count(8)
    whole, _ = _rows_on_first_screen(coordinator)
    coordinator.screenshot(path="test-artifacts/screenshots/door-screen-ground-floor-screen.png")
    assert whole == 8, whole
    coordinator.screenshot(path="test-artifacts/screenshots/door-screen-8-doors-screen.png")
    assert_phone_layout(coordinator, "door-screen-8-doors")


def _tower_sweep(page_as, name: str) -> str:
    coordinator: Page = page_as(WORKER)
    NewSweepPage(coordinator).open().create(name, TOWER)
    return path_of(coordinator)


def _floor_offline_ready(page_as, sweep_path: str, floor: int) -> FloorScreen:
    """A volunteer who claimed `floor` has it open through the service worker (a copy kept for the stairwell)."""
    volunteer: Page = page_as(VOLUNTEER)
    volunteer.goto(sweep_path)
    SweepPage(volunteer).claim(floor, floor)
    screen = SweepPage(volunteer).open_floor(floor)
    wait_until_controlled(volunteer)
    volunteer.goto(volunteer.url)
    return screen


def test_nobody_home_for_the_floor_counts_and_sends_only_the_doors_left_also_offline(page_as, live_server) -> None:
    """Issue 14, defect 2: the button counted doors already ticked ("(3 户)") and sent nobody-home for them."""
    screen = _floor_offline_ready(page_as, _tower_sweep(page_as, "整层无人应答"), 10)
    volunteer = screen.page
    expect(screen.nobody_home).to_contain_text("整层无人应答（12 户）")
    screen.tick("42-1-1001", "已完成")  # sent at once: the server has it
    expect_sent(volunteer)
    expect(screen.nobody_home).to_contain_text("（11 户）")
    # The phone's copy: 1001 done.
    volunteer.wait_for_function("() => document.documentElement.dataset.floorCopies === '1'")

    volunteer.context.set_offline(True)
    screen.tick("42-1-1002", "拒绝")  # waits on the phone
    expect(screen.nobody_home).to_contain_text("（10 户）")
    volunteer.reload()  # without signal: the kept copy, and the outbox laid over it
    expect(screen.state("42-1-1002")).to_contain_text("拒绝 · 待同步")
    expect(screen.nobody_home).to_contain_text("整层无人应答（10 户）")
    screen.nobody_home.click()
    expect(screen.nobody_home_doors.locator("visible=true")).to_have_text([f"10{n:02d}" for n in range(3, 13)])
    screen.confirm_nobody_home()
    expect(screen.unsent).to_have_text("11")
    expect(screen.nobody_home).to_be_hidden()
    # Eleven doors waiting on the phone keep the compact rows: 8 of them on one screen, as in the stairwell.
    volunteer.evaluate("window.scrollTo(0, 0)")
    volunteer.screenshot(path="test-artifacts/screenshots/door-screen-floor-waiting-screen.png")
    _, per_door = _rows_on_first_screen(volunteer)
    assert per_door <= 68, per_door
    expect(screen.state("42-1-1001")).to_contain_text("已完成")
    queued = volunteer.evaluate("() => GridcareOutbox.all()")
    assert [w["payload"].get("bulk", False) for w in queued] == [False] + [True] * 10
    assert sweep_ticks(live_server, "整层无人应答", bulk=True) == [("42-1-1001", "done", 0)]

    volunteer.context.set_offline(False)
    expect_sent(volunteer)
    ticks = sweep_ticks(live_server, "整层无人应答", bulk=True)
    assert ticks[:2] == [("42-1-1001", "done", 0), ("42-1-1002", "refused", 0)]
    assert sorted(ticks[2:]) == [(f"42-1-10{n:02d}", "nobody_home", 1) for n in range(3, 13)]
    volunteer.reload()
    expect(screen.state("42-1-1001")).to_contain_text("已完成")
    expect(screen.state("42-1-1002")).to_contain_text("拒绝")


def test_every_fast_tap_that_changes_a_door_is_recorded_in_order(page_as, live_server) -> None:
    """Issue 14, defect 6: a second tap within ~50 ms was dropped silently (5 of 102). Here 102 taps on one door's
    answers, each a different answer from the one before, come faster than the phone saves them; and a double tap
    of the same answer on another door."""
    screen = _floor_offline_ready(page_as, _tower_sweep(page_as, "快速点按"), 11)
    volunteer = screen.page
    volunteer.context.set_offline(True)  # counted on the phone first, then sent
    taps = volunteer.evaluate(
        """() => {
             const row = document.getElementById(
               document.querySelector("[data-testid='door-row']").id);  // 1101
             const answers = ["done", "nobody_home", "come_back", "refused", "vacant"];
             const buttons = answers.map((a) => row.querySelector(`button[name=outcome][value=${a}]`));
             const made = [];
             for (let i = 0; i < 102; i++) {
               const button = buttons[(i * 3) % 5];  // 0, 3, 1, 4, 2, ...: never the same twice in a row
               button.click();
               made.push(button.value);
             }
             const other = document.querySelectorAll("[data-testid='door-row']")[1];  // 1102: a double tap
             const done = other.querySelector("button[value=done]");
             done.click();
             done.click();
             return made;
           }"""
    )
    expect(screen.unsent).to_have_text("103")
    queued = volunteer.evaluate("() => GridcareOutbox.all()")
    assert [w["payload"]["outcome"] for w in queued[:102]] == taps
    assert queued[102]["payload"] == {**queued[102]["payload"], "outcome": "done"}

    volunteer.context.set_offline(False)
    expect_sent(volunteer)
    ticks = sweep_ticks(live_server, "快速点按", bulk=True)
    assert [outcome for door, outcome, _ in ticks if door == "42-1-1101"] == taps
    assert [outcome for door, outcome, _ in ticks if door == "42-1-1102"] == ["done"]
    volunteer.reload()
    last = {"done": "已完成", "nobody_home": "无人应答", "come_back": "再访", "refused": "拒绝", "vacant": "空置"}
    expect(screen.state("42-1-1101")).to_contain_text(last[taps[-1]])  # the last tap is the door's answer


def test_the_door_screen_without_javascript(page_as, new_context, live_server) -> None:
    """Plain forms and links: one tap answers, the sheet opens (details), the picker moves floors, and the whole
    floor's nobody-home from a page drawn before a door was recorded leaves that door as it is, and says so."""
    sweep_path = _tower_sweep(page_as, "无脚本扫楼")
    context = new_context(java_script_enabled=False)
    phone = context.new_page()
    LoginPage(phone).open().log_in_as(VOLUNTEER)
    phone.goto(f"{sweep_path}/buildings/{_tower_id(live_server)}/units/1/floors/30")
    phone.get_by_test_id("claim-this-floor").click()
    screen = FloorScreen(phone)
    screen.tick("42-1-3001", "已完成")
    expect(screen.state("42-1-3001")).to_contain_text("已完成")
    screen.tick("42-1-3002", "拒绝", note="说不方便")  # 更多 opens without JavaScript (details)
    expect(screen.state("42-1-3002")).to_contain_text("拒绝")
    expect(screen.door("42-1-3002").get_by_test_id("door-note")).to_contain_text("说不方便")

    stale = context.new_page()  # the same floor drawn now: eleven doors left... then 3003 is recorded elsewhere
    stale.goto(phone.url)
    screen.tick("42-1-3003", "无人应答")
    stale_screen = FloorScreen(stale)
    expect(stale_screen.nobody_home).to_contain_text("（10 户）")
    stale_screen.nobody_home.click()
    expect(stale_screen.nobody_home_doors).to_have_count(10)
    stale_screen.confirm_nobody_home()
    expect(stale.get_by_test_id("floor-kept")).to_contain_text("42-1-3003")
    ticks = dict((door, outcome) for door, outcome, _ in sweep_ticks(live_server, "无脚本扫楼", bulk=True))
    assert ticks["42-1-3001"] == "done" and ticks["42-1-3002"] == "refused" and ticks["42-1-3003"] == "nobody_home"
    assert sum(1 for _, _, bulk in sweep_ticks(live_server, "无脚本扫楼", bulk=True) if bulk) == 9  # 3004-3012
    assert_phone_layout(stale, "door-screen-no-javascript")

    stale_screen.go_to_floor(12)  # the picker is a details of links
    expect(stale_screen.doors).to_have_count(12)


def _tower_id(live_server) -> str:
    with sqlite3.connect(live_server.db_path) as db:
        return str(db.execute("SELECT id FROM building WHERE name = ?", (TOWER,)).fetchone()[0])
