"""Issue 14: a volunteer with weak signal never loses the ability to tick offline.

The offline page keeps what the phone holds and lists it, 重试 goes back where the person was, the sync state stays on
screen while scrolling, and a morning on 2G with a network that stalls leaves every tick on the server exactly once.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.network import PhoneNetwork
from e2e.pages import (
    FloorScreen,
    LoginPage,
    NewSweepPage,
    OfflinePage,
    SweepPage,
    assert_phone_layout,
    expect_sent,
    path_of,
    sweep_ticks,
    wait_until_controlled,
    wait_until_true,
)

WORKER = "13800000002"  # 李雪敏: building 2 (18 floors, 2 units, 3 doors a floor) is in her grid
VOLUNTEER = "13900000003"
STALL_MS = 20_000  # the service worker gives up on a page it does not keep after 10 s


def kept_pages(page: Page) -> int:
    """How many responses the phone keeps for offline work (the service worker's and kept-pages.js's pages cache)."""
    return page.evaluate(
        "async () => (await caches.has('gridcare-pages')) ? (await (await caches.open('gridcare-pages')).keys()).length"
        " : 0"
    )


def volunteer_with_floors(page_as, volunteer: Page | None, name: str, first: int, last: int) -> tuple[Page, str]:
    """A sweep of building 2 made by the grid worker; the volunteer claims floors first..last of unit 1 and the
    phone keeps them (and the sweep's page) for the stairwell. Returns the volunteer's page and the sweep's path."""
    coordinator: Page = page_as(WORKER)
    NewSweepPage(coordinator).open().create(name, "2号楼")
    sweep_path = path_of(coordinator)
    coordinator.close()
    volunteer = volunteer or page_as(VOLUNTEER)
    volunteer.goto(sweep_path)
    wait_until_controlled(volunteer)
    volunteer.goto(sweep_path)  # through the worker now, which keeps the sweep's page too
    SweepPage(volunteer).claim(first, last)
    return volunteer, sweep_path


def test_the_offline_page_keeps_the_floors_and_lists_them_one_tap_away(page_as, live_server) -> None:
    volunteer, _ = volunteer_with_floors(page_as, None, "离线页扫楼", 1, 3)
    kept = kept_pages(volunteer)
    assert kept == 4  # the sweep's page and floors 1-3

    # Offline, the logo (or 首页) shows the offline page: it has no user, and it must not wipe the floors.
    volunteer.context.set_offline(True)
    volunteer.locator("header.topbar a.brand").click()
    offline = OfflinePage(volunteer)
    expect(offline.card).to_be_visible()
    volunteer.wait_for_function("() => document.readyState === 'complete'")  # its script has run
    assert kept_pages(volunteer) == kept  # main: 4 -> 0, and every floor then opened as 您现在离线
    rows = volunteer.get_by_test_id("kept-page")
    expect(rows).to_have_count(4)
    # The sweep first, then its floors in order, each under the sweep's name and with the time it was kept.
    titles = [t.strip() for t in rows.locator(".row-title").all_inner_texts()]
    assert titles == ["离线页扫楼", "2号楼 1单元 1层", "2号楼 1单元 2层", "2号楼 1单元 3层"]
    expect(rows.nth(2)).to_contain_text(re.compile(r"离线页扫楼 · \d\d:\d\d 存到手机上"))
    expect(volunteer.get_by_test_id("outbox-left")).to_have_count(0)  # "log in to send them": not said here
    assert_phone_layout(volunteer, "offline-page-kept-floors")  # each row a target of >= 48 px

    rows.filter(has_text="2层").click()
    screen = FloorScreen(volunteer)
    expect(screen.door("2-1-202")).to_be_visible()
    screen.tick("2-1-202", "已完成")
    expect(screen.state("2-1-202")).to_contain_text("已完成 · 待同步")  # saved on the phone: now it may reload
    volunteer.reload()  # still the kept copy, with the tick laid over it from the outbox
    expect(screen.state("2-1-202")).to_contain_text("已完成 · 待同步")
    assert sweep_ticks(live_server, "离线页扫楼") == []

    volunteer.context.set_offline(False)
    expect_sent(volunteer)
    assert sweep_ticks(live_server, "离线页扫楼") == [("2-1-202", "done")]

    # Sent, the tick left the outbox; the kept copy of the floor is fetched again, so that opened without signal
    # later it shows the door done (the copy kept at the claim showed it undone).
    wait_until_true(
        volunteer,
        """async () => {
             const copy = await caches.match(location.pathname, { cacheName: "gridcare-pages" });
             return copy && (await copy.text()).includes("door-done");
           }""",
    )
    volunteer.context.set_offline(True)
    volunteer.reload()
    expect(screen.state("2-1-202")).to_have_text("已完成", use_inner_text=True)


def test_try_again_goes_back_to_the_page_that_failed(page_as, demo) -> None:
    worker: Page = page_as(WORKER)
    worker.goto("/round")
    wait_until_controlled(worker)
    worker.goto("/round")  # kept by the worker: the round opens without signal

    household = f"/households/{demo.household_2_1_301}"  # a page the phone does not keep
    worker.context.set_offline(True)
    worker.goto(household)
    offline = OfflinePage(worker)
    expect(offline.card).to_be_visible()
    round_row = worker.get_by_test_id("kept-page").filter(has_text="今日电话")

    worker.context.set_offline(False)
    offline.try_again.click()  # main: to /, which is not the page she asked for
    worker.wait_for_url(re.compile(re.escape(household) + "$"))
    expect(worker.locator("main h1")).to_contain_text("2-1-301")

    worker.context.set_offline(True)
    worker.reload()  # the offline page again: it lists the round, one tap away
    round_row.click()
    expect(worker.get_by_test_id("round")).to_be_visible()
    assert path_of(worker) == "/round"


def test_the_sync_state_stays_on_screen_while_the_floor_scrolls(page_as) -> None:
    volunteer, _ = volunteer_with_floors(page_as, None, "置顶状态扫楼", 3, 3)
    screen = SweepPage(volunteer).open_floor(3)
    state = volunteer.get_by_test_id("sync-state")
    expect(state).to_be_visible()
    expect(state).to_contain_text("已全部同步", use_inner_text=True)  # words as the eye sees them, not hidden ones

    screen.tick("2-1-301", "已完成")  # online: sent at once, and the time of it shown
    expect(state).to_contain_text(re.compile(r"已全部同步\s*最后同步 \d\d:\d\d"), use_inner_text=True)
    volunteer.context.set_offline(True)
    screen.tick("2-1-302", "无人应答")
    volunteer.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    box = state.bounding_box()
    assert box["y"] >= 56 and box["y"] + box["height"] <= 740, box  # under the top bar, on the screen
    assert box["height"] <= 52, box  # one line at 360 px: it must not eat the screen
    expect(state).to_contain_text(re.compile(r"离线\s*待同步: 1\s*最后同步 \d\d:\d\d"), use_inner_text=True)
    expect(volunteer.locator("#sync-now")).to_be_hidden()  # nothing can be sent without signal
    assert_phone_layout(volunteer, "sweep-floor-scrolled-offline")

    volunteer.context.set_offline(False)
    expect(state).to_contain_text("已全部同步", use_inner_text=True)


def test_on_2g_and_a_stalling_network_every_tick_lands_once(page_as, browser, live_server) -> None:
    sweep = "弱信号扫楼"
    volunteer, _ = volunteer_with_floors(page_as, None, sweep, 1, 3)
    SweepPage(volunteer).open_floor(1)
    net = PhoneNetwork(browser, volunteer)
    screen = FloorScreen(volunteer)
    made: list[tuple[str, str]] = []

    def tick(door: str, outcome: str, code: str) -> None:
        screen.tick(door, outcome)
        expect(screen.state(door)).to_contain_text(outcome)
        made.append((door, code))

    # 2G: ~2 s a round trip, ~50 kbit/s, for the page and for its service worker.
    net.two_g()
    tick("2-1-101", "已完成", "done")
    tick("2-1-102", "无人应答", "nobody_home")
    expect_sent(volunteer, timeout=30_000)  # slowly, but sent
    volunteer.locator("header.topbar a.brand").click()  # home, and back, on 2G
    expect(volunteer.get_by_test_id("who")).to_be_visible(timeout=20_000)
    net.two_g()  # the worker may have been restarted meanwhile: a new target
    volunteer.go_back()
    expect(screen.door("2-1-103")).to_be_visible(timeout=20_000)
    tick("2-1-103", "拒绝", "refused")
    expect_sent(volunteer, timeout=30_000)  # sent before the stall begins (slowly: 2G)

    # Now the network takes requests and never answers: the page, the worker's fetches and the outbox's sync.
    net.stall()
    tick("2-1-101", "无人应答", "nobody_home")  # a correction, which waits on the phone
    # Home is not kept: after the worker's 10 s, the offline page (the click waits for the navigation to end).
    volunteer.locator("header.topbar a.brand").click(timeout=STALL_MS)
    offline = OfflinePage(volunteer)
    expect(offline.card).to_be_visible()
    floor_2 = volunteer.get_by_test_id("kept-page").filter(has_text="2层")
    floor_2.click(timeout=STALL_MS)  # a kept floor opens from its copy after 3 s, not 10
    expect(screen.door("2-1-201")).to_be_visible()
    tick("2-1-201", "已完成", "done")
    tick("2-1-202", "再访", "come_back")
    volunteer.reload(timeout=STALL_MS)
    expect(screen.state("2-1-202")).to_contain_text("再访 · 待同步")
    expect(screen.unsent).to_have_text("3")
    # Every claimed floor opens, from its copy, with what waits laid over it.
    screen.go_to_floor(3, timeout=STALL_MS)
    expect(screen.door("2-1-301")).to_be_visible()
    screen.go_to_floor(2, timeout=STALL_MS)
    screen.go_to_floor(1, timeout=STALL_MS)
    expect(screen.state("2-1-101")).to_contain_text("无人应答 · 待同步")
    assert sorted(sweep_ticks(live_server, sweep)) == sorted(made[:3])

    # The network answers again, the held requests too (late); 2G ends. Everything is sent, each tick once.
    held = net.recover()
    assert held > 0
    net.normal()
    # The phone's sync may still wait behind a request held in the stall (正在发送…, the button busy): once it has
    # waited a while the button offers 重新发送, and a tap gives that request up. Tapped where it is offered (a tap
    # once everything went out by itself changes nothing).
    send = volunteer.locator("#sync-now")
    expect(volunteer.locator("#sync-done:visible, #sync-now:enabled:visible")).to_be_visible(timeout=STALL_MS)
    send.dispatch_event("click")
    expect_sent(volunteer, timeout=30_000)
    assert sorted(sweep_ticks(live_server, sweep)) == sorted(made)
    assert volunteer.evaluate("() => GridcareOutbox.all()") == []


def test_only_log_out_or_another_person_clears_what_the_phone_keeps(new_context, page_as) -> None:
    # Logs in through the form: this test ends its session, and other tests share the stored one.
    phone = new_context().new_page()
    LoginPage(phone).open().log_in_as("13900000005")
    volunteer, sweep_path = volunteer_with_floors(page_as, phone, "谁清手机扫楼", 1, 2)
    kept = kept_pages(volunteer)
    assert kept == 3

    # Log-out tapped without signal: it cannot end the session, so it says so and keeps the floors.
    SweepPage(volunteer).open_floor(1)
    volunteer.context.set_offline(True)
    volunteer.get_by_test_id("logout").click()
    expect(volunteer.locator("[data-offline-note]")).to_be_visible()
    expect(volunteer.locator("[data-offline-note]")).to_contain_text("没有网络")
    assert kept_pages(volunteer) == kept
    volunteer.context.set_offline(False)

    # The session ends (12 hours passed): the log-in page has no user, and keeps them.
    volunteer.context.clear_cookies()
    LoginPage(volunteer).open()
    volunteer.wait_for_function("() => document.readyState === 'complete'")
    assert kept_pages(volunteer) == kept

    # Another person logs in on this phone: what the first one kept goes.
    LoginPage(volunteer).log_in_as("13900000004")
    wait_until_true(volunteer, "async () => !(await caches.has('gridcare-pages'))")
    volunteer.goto(sweep_path)
    expect(volunteer.get_by_test_id("sweep-progress")).to_be_visible()


def test_the_round_and_the_errand_board_keep_the_sync_state_on_screen(page_as) -> None:
    worker: Page = page_as(WORKER)
    for path, name in (("/round", "round"), ("/errands", "errand-board")):
        worker.goto(path)
        state = worker.get_by_test_id("sync-state")
        expect(state).to_be_visible()
        worker.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        box = state.bounding_box()
        assert box["y"] >= 56 and box["y"] + box["height"] <= 740, (path, box)
        assert_phone_layout(worker, f"{name}-sync-state")
