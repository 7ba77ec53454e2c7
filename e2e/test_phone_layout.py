"""Phone-size checks of every page: a full-page screenshot for a person to look at, no sideways scrolling, and
every visible link, button, input and summary at least 48 x 48 css px (UX.md). Screenshots go to
test-artifacts/screenshots/<name>.png; a failure lists each offending element with a selector and its size."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from e2e.pages import PHONE_HEIGHT, HomePage, LoginPage, assert_phone_layout, open_while_offline, wait_until_controlled

WORKER = "13800000002"  # 李雪敏, 第二网格
OTHER_WORKER = "13800000001"  # 郭婷, 第一网格
ADMIN = "13800000000"
VOLUNTEER = "13900000001"

# name: (who is logged in, the URL, something that must be on the page before it is measured)
PAGES = {
    "login": (None, lambda d: "/login", "#phone"),
    "home-grid-worker": (WORKER, lambda d: "/", "[data-testid=my-grid]"),
    "home-admin": (ADMIN, lambda d: "/", "[data-testid=community]"),
    "home-volunteer": (VOLUNTEER, lambda d: "/", "[data-testid=volunteer-tasks]"),
    "grid": (ADMIN, lambda d: f"/grids/{d.grid_2}", "[data-testid=building-list]"),
    "building": (WORKER, lambda d: f"/buildings/{d.building_2}", "[data-testid=unit-1]"),
    "floor": (WORKER, lambda d: d.floor_2_1_3, "[data-testid=household-list]"),
    "household": (WORKER, lambda d: f"/households/{d.household_2_1_301}", "[data-testid=resident]"),
    "search": (WORKER, lambda d: "/search?q=张国强", "[data-testid=search-results]"),
    "register-import-form": (WORKER, lambda d: "/register/import", "[data-testid=upload-form]"),
    "error-404": (OTHER_WORKER, lambda d: f"/households/{d.household_2_1_301}", "main [role=alert]"),
    "error-403": (VOLUNTEER, lambda d: f"/buildings/{d.building_2}", "main [role=alert]"),
}


@pytest.mark.parametrize("width", [360, 412], ids=["360px", "412px"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_fits_a_phone(name: str, width: int, page_as, new_context, demo) -> None:
    """360 px is the test phone, the narrowest UX.md names; 412 px a common wider one."""
    account, url, ready = PAGES[name]
    size = {"viewport": {"width": width, "height": PHONE_HEIGHT}}
    page: Page = page_as(account, **size) if account else new_context(**size).new_page()
    page.goto(url(demo))
    expect(page.locator(ready).first).to_be_visible()
    assert_phone_layout(page, name if width == 360 else f"{name}-{width}")


def test_login_error_fits_a_phone(page: Page) -> None:
    login = LoginPage(page).open()
    login.submit("13800000005", "not-the-password")
    expect(login.error).to_be_visible()
    assert_phone_layout(page, "login-error")


def test_offline_page_fits_a_phone(page: Page) -> None:
    LoginPage(page).open()
    wait_until_controlled(page)
    offline = open_while_offline(page, "/")
    expect(offline.card).to_be_visible()
    assert_phone_layout(page, "offline")


def test_english_home_fits_a_phone(page_as) -> None:
    """English words are longer than Chinese ones: the grid worker's home in English."""
    page = page_as(WORKER)
    home = HomePage(page).open()
    home.language_button("English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(home.my_grid).to_be_visible()
    assert_phone_layout(page, "home-grid-worker-en")
