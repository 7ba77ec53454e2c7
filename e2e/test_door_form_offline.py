"""A door tapped before the page's script has run is not lost without signal (issue 16; decision 0031).

On a slow phone a floor opened from the phone's copy is usable ~100-300 ms before its script (page.js) runs; a door
tapped then is the form's plain POST. With signal the server takes it; offline Chromium showed its own "no internet"
page and the tap was gone. Now the service worker keeps it in the outbox the page uses (with the id the server gives
that form) and opens the floor again from its copy with the door waiting to be sent.

page.js is kept from running by taking it out of the worker's copy of the shell and holding its request (a context
route, which the worker's fetches go through); it is given back before the tap, so the floor the tap leads to has it.
"""

from __future__ import annotations

import uuid

import msgspec
from playwright.sync_api import Page, Route, expect

from e2e.pages import FloorScreen, SweepPage, expect_sent, stored, sweep_ticks
from e2e.test_weak_signal import volunteer_with_floors

PAGE_JS = "**/static/js/page.js*"
TICKS = "**/sweeps/*/ticks"

# The worker's copy of page.js is set aside (its URL and text in localStorage: caches.match looks in every cache), then
# put back.
_SET_ASIDE = """async () => {
  const name = (await caches.keys()).find((n) => n.startsWith("gridcare-shell-"));
  const cache = await caches.open(name);
  const request = (await cache.keys()).find((r) => new URL(r.url).pathname === "/static/js/page.js");
  const response = await cache.match(request);
  localStorage.setItem("e2e-page-js", JSON.stringify([request.url, response.headers.get("content-type"),
    await response.text()]));
  return cache.delete(request);
}"""
_PUT_BACK = """async () => {
  const [url, type, text] = JSON.parse(localStorage.getItem("e2e-page-js"));
  const name = (await caches.keys()).find((n) => n.startsWith("gridcare-shell-"));
  await (await caches.open(name)).put(url, new Response(text, { headers: { "Content-Type": type } }));
  return true;
}"""


class LateScript:
    """page.js does not arrive (its requests held) until `arrives`; the phone's copy of it is set aside meanwhile."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.held: list[Route] = []
        self.arrived = False
        assert page.evaluate(_SET_ASIDE)
        page.context.route(PAGE_JS, self._handle)

    def _handle(self, route: Route) -> None:
        if self.arrived:
            route.continue_()
        else:
            self.held.append(route)

    def arrives(self) -> None:
        self.arrived = True
        assert self.page.evaluate(_PUT_BACK)


def _floor_before_its_script(page: Page, floor_path: str) -> FloorScreen:
    late = LateScript(page)
    page.goto(floor_path, wait_until="commit")
    screen = FloorScreen(page)
    expect(screen.door("2-1-101")).to_be_visible()
    assert page.evaluate("() => window.typing === undefined")  # page.js has not run (it defines typing())
    late.arrives()
    return screen


def _server_id(screen: FloorScreen, door: str, outcome: str) -> str:
    """The id the server gives this door's plain form (server/sweeps/controllers.py `_tick_id`)."""
    form = screen.door(door).locator("form.door-quick")
    token = form.locator("input[name=tick_id]").get_attribute("value")
    household = form.locator("input[name=household_id]").get_attribute("value")
    payload = {"household_id": household, "outcome": outcome, "help_needed": "", "note": ""}
    return str(uuid.uuid5(uuid.UUID(token), msgspec.json.encode(payload).decode()))


def _sent_ids(page: Page) -> list[str]:
    return page.evaluate("async () => (await GridcareOutbox.sent()).map((w) => w.id)")


def test_a_door_tapped_offline_before_the_script_ran_is_kept_and_sent_once(page_as, live_server) -> None:
    sweep = "脚本未到扫楼"
    volunteer, sweep_path = volunteer_with_floors(page_as, None, sweep, 1, 1)
    SweepPage(volunteer).open_floor(1)
    floor_path = volunteer.url.split("#")[0]
    volunteer.goto(sweep_path)
    volunteer.context.set_offline(True)  # the stairwell
    screen = _floor_before_its_script(volunteer, floor_path)

    expected = _server_id(screen, "2-1-101", "done")
    screen.door("2-1-101").get_by_role("button", name="已完成", exact=True).click()  # the form's plain POST
    # Main: Chromium's "no internet" page, and the tap gone. Now the floor again, from the phone's copy, with the
    # door done and waiting to be sent.
    expect(screen.state("2-1-101")).to_contain_text("已完成")
    expect(screen.door("2-1-101").locator("[data-outbox-pending]")).to_be_visible()
    expect(screen.unsent).to_have_text("1")
    assert [w["id"] for w in volunteer.evaluate("() => GridcareOutbox.all()")] == [expected]
    volunteer.screenshot(path="test-artifacts/screenshots/door-form-kept-offline.png")
    assert sweep_ticks(live_server, sweep) == []

    volunteer.context.set_offline(False)
    expect_sent(volunteer)
    assert stored(lambda: sweep_ticks(live_server, sweep), 1) == [("2-1-101", "done")]
    assert _sent_ids(volunteer) == [expected]
    volunteer.reload()  # once: not sent again by anyone
    expect(screen.state("2-1-101")).to_contain_text("已完成")
    assert sweep_ticks(live_server, sweep) == [("2-1-101", "done")]


