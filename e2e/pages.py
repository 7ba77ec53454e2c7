"""Page objects: what a person sees and does on each page, so that the tests read like the stories they check.

Locators follow the templates' stable hooks (data-testid, ids, roles); no test reaches into markup directly.
Also here: the phone-size checks (screenshot, no sideways scrolling, touch targets) and the service-worker helpers.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Locator, Page, expect

PASSWORD = "gridcare-demo"  # noqa: S105 (the published password of every demo account, README.md)
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
PHONE_WIDTH = 360
PHONE_HEIGHT = 740
MIN_TARGET = 48  # css px, UX.md: touch targets at least 48 x 48


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def query_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


class AppPage:
    """What every page has: the top bar, the offline banner, the footer with language and log-out buttons."""

    path = "/"

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> AppPage:
        self.page.goto(self.path)
        return self

    @property
    def who(self) -> Locator:
        return self.page.get_by_test_id("who")

    @property
    def topbar(self) -> Locator:
        return self.page.locator("header.topbar")

    @property
    def heading(self) -> Locator:
        return self.page.locator("main h1").first

    @property
    def offline_banner(self) -> Locator:
        return self.page.locator("#offline-banner")

    @property
    def logout_button(self) -> Locator:
        return self.page.get_by_test_id("logout")

    def language_button(self, name: str) -> Locator:
        return self.page.locator("form.lang-switch").get_by_role("button", name=name, exact=True)

    def crumb(self, name: str) -> Locator:
        return self.page.locator("nav.crumbs").get_by_role("link", name=name, exact=True)

    def log_out(self) -> LoginPage:
        self.logout_button.click()
        self.page.wait_for_url(lambda url: urlsplit(url).path == "/login")
        return LoginPage(self.page)


class LoginPage(AppPage):
    path = "/login"

    def open(self, next_path: str | None = None) -> LoginPage:
        self.page.goto(self.path if next_path is None else f"{self.path}?next={next_path}")
        return self

    @property
    def phone_input(self) -> Locator:
        return self.page.locator("#phone")

    @property
    def password_input(self) -> Locator:
        return self.page.locator("#password")

    @property
    def submit_button(self) -> Locator:
        return self.page.locator("form.form button[type=submit]")

    @property
    def error(self) -> Locator:
        return self.page.get_by_test_id("login-error")

    @property
    def demo_accounts(self) -> Locator:
        return self.page.get_by_test_id("demo-accounts")

    def submit(self, phone: str, password: str = PASSWORD) -> None:
        """Fill in the form and send it; the caller checks where that led."""
        self.phone_input.fill(phone)
        self.password_input.fill(password)
        self.submit_button.click()

    def log_in_as(self, phone: str, password: str = PASSWORD) -> HomePage:
        """Log in and wait until the browser has left the log-in page (for `next`, or the home page)."""
        self.submit(phone, password)
        self.page.wait_for_url(lambda url: urlsplit(url).path != "/login")
        return HomePage(self.page)


class SearchBox:
    """The resident search: htmx active search with JavaScript, a plain GET form without it."""

    def __init__(self, page: Page) -> None:
        self.page = page

    @property
    def input(self) -> Locator:
        return self.page.locator("#q")

    @property
    def button(self) -> Locator:
        return self.page.locator("form.search button")

    @property
    def area(self) -> Locator:
        """The container htmx swaps results into (#search-results)."""
        return self.page.locator("#search-results")

    @property
    def results(self) -> Locator:
        return self.page.get_by_test_id("search-results")

    @property
    def no_results(self) -> Locator:
        return self.page.get_by_test_id("no-results")

    def result(self, name: str, door: str) -> Locator:
        """The result row of one resident at one door."""
        return (
            self.results.get_by_role("link")
            .filter(has=self.page.locator(".door").get_by_text(door, exact=True))
            .filter(has_text=name)
        )

    def open_result(self, name: str, door: str) -> HouseholdPage:
        self.result(name, door).click()
        self.page.wait_for_url(lambda url: urlsplit(url).path.startswith("/households/"))
        return HouseholdPage(self.page)


class HomePage(AppPage):
    path = "/"

    def open(self) -> HomePage:
        self.page.goto(self.path)
        return self

    @property
    def greeting(self) -> Locator:
        return self.page.locator("h1.greeting")

    @property
    def my_grid(self) -> Locator:
        return self.page.get_by_test_id("my-grid")

    @property
    def community(self) -> Locator:
        return self.page.get_by_test_id("community")

    @property
    def grid_rows(self) -> Locator:
        return self.page.get_by_test_id("grid-row")

    @property
    def volunteer_tasks(self) -> Locator:
        return self.page.get_by_test_id("volunteer-tasks")

    def stat(self, testid: str) -> int:
        """A number of a stats card (stat-buildings, stat-households, stat-residents, stat-elderly-alone)."""
        return int(self.page.get_by_test_id(testid).locator("strong").first.inner_text())

    @property
    def building_list(self) -> Locator:
        return self.page.get_by_test_id("building-list")

    @property
    def building_links(self) -> Locator:
        return self.building_list.get_by_role("link")

    @property
    def search(self) -> SearchBox:
        return SearchBox(self.page)

    def open_building(self, name: str) -> BuildingPage:
        # exact title match: "2号楼" must not pick "12号楼"
        self.building_links.filter(has=self.page.locator(".row-title").get_by_text(name, exact=True)).click()
        self.page.wait_for_url(re.compile(r"/buildings/[0-9a-f-]{36}$"))
        return BuildingPage(self.page)


class GridPage(AppPage):
    @property
    def building_list(self) -> Locator:
        return self.page.get_by_test_id("building-list")


class BuildingPage(AppPage):
    def unit(self, number: int) -> Locator:
        return self.page.get_by_test_id(f"unit-{number}")

    def floor_link(self, unit: int, floor: int) -> Locator:
        return self.unit(unit).locator(f"a.floor[href$='/units/{unit}/floors/{floor}']")

    def open_floor(self, unit: int, floor: int) -> FloorPage:
        self.floor_link(unit, floor).click()
        self.page.wait_for_url(re.compile(rf"/units/{unit}/floors/{floor}$"))
        return FloorPage(self.page)


class FloorPage(AppPage):
    @property
    def household_list(self) -> Locator:
        return self.page.get_by_test_id("household-list")

    def household_link(self, door: str) -> Locator:
        return self.household_list.get_by_role("link").filter(
            has=self.page.locator(".row-title").get_by_text(door, exact=True)
        )

    def open_household(self, door: str) -> HouseholdPage:
        self.household_link(door).click()
        self.page.wait_for_url(lambda url: urlsplit(url).path.startswith("/households/"))
        return HouseholdPage(self.page)


class HouseholdPage(AppPage):
    @property
    def door(self) -> Locator:
        return self.page.get_by_test_id("door")

    @property
    def residents(self) -> Locator:
        return self.page.get_by_test_id("resident")

    def resident(self, name: str) -> Locator:
        return self.residents.filter(has=self.page.locator(".person-name").get_by_text(name, exact=True))


class SearchPage(AppPage):
    @property
    def search(self) -> SearchBox:
        return SearchBox(self.page)


class ErrorPage(AppPage):
    @property
    def message(self) -> Locator:
        return self.page.locator("main [role=alert] h1")

    @property
    def home_button(self) -> Locator:
        return self.page.locator("main [role=alert]").get_by_role("link")


class OfflinePage(AppPage):
    @property
    def card(self) -> Locator:
        return self.page.get_by_test_id("offline-page")

    @property
    def try_again(self) -> Locator:
        return self.card.get_by_role("link")


# Service worker ------------------------------------------------------------------------------------------------


def wait_until_controlled(page: Page) -> None:
    """Wait for the service worker to be active and to control this page (reloading once if it does not yet)."""
    # Not `await ready` inside evaluate: evaluate has no timeout, so a worker that never installs would hang the run.
    page.evaluate("() => { navigator.serviceWorker.ready.then(() => { window.__e2eWorkerReady = true; }); }")
    page.wait_for_function("() => window.__e2eWorkerReady === true")
    if not page.evaluate("navigator.serviceWorker.controller !== null"):
        # The worker claims open pages on activation; a page it did not claim in time is controlled after a reload.
        page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def sweep_ticks(live_server, sweep_name: str, *, bulk: bool = False) -> list[tuple]:
    """The sweep's ticks as the server stored them, in the order it took them: (door, outcome), and with `bulk`
    whether each came from a whole floor's nobody-home."""
    columns = "h.door, t.outcome, t.bulk" if bulk else "h.door, t.outcome"
    with sqlite3.connect(live_server.db_path) as db:
        return db.execute(
            f"SELECT {columns} FROM sweep_tick t JOIN household h ON t.household = h.id"  # noqa: S608 (two fixed lists)
            " WHERE t.sweep IN (SELECT id FROM sweep WHERE name = ?) ORDER BY t.seq",
            (sweep_name,),
        ).fetchall()


def stored(read: Callable[[], list], count: int, *, timeout: float = 15.0, page: Page | None = None) -> list:
    """What `read` finds on the server once it holds `count` rows (or the last read, after `timeout` seconds).

    After a tap made online, the phone's unsent count is hidden also in the instant before the tap reaches the
    outbox, so a read right after it can come before the write (seen under CI's load). With `page`, the wait is
    Playwright's: a route handler (one that passes a held request on to the server) runs only while Playwright is
    called, so a write held by one never reached the server while this slept (a CI run under load)."""
    deadline = time.monotonic() + timeout
    rows = read()
    while len(rows) < count and time.monotonic() < deadline:
        if page is not None:
            page.wait_for_timeout(100)
        else:
            time.sleep(0.1)
        rows = read()
    return rows


def wait_until_true(page: Page, predicate: str, timeout: float | None = None) -> None:
    """Wait until an async predicate (JavaScript source, e.g. one asking the Cache API) resolves truthy.

    `page.wait_for_function` does not await a Promise: an async predicate is truthy at once (measured on
    Playwright 1.65), so a check written that way cannot fail. The predicate is polled in the page instead, and
    Playwright waits, with its timeout, for the flag it sets."""
    page.evaluate(
        """(source) => {
             window.__e2eTrue = false;
             const check = eval("(" + source + ")");
             (async function poll() {
               if (await check()) window.__e2eTrue = true;
               else setTimeout(poll, 100);
             })();
           }""",
        predicate,
    )
    page.wait_for_function("() => window.__e2eTrue === true", timeout=timeout)


def expect_sent(page: Page, timeout: float | None = None) -> None:
    """Wait until the phone holds no write (nor photo) of this person still to send, then for the bar to say so.
    The bar alone is hidden too in the moment between a tap's save and the outbox's next look (a check of it passed
    before the write had even left: three e2e tests then found the server without it, 1 run in 3 on a loaded
    machine)."""
    wait_until_true(
        page,
        """async () => [...(await window.GridcareOutbox.all()), ...(await window.GridcareOutbox.photos())]
             .every((w) => w.status !== "queued" || w.user_id !== document.body.dataset.userId)""",
        timeout,
    )
    expect(page.get_by_test_id("outbox-status")).to_be_hidden()


def open_while_offline(page: Page, path: str = "/") -> OfflinePage:
    """Cut the network (the service worker's fetches too) and navigate: the worker answers with the offline page."""
    page.context.set_offline(True)
    page.goto(path)
    return OfflinePage(page)


# Phone-size checks -----------------------------------------------------------------------------------------------

# Every visible interactive element whose box is under the minimum, with a short CSS path to find it by.
_SMALL_TARGETS_JS = """
(min) => {
  const part = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) return s + "#" + el.id;
    const testid = el.getAttribute("data-testid");
    if (testid) return s + `[data-testid="${testid}"]`;
    if (el.classList.length) s += "." + [...el.classList].join(".");
    const parent = el.parentElement;
    if (parent) {
      const same = [...parent.children].filter((c) => c.tagName === el.tagName);
      if (same.length > 1) s += `:nth-of-type(${same.indexOf(el) + 1})`;
    }
    return s;
  };
  const describe = (el) => {
    const path = [];
    for (let e = el; e && e !== document.body && path.length < 4; e = e.parentElement) {
      path.unshift(part(e));
      if (e.id || e.getAttribute("data-testid")) break;
    }
    return path.join(" > ");
  };
  const small = [];
  for (const el of document.querySelectorAll("a, button, input, select, textarea, summary")) {
    if (el.type === "hidden" || !el.checkVisibility({ visibilityProperty: true })) continue;
    // A checkbox or radio inside its <label> is tapped through the label: the label is the target.
    const wrapped = (el.type === "checkbox" || el.type === "radio") && el.closest("label");
    const box = (wrapped || el).getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.width < min || box.height < min) {
      small.push({
        selector: describe(el),
        text: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 30),
        width: Math.round(box.width * 10) / 10,
        height: Math.round(box.height * 10) / 10,
      });
    }
  }
  return small;
}
"""


@dataclass(frozen=True)
class SmallTarget:
    selector: str
    text: str
    width: float
    height: float

    def __str__(self) -> str:
        return f"{self.selector} {self.text!r}: {self.width} x {self.height}"


@dataclass(frozen=True)
class PhoneLayout:
    name: str
    screenshot: Path
    viewport_width: int
    scroll_width: int
    small_targets: list[SmallTarget]
    min_target: int = MIN_TARGET

    def problems(self) -> list[str]:
        found = []
        if self.scroll_width > self.viewport_width:
            found.append(f"scrolls sideways: scrollWidth {self.scroll_width} > {self.viewport_width}")
        found += [f"touch target under {self.min_target}x{self.min_target}: {target}" for target in self.small_targets]
        return found


def measure_phone_layout(page: Page, name: str, min_target: int = MIN_TARGET) -> PhoneLayout:
    """Save a full-page screenshot to test-artifacts/screenshots/<name>.png and measure the page."""
    page.evaluate("document.fonts.ready.then(() => true)")  # no screenshot with fallback fonts
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    screenshot = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=screenshot, full_page=True)
    return PhoneLayout(
        name=name,
        screenshot=screenshot,
        viewport_width=page.viewport_size["width"],
        scroll_width=page.evaluate("document.documentElement.scrollWidth"),
        small_targets=[SmallTarget(**t) for t in page.evaluate(_SMALL_TARGETS_JS, min_target)],
        min_target=min_target,
    )


