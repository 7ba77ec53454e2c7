"""Issue 14 at phone size: the sweep page of a volunteer (their floors first, the next free ones proposed) and of a
coordinator watching a big sweep (a 400-door tower and nine more buildings: lists folded behind their counts, and
what they opened stays open while the page refreshes itself)."""

from __future__ import annotations

import re

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
)

WORKER = "13800000002"  # 李雪敏: building 2 is in her grid
ADMIN = "13800000000"  # 王磊: every grid
VOLUNTEER = "13900000003"


def _nobody_home(page: Page, doors: list[str]) -> None:
    screen = FloorScreen(page)
    for door in doors:
        screen.tick(door, "无人应答")
        expect(screen.state(door)).to_contain_text("无人应答")
    expect_sent(page)


def test_a_volunteer_sees_their_floors_first_and_is_offered_the_next_free_ones(page_as) -> None:
    coordinator: Page = page_as(WORKER)
    sweep = NewSweepPage(coordinator).open().create("志愿者的扫楼页", "2号楼")
    sweep_path = path_of(coordinator)
    sweep.open_floor(5)
    _nobody_home(coordinator, ["2-1-501", "2-1-502", "2-1-503"])  # the floor was climbed: nobody opened

    volunteer: Page = page_as(VOLUNTEER)
    volunteer.goto(sweep_path)
    page = SweepPage(volunteer)
    expect(page.claim_next).to_contain_text("下一段空着的：2号楼 1单元 1–4 层")  # floor 5 was visited
    form = page.claim_next.get_by_test_id("claim-next-form")
    expect(form.get_by_label("楼层", exact=True)).to_have_value("1")
    expect(form.get_by_label("到楼层", exact=True)).to_have_value("4")
    form.get_by_label("楼层", exact=True).fill("4")
    form.get_by_label("到楼层", exact=True).fill("6")
    form.get_by_test_id("claim-next-submit").click()
    volunteer.wait_for_function("() => document.documentElement.dataset.precached === '3'")

    # Their floors are the first thing on the page, on the first screen: one tap each, with the time left.
    mine = page.my_floors
    expect(mine).to_contain_text("2号楼 1单元 · 4–6 层")
    expect(mine.get_by_test_id("time-left")).to_have_text(re.compile(r"还剩 (1 小时 59|2 小时 0) 分"))
    expect(mine.locator("a.floor")).to_have_count(3)
    expect(mine.locator("a.floor").nth(1)).to_have_text(re.compile(r"5层\s*3/3 到访 · 0 完成"))
    assert mine.bounding_box()["y"] < PHONE_HEIGHT / 3
    expect(page.claim_next).to_contain_text("你已认领2号楼 1单元 4–6 层")
    expect(page.claim_next).to_contain_text("下一段空着的：2号楼 1单元 1–3 层")
    assert page.claim_next.bounding_box()["y"] < page.progress.bounding_box()["y"]
    assert_phone_layout(volunteer, "sweep-page-volunteer")
    assert_accessible(volunteer, "sweep-page-volunteer")

    # Asking again for floors they hold is answered as theirs, not as someone else's.
    form.get_by_label("楼层", exact=True).fill("5")
    form.get_by_label("到楼层", exact=True).fill("8")
    form.get_by_test_id("claim-next-submit").click()
    expect(page.error).to_contain_text("你已认领 4–6 层")
    expect(page.error).not_to_contain_text("已由")

    screen = page.open_my_floor(6)
    assert path_of(volunteer).endswith("/units/1/floors/6")
    expect(screen.door("2-1-601")).to_be_visible()


def _open_tower_floor(sweep: SweepPage, floor: int) -> None:
    """Unit 1 of the tower, one of its floors: building, unit, then the floor's tile."""
    tower = sweep.building("77号楼")
    sweep.unfold(tower)
    unit = sweep.unfold(tower.get_by_test_id("sweep-unit").first)
    unit.get_by_role("link", name=re.compile(rf"^{floor}层")).click()


