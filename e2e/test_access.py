"""Access by URL: a grid worker cannot open another grid's places, a volunteer cannot open the register."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from e2e.pages import ErrorPage, path_of

OTHER_WORKER = "13800000001"  # 郭婷, 第一网格
VOLUNTEER = "13900000001"

# Places of 第二网格 (README.md: 2号楼, 张国强 and 李秀英 at 2-1-301).
PLACES = {
    "household": lambda demo: f"/households/{demo.household_2_1_301}",
    "building": lambda demo: f"/buildings/{demo.building_2}",
    "floor": lambda demo: demo.floor_2_1_3,
    "grid": lambda demo: f"/grids/{demo.grid_2}",
}


@pytest.mark.parametrize("place", PLACES)
def test_other_grid_is_not_found(page_as, db, demo, place: str) -> None:
    page = page_as(OTHER_WORKER)
    reads_before = db.household_reads(OTHER_WORKER, demo.household_2_1_301)
    url = PLACES[place](demo)
    answer = page.goto(url)
    assert answer is not None and answer.status == 404
    assert path_of(page) == url
    error = ErrorPage(page)
    expect(error.message).to_contain_text("没有找到，或者不在您的网格内")
    expect(error.who).to_contain_text("郭婷")
    for name in ("张国强", "李秀英", "2-1-301"):
        expect(page.locator("body")).not_to_contain_text(name)
    assert db.household_reads(OTHER_WORKER, demo.household_2_1_301) == reads_before  # nothing was read

    error.home_button.click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    expect(page.get_by_test_id("my-grid")).to_contain_text("第一网格")


@pytest.mark.parametrize("place", ["building", "household", "search"])
def test_volunteer_cannot_open_the_register(page_as, demo, place: str) -> None:
    page = page_as(VOLUNTEER)
    url = {**PLACES, "search": lambda _: "/search?q=张国强"}[place](demo)
    answer = page.goto(url)
    assert answer is not None and answer.status == 403
    error = ErrorPage(page)
    expect(error.message).to_contain_text("您的账号不能打开这个页面")
    expect(page.locator("body")).not_to_contain_text("张国强")