def assert_phone_layout(page: Page, name: str, min_target: int = MIN_TARGET) -> PhoneLayout:
    """min_target: 48 px on the workers' pages, 60 px on residents' pages (UX.md)."""
    layout = measure_phone_layout(page, name, min_target)
    problems = layout.problems()
    assert not problems, f"{name} ({page.url}) at {layout.viewport_width} px:\n  " + "\n  ".join(problems)
    return layout


def session_token(page: Page) -> str:
    """The value of the session cookie (gc_session) in this page's browser context."""
    cookies = [c["value"] for c in page.context.cookies() if c["name"] == "gc_session"]
    assert len(cookies) == 1, f"expected one gc_session cookie, got {len(cookies)}"
    return cookies[0]


# Sweeps --------------------------------------------------------------------------------------------------------


class NewSweepPage(AppPage):
    path = "/sweeps/new"

    def building(self, name: str) -> Locator:
        # The building's own box ("2号楼 108户"), not the boxes of its single units.
        return self.page.get_by_test_id(f"building-{name}")

    def create(self, name: str, *buildings: str, persons: bool = False) -> SweepPage:
        self.page.fill("#name", name)
        if persons:
            self.page.get_by_label("按人").check()
        for building in buildings:
            self.building(building).check()
        self.page.get_by_role("button", name="创建扫楼").click()
        sweep = SweepPage(self.page)
        sweep.progress.wait_for()
        return sweep


