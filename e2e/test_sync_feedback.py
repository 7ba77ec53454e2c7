"""Issue 16, a stranger's walk on a stalling network: the sync strip says what sending is doing, and 立即同步 answers.

A sync whose request the network takes and never answers said only "待同步: 1 立即同步" for as long as it hung, and a
tap on 立即同步 waited silently behind it (one sync a phone: Web Locks) until the outbox gave up after 45 s. Now the
strip says 正在发送… (its button busy), then, once the request has gone unanswered for a while, that the network is
not answering and that the write is safe on the phone; a tap then gives the hung request up and sends again, and
says the outcome in place. A send that fails says when, and when the phone tries again by itself.

The page's clock is Playwright's (`clock.install`): "a while" passes by moving it forward, not by waiting. Requests to
/api/v1/sync are held by a context route, which sees the service worker's Background Sync as well as the page's.
"""

from __future__ import annotations

import re

from playwright.sync_api import BrowserContext, Page, Route, expect

from e2e.pages import FloorScreen, SweepPage, assert_phone_layout, expect_sent, stored, sweep_ticks
from e2e.test_weak_signal import volunteer_with_floors

SYNC = "**/api/v1/sync"
STALLED = "网络没有回应，已保存在手机上，有信号时会自动发送"
A_WHILE = "00:11"  # past the strip's patience with an unanswered request (sending.js STALLED_AFTER_MS, 10 s)


class HangingSync:
    """Requests to /api/v1/sync (the page's and its service worker's) go into a network that never answers; with
    `answers_lost`, the server takes each one and its answer never comes back. Once the network answers again, the
    new requests are answered; those held stay unanswered, as on a connection that dropped (not unrouted, which
    would let Playwright send them on, late)."""

    def __init__(self, context: BrowserContext, *, answers_lost: bool = False) -> None:
        self.answers_lost = answers_lost
        self.answering = False
        self.held: list[Route] = []
        context.route(SYNC, self._handle)

    def _handle(self, route: Route) -> None:
        if self.answering:
            route.continue_()
            return
        if self.answers_lost:
            route.fetch()
        self.held.append(route)

    def answer_again(self) -> None:
        self.answering = True


def floor_with_a_fake_clock(page_as, sweep: str) -> tuple[Page, FloorScreen]:
    volunteer, _ = volunteer_with_floors(page_as, None, sweep, 1, 1)
    volunteer.clock.install()  # time still flows; the test moves it forward where the story says "a while"
    SweepPage(volunteer).open_floor(1)
    return volunteer, FloorScreen(volunteer)


def test_a_hung_sync_says_sending_then_not_answering_and_a_tap_sends_it_again(page_as, live_server) -> None:
    sweep = "卡住同步扫楼"
    volunteer, screen = floor_with_a_fake_clock(page_as, sweep)
    button = volunteer.locator("#sync-now")
    note = volunteer.get_by_test_id("sync-note")

    # The server takes each batch, and its answer never reaches the phone (a connection dropped on the way back).
    network = HangingSync(volunteer.context, answers_lost=True)
    screen.tick("2-1-101", "已完成")
    expect(screen.unsent).to_have_text("1")
    # Sending: the button says so and cannot be tapped again meanwhile.
    expect(button).to_have_text("正在发送…", use_inner_text=True)
    expect(button).to_be_disabled()
    expect(button).to_have_attribute("aria-busy", "true")
    assert stored(lambda: sweep_ticks(live_server, sweep), 1, page=volunteer) == [("2-1-101", "done")]
    assert_phone_layout(volunteer, "sync-strip-sending")

    # A while without an answer: the strip says the network is not answering and the tick is safe on the phone;
    # the button can be tapped again.
    volunteer.clock.fast_forward(A_WHILE)
    expect(note).to_be_visible()
    expect(note).to_have_text(STALLED, use_inner_text=True)
    expect(button).to_be_enabled()
    expect(button).to_have_text("重新发送", use_inner_text=True)
    expect(screen.unsent).to_have_text("1")
    assert_phone_layout(volunteer, "sync-strip-not-answering")

    # The network answers again. A tap gives the hung request up (it does not wait 45 s behind it) and sends the
    # tick again; the server has it already and says so; the strip says the outcome where the button was.
    network.answer_again()
    button.click()
    expect(note).to_be_visible()
    expect(note).to_have_text("✓ 已全部发送", use_inner_text=True)
    expect_sent(volunteer)
    expect(screen.state("2-1-101")).to_have_text("已完成", use_inner_text=True)
    assert_phone_layout(volunteer, "sync-strip-tap-all-sent")
    assert sweep_ticks(live_server, sweep) == [("2-1-101", "done")]  # once, though sent twice or more
    assert volunteer.evaluate("() => GridcareOutbox.all()") == []
    assert network.held  # the answers the phone never heard