def test_a_door_form_whose_answer_was_lost_is_stored_once(page_as, live_server) -> None:
    """The form reached the server, and its answer never came back (the signal dropped): the worker keeps the tap
    with the id the server gave it, so the outbox's resend is the same answer, stored once."""
    sweep = "回答丢失扫楼"
    volunteer, sweep_path = volunteer_with_floors(page_as, None, sweep, 1, 1)
    SweepPage(volunteer).open_floor(1)
    floor_path = volunteer.url.split("#")[0]
    volunteer.goto(sweep_path)
    lost: list[str] = []

    def answer_lost(route: Route) -> None:
        if route.request.method == "POST" and not lost:
            route.fetch()  # the server takes it
            lost.append(route.request.url)
            route.abort("connectionreset")  # and its answer is lost on the way back
        else:
            route.continue_()

    volunteer.context.route(TICKS, answer_lost)
    screen = _floor_before_its_script(volunteer, floor_path)
    expected = _server_id(screen, "2-1-101", "nobody_home")
    screen.door("2-1-101").get_by_role("button", name="无人应答", exact=True).click()
    expect(screen.state("2-1-101")).to_contain_text("无人应答")
    expect_sent(volunteer)
    assert lost
    assert stored(lambda: sweep_ticks(live_server, sweep), 1) == [("2-1-101", "nobody_home")]
    assert volunteer.evaluate("() => GridcareOutbox.all()") == []
    assert _sent_ids(volunteer) == [expected]  # kept by the worker, with the server's id, and sent again
    # Sent, and the server answered "duplicate": still one tick a while later.
    volunteer.reload()
    expect(screen.state("2-1-101")).to_contain_text("无人应答")
    assert sweep_ticks(live_server, sweep) == [("2-1-101", "nobody_home")]


def test_a_whole_floor_s_nobody_home_sent_offline_before_the_script_ran_is_kept(page_as, live_server) -> None:
    sweep = "整层脚本未到扫楼"
    volunteer, sweep_path = volunteer_with_floors(page_as, None, sweep, 1, 1)
    SweepPage(volunteer).open_floor(1)
    floor_path = volunteer.url.split("#")[0]
    volunteer.goto(sweep_path)
    volunteer.context.set_offline(True)
    screen = _floor_before_its_script(volunteer, floor_path)
    volunteer.get_by_test_id("floor-nobody-home").click()  # a <details>: it opens without a script
    volunteer.get_by_test_id("floor-nobody-home-yes").click()  # the form's plain POST
    for door in ("2-1-101", "2-1-102", "2-1-103"):
        expect(screen.state(door)).to_contain_text("无人应答")
    expect(screen.unsent).to_have_text("3")
    assert sweep_ticks(live_server, sweep) == []

    volunteer.context.set_offline(False)
    expect_sent(volunteer)
    expected = [("2-1-101", "nobody_home", 1), ("2-1-102", "nobody_home", 1), ("2-1-103", "nobody_home", 1)]
    assert sorted(stored(lambda: sweep_ticks(live_server, sweep, bulk=True), 3)) == expected


def test_with_signal_a_door_s_plain_form_goes_to_the_server_as_before(page_as, live_server) -> None:
    """The worker now sees the door forms' posts: with signal it sends them on as they are, and the server's
    answer (its redirect to the door) is the page's."""
    sweep = "脚本未到有信号扫楼"
    volunteer, sweep_path = volunteer_with_floors(page_as, None, sweep, 1, 1)
    SweepPage(volunteer).open_floor(1)
    floor_path = volunteer.url.split("#")[0]
    volunteer.goto(sweep_path)
    screen = _floor_before_its_script(volunteer, floor_path)
    screen.more("2-1-102")
    screen.door("2-1-102").get_by_role("button", name="拒绝", exact=True).click()
    volunteer.wait_for_url(f"**{floor_path}#d-*")
    expect(screen.state("2-1-102")).to_contain_text("拒绝")
    expect(screen.door("2-1-102").locator("[data-outbox-pending]")).to_be_hidden()  # the server's page says it
    assert volunteer.evaluate("() => GridcareOutbox.all()") == []
    assert sweep_ticks(live_server, sweep) == [("2-1-102", "refused")]