class SweepPage(AppPage):
    """A sweep's progress: for a volunteer their own floors and the next free ones first; then building > unit >
    floor, each folded behind its figures, with the claims; for coordinators the code, the exports and the doors to
    look at (folded behind their count)."""

    @property
    def progress(self) -> Locator:
        return self.page.get_by_test_id("sweep-progress")

    @property
    def attention(self) -> Locator:
        return self.page.get_by_test_id("sweep-attention")

    @property
    def error(self) -> Locator:
        return self.page.get_by_test_id("form-error")

    @property
    def my_floors(self) -> Locator:
        """A volunteer's own claimed floors, at the top of the page."""
        return self.page.get_by_test_id("my-floors")

    @property
    def claim_next(self) -> Locator:
        """The card proposing the next free floors to a volunteer."""
        return self.page.get_by_test_id("claim-next")

    def building(self, name: str) -> Locator:
        return self.page.get_by_test_id("sweep-building").filter(
            has=self.page.locator(".building-name").get_by_text(name, exact=True)
        )

    def unit(self, number: int) -> Locator:
        """The nth unit of the page (all buildings counted), unfolded."""
        return self.unfold(self.page.get_by_test_id("sweep-unit").nth(number - 1))

    def unfold(self, fold: Locator) -> Locator:
        """Open a folded list (<details>) if it is closed, as a person taps its summary; also its building."""
        if fold.get_attribute("data-testid") == "sweep-unit":
            self.unfold(fold.locator("xpath=ancestor::details[@data-testid='sweep-building']"))
        if fold.get_attribute("open") is None:
            fold.locator(":scope > summary").click()
            expect(fold).to_have_attribute("open", "")
        return fold

    def claims(self, unit: int = 1) -> Locator:
        return self.unit(unit).get_by_test_id("claims").get_by_test_id("claim")

    def claim(self, first: int, last: int, unit: int = 1) -> SweepPage:
        """Claim floors of a unit, then wait until the phone has kept a copy of each floor it holds."""
        held = self.page.evaluate(
            "() => JSON.parse(document.querySelector('[data-precache]')?.getAttribute('data-precache') || '[]').length"
        )
        form = self.unit(unit).get_by_test_id("claim-form")
        form.get_by_label("楼层", exact=True).fill(str(first))
        form.get_by_label("到楼层", exact=True).fill(str(last))
        form.get_by_test_id("claim-submit").click()
        self.page.wait_for_function(f"() => document.documentElement.dataset.precached === '{held + last - first + 1}'")
        return self

    def open_floor(self, floor: int, unit: int = 1) -> FloorScreen:
        self.unit(unit).get_by_test_id("sweep-floors").get_by_role("link", name=re.compile(rf"^{floor}层")).click()
        return FloorScreen(self.page)

    def open_my_floor(self, floor: int) -> FloorScreen:
        """One tap on one of my floors, at the top of the page."""
        self.my_floors.get_by_role("link", name=re.compile(rf"^{floor}层")).first.click()
        return FloorScreen(self.page)

    def make_code(self) -> str:
        self.page.get_by_test_id("invite-link").click()
        self.page.get_by_test_id("make-code").click()
        return self.page.get_by_test_id("join-code").first.inner_text().strip()

    @property
    def closed_badge(self) -> Locator:
        return self.page.get_by_test_id("sweep-closed")

    @property
    def closed_note(self) -> Locator:
        return self.page.get_by_test_id("closed-note")

    @property
    def close_confirm(self) -> Locator:
        """The confirm step: swapped in under the button with htmx, a page of its own without JavaScript."""
        return self.page.get_by_test_id("close-confirm")

    def ask_to_close(self) -> Locator:
        self.page.get_by_test_id("close-sweep").click()
        expect(self.close_confirm).to_be_visible()
        return self.close_confirm

    def confirm_close(self) -> SweepPage:
        self.close_confirm.get_by_test_id("close-confirm-button").click()
        expect(self.closed_badge).to_be_visible()
        return self

    def reopen(self) -> SweepPage:
        self.page.get_by_test_id("reopen-sweep").click()
        expect(self.page.get_by_test_id("close-sweep")).to_be_visible()
        return self