def test_a_coordinator_watches_a_big_sweep_on_a_short_page(new_context, own_server) -> None:
    own_server.run_python("-c", "import asyncio; from tests.sweeps.tower import add_tower; asyncio.run(add_tower())")
    own_server.start()
    coordinator = new_context(base_url=own_server.base_url).new_page()
    coordinator.clock.install()  # the page's 15 s refresh is run on demand below
    LoginPage(coordinator).open().log_in_as(ADMIN)
    buildings = ["77号楼", *(f"{n}号楼" for n in range(1, 10))]
    sweep = NewSweepPage(coordinator).open().create("十栋楼扫楼", *buildings)
    expect(coordinator.get_by_test_id("sweep-building")).to_have_count(10)
    expect(sweep.progress).to_contain_text(re.compile(r"共 \d{3,}"))
    sweep_path = path_of(coordinator)

    _open_tower_floor(sweep, 1)
    _nobody_home(coordinator, ["77-1-101", "77-1-102", "77-1-103", "77-1-104"])
    coordinator.goto(sweep_path)

    # Ten buildings, one of 400 doors: a few screens, each list behind its count.
    expect(sweep.attention.get_by_test_id("attention-summary")).to_have_text(re.compile(r"需要处理的门户\s*4 户"))
    expect(sweep.attention.locator(".row").first).to_be_hidden()
    expect(sweep.building("77号楼")).to_contain_text("到访 4 户 · 已完成 0 / 共 400")
    height = coordinator.evaluate("document.documentElement.scrollHeight")
    assert height < 3 * 740, height
    assert_phone_layout(coordinator, "sweep-page-coordinator-big")
    assert_accessible(coordinator, "sweep-page-coordinator-big")

    # She opens the doors to look at and the tower's first unit; meanwhile a volunteer's word arrives elsewhere.
    sweep.unfold(sweep.attention)
    tower = sweep.building("77号楼")
    sweep.unfold(tower.get_by_test_id("sweep-unit").first)
    first_floor = tower.get_by_test_id("sweep-unit").first.get_by_role("link", name=re.compile(r"^1层"))
    expect(first_floor).to_have_text(re.compile(r"1层\s*4/4 到访 · 0 完成"))
    other = new_context(base_url=own_server.base_url).new_page()
    LoginPage(other).open().log_in_as(ADMIN)
    other.goto(sweep_path)
    _open_tower_floor(SweepPage(other), 2)
    _nobody_home(other, ["77-1-201"])

    def refresh(response) -> bool:
        return path_of_url(response.url) == sweep_path and bool(response.request.headers.get("hx-request"))

    with coordinator.expect_response(refresh):
        coordinator.clock.run_for(16_000)
    expect(sweep.attention.get_by_test_id("attention-summary")).to_contain_text("5 户")  # refreshed
    expect(sweep.attention).to_have_attribute("open", "")  # and what she opened is still open
    expect(tower.get_by_test_id("sweep-unit").first).to_have_attribute("open", "")
    expect(sweep.attention.locator(".row").filter(has_text="77-1-201")).to_be_visible()
    assert_phone_layout(coordinator, "sweep-page-coordinator-open")


def path_of_url(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url).split("?")[0].split("#")[0]


def test_the_folded_lists_open_without_javascript(new_context, page_as) -> None:
    coordinator: Page = page_as(WORKER)
    NewSweepPage(coordinator).open().create("不用脚本的扫楼页", "2号楼")
    SweepPage(coordinator).open_floor(3)
    _nobody_home(coordinator, ["2-1-301"])
    sweep_path = coordinator.url.split("/buildings/")[0]

    page = new_context(java_script_enabled=False).new_page()
    LoginPage(page).open().log_in_as(WORKER)
    page.goto(sweep_path)
    sweep = SweepPage(page)
    expect(sweep.attention.locator(".row")).to_be_hidden()
    sweep.unfold(sweep.attention)
    expect(sweep.attention.locator(".row").filter(has_text="2-1-301")).to_be_visible()
    sweep.open_floor(3)
    expect(FloorScreen(page).door("2-1-301")).to_be_visible()