def test_a_tap_while_the_network_still_hangs_says_what_is_left(page_as, live_server) -> None:
    sweep = "一直卡住扫楼"
    volunteer, screen = floor_with_a_fake_clock(page_as, sweep)
    button = volunteer.locator("#sync-now")
    note = volunteer.get_by_test_id("sync-note")
    network = HangingSync(volunteer.context)  # the network takes every request and never answers

    screen.tick("2-1-101", "已完成")
    screen.tick("2-1-102", "无人应答")
    expect(screen.unsent).to_have_text("2")
    volunteer.clock.fast_forward(A_WHILE)
    expect(note).to_have_text(STALLED, use_inner_text=True)

    # The tap sends again at once, busy meanwhile; the new request hangs as well: once it has waited a while, the
    # button says what is left and why, in place.
    button.click()
    expect(button).to_have_text("正在发送…", use_inner_text=True)
    expect(button).to_have_attribute("aria-busy", "true")
    expect(note).to_be_hidden()
    volunteer.clock.fast_forward(A_WHILE)
    expect(note).to_be_visible()
    expect(note).to_have_text("还有 2 条没发出去：网络没有回应，已保存在手机上", use_inner_text=True)
    expect(button).to_be_enabled()
    assert_phone_layout(volunteer, "sync-strip-tap-still-hanging")
    assert sweep_ticks(live_server, sweep) == []

    # The phone loses its signal, then finds it: the hung request is given up and everything is sent, once each.
    volunteer.context.set_offline(True)
    expect(volunteer.get_by_test_id("sync-offline")).to_be_visible()
    expect(button).to_be_hidden()  # nothing can be sent without signal
    expect(note).to_be_hidden()  # nor tried: a next try's time would not be true
    assert_phone_layout(volunteer, "sync-strip-offline")
    network.answer_again()
    volunteer.context.set_offline(False)
    expect_sent(volunteer)
    assert sorted(stored(lambda: sweep_ticks(live_server, sweep), 2)) == [
        ("2-1-101", "done"),
        ("2-1-102", "nobody_home"),
    ]
    assert volunteer.evaluate("() => GridcareOutbox.all()") == []


def test_a_failed_send_says_when_and_when_the_phone_tries_again(page_as, live_server) -> None:
    sweep = "发送失败扫楼"
    volunteer, screen = floor_with_a_fake_clock(page_as, sweep)
    note = volunteer.get_by_test_id("sync-note")
    # The phone believes it has signal, and every request fails at once (no route to the server).
    volunteer.context.route(SYNC, lambda route: route.abort("internetdisconnected"))

    screen.tick("2-1-101", "已完成")
    expect(note).to_be_visible()
    failed = re.compile(r"^(\d\d:\d\d) 没发出去：网络没有回应。已保存在手机上，(\d\d:\d\d) 自动再发$")
    expect(note).to_have_text(failed, use_inner_text=True)
    expect(volunteer.locator("#sync-now")).to_have_text("立即同步", use_inner_text=True)
    assert_phone_layout(volunteer, "sync-strip-failed")
    assert sweep_ticks(live_server, sweep) == []

    # The network comes back; nobody taps: the phone tries again at the time it said, and the tick lands once.
    volunteer.context.unroute(SYNC)
    volunteer.clock.fast_forward("00:31")
    expect_sent(volunteer)
    expect(note).to_be_hidden()
    assert stored(lambda: sweep_ticks(live_server, sweep), 1) == [("2-1-101", "done")]