class FloorScreen(AppPage):
    """The door screen: a compact list of doors; 已完成 and 无人应答 on the row, the rest in the door's "更多" sheet;
    a floor picker and the next floor to sweep; "nobody home" for the doors left, with a confirm step."""

    QUICK = ("已完成", "无人应答")

    def door(self, number: str) -> Locator:
        return self.page.get_by_test_id("door-row").filter(has_text=number)

    @property
    def doors(self) -> Locator:
        return self.page.get_by_test_id("door-row")

    def more(self, number: str) -> Locator:
        """Open the door's sheet (one tap) and return the door."""
        door = self.door(number)
        door.locator(".door-more > summary").click()
        return door

    def tick(self, number: str, outcome: str, note: str | None = None) -> None:
        door = self.door(number)
        if note is not None or outcome not in self.QUICK:
            self.more(number)
        if note is not None:
            door.get_by_role("textbox").first.fill(note)
        door.get_by_role("button", name=outcome, exact=True).click()

    def ask_help(self, number: str, what: str) -> None:
        door = self.more(number)
        door.get_by_label("需要什么帮助？").fill(what)
        door.get_by_role("button", name="提交求助").click()

    def state(self, number: str) -> Locator:
        """The door's state line once shown. Hidden, it still holds the words of every state it can take (待同步,
        未被接受): a text check on it would pass before the tap is even saved on the phone."""
        return self.door(number).get_by_test_id("door-state").filter(visible=True)

    @property
    def unsent(self) -> Locator:
        return self.page.get_by_test_id("outbox-count")

    @property
    def picker(self) -> Locator:
        return self.page.get_by_test_id("floor-picker")

    def go_to_floor(self, floor: int, timeout: float | None = None) -> FloorScreen:
        """Two taps: the picker, then the floor (`timeout`: how long the floor may take to open, in ms)."""
        self.picker.click()
        self.page.get_by_test_id("floor-picker-sheet").get_by_role("link").filter(
            has=self.page.locator("b", has_text=re.compile(rf"^{floor}$"))
        ).click(timeout=timeout)
        self.page.wait_for_url(re.compile(rf"/floors/{floor}$"), timeout=timeout)
        return self

    @property
    def next_floor(self) -> Locator:
        return self.page.get_by_test_id("next-floor").first

    @property
    def nobody_home(self) -> Locator:
        """The whole floor's "nobody home" button (it opens the confirm step)."""
        return self.page.get_by_test_id("floor-nobody-home")

    @property
    def nobody_home_doors(self) -> Locator:
        return self.page.get_by_test_id("bulk-door")

    def confirm_nobody_home(self) -> None:
        self.page.get_by_test_id("floor-nobody-home-yes").click()


class JoinPage(AppPage):
    path = "/join"

    def join(self, code: str, name: str, phone: str) -> SweepPage:
        self.page.goto(f"/join?code={code}")
        self.page.get_by_label("你的姓名").fill(name)
        self.page.get_by_label("你的手机号").fill(phone)
        self.page.get_by_test_id("join-submit").click()
        sweep = SweepPage(self.page)
        sweep.progress.wait_for()
        return sweep


# Reconciling -------------------------------------------------------------------------------------------------------


class MissingList(AppPage):
    """A reconciliation's missing people: buildings with their counts, one open with its doors and their people."""

    @property
    def buildings(self) -> Locator:
        return self.page.get_by_test_id("missing-building")

    def building(self, name: str) -> Locator:
        # "2号楼 45 人", and not "12号楼 ..."
        return self.buildings.filter(has_text=re.compile(rf"(^|[\s▸▾]){name} \d+ 人"))

    def open_building(self, name: str) -> Locator:
        building = self.building(name)
        building.get_by_test_id("building-link").click()
        expect(building.get_by_test_id("building-link")).to_have_attribute("aria-expanded", "true")
        return building

    @property
    def todo_count(self) -> Locator:
        """How many missing people have no reason yet (the filter's count)."""
        return self.page.get_by_test_id("todo-count")

    def todo(self) -> int:
        return int(self.todo_count.inner_text())

    @property
    def doors(self) -> Locator:
        return self.page.get_by_test_id("missing-door")

    def door(self, number: str) -> Locator:
        return self.doors.filter(has=self.page.get_by_role("link", name=number, exact=True))

    @property
    def people(self) -> Locator:
        return self.page.get_by_test_id("missing-person")


# Accessibility -----------------------------------------------------------------------------------------------------

AXE = ROOT / "e2e" / "vendor" / "axe.min.js"  # axe-core, pinned in frontend/package.json (make vendor)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_violations(page: Page, *, aaa_contrast: bool = False) -> list[dict]:
    """axe-core's violations on the page as it is now; with aaa_contrast, also the 7:1 contrast rule (WCAG AAA)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        # Evaluated, not added as a <script>: the page's policy refuses inline scripts, and Playwright's evaluate
        # is not a page's script.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    tags = WCAG_TAGS + (["wcag2aaa"] if aaa_contrast else [])
    # Only rules of these tags run; of the AAA ones, only the contrast rule is asked for.
    rules = {"color-contrast-enhanced": {"enabled": aaa_contrast}}
    return page.evaluate(
        """([tags, rules]) => axe.run(document, { runOnly: { type: "tag", values: tags }, rules })
             .then(r => r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                                 nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")) })))""",
        [tags, rules],
    )


def assert_accessible(page: Page, name: str, *, aaa_contrast: bool = False) -> None:
    """No serious or critical violation; on residents' pages, no contrast under 7:1 at all."""
    found = axe_violations(page, aaa_contrast=aaa_contrast)
    bad = [v for v in found if v["impact"] in ("serious", "critical") or v["id"] == "color-contrast-enhanced"]
    assert not bad, f"{name} ({page.url}):\n  " + "\n  ".join(
        f"{v['impact']} {v['id']}: {v['help']} {v['nodes']}" for v in bad
    )


class GuideReader:
    """A guide as a resident reads it by link: one step per screen."""

    def __init__(self, page: Page) -> None:
        self.page = page

    @property
    def current(self) -> Locator:
        return self.page.locator("section.step:not([hidden])")

    @property
    def count(self) -> Locator:
        return self.current.get_by_test_id("step-count")

    @property
    def text(self) -> Locator:
        return self.current.get_by_test_id("step-text")

    @property
    def picture(self) -> Locator:
        return self.current.locator("img.step-picture")

    @property
    def read_aloud(self) -> Locator:
        return self.current.get_by_test_id("read-aloud")

    @property
    def finished(self) -> Locator:
        return self.page.get_by_test_id("finished")

    def next(self) -> None:
        self.current.get_by_test_id("next").click()

    def back(self) -> None:
        self.current.get_by_test_id("back").click()

    def larger_text(self) -> None:
        self.page.get_by_test_id("text-larger").click()

    def step_font_px(self) -> float:
        return float(self.text.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))

    def handwriting_loaded(self) -> bool:
        self.page.evaluate("document.fonts.ready.then(() => true)")
        return self.page.evaluate(
            "[...document.fonts].some(f => f.family.replaceAll('\"', '') === 'Guide Hand' && f.status === 'loaded')"
        )

    def wait_until_kept(self) -> None:
        """The page's script has put the guide, its font and pictures in the phone's cache."""
        self.page.wait_for_selector("body[data-kept='true']", state="attached")

    def smallest_text_px(self) -> float:
        """The smallest font size of any visible text on the page."""
        return self.page.evaluate(
            """() => {
              let smallest = Infinity;
              const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
              for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const el = node.parentElement;
                if (!node.textContent.trim() || !el.checkVisibility() || el.closest('.visually-hidden')) continue;
                smallest = Math.min(smallest, parseFloat(getComputedStyle(el).fontSize));
              }
              return smallest;
            }"""
        )


# Errands -------------------------------------------------------------------------------------------------------


class ErrandCard:
    """One errand card's page. Moves, ticks and money go through the outbox: a tap shows its label at once, then the
    server's state arrives when the card refreshes after the sync."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.card = page.get_by_test_id("card")

    @property
    def state(self) -> Locator:
        return self.card.get_by_test_id("card-state")

    def move(self, to: str) -> None:
        self.card.get_by_test_id(f"move-{to}").click()

    def wait_for_state(self, label: str) -> None:
        """Until the server holds the card in this state (the page's copy from the server says so), not only the
        badge, which shows a queued move's state at once."""
        expect(self.state).to_have_text(label)
        self.page.wait_for_function(
            """(label) => {
                 const card = document.querySelector("[data-testid=card]");
                 return card && JSON.parse(card.dataset.stateNames)[card.dataset.cardState] === label;
               }""",
            arg=label,
        )

    def shows_state(self, label: str) -> None:
        """The badge says this state, from the server or from a move still queued on the phone."""
        expect(self.state).to_have_text(label)

    def tick(self, item: str) -> Locator:
        row = self.card.get_by_test_id("item").filter(has_text=item)
        row.get_by_test_id("item-check").click()
        return row
