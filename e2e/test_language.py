"""The footer's language buttons switch the whole page between Chinese and English, and back."""

from __future__ import annotations

from playwright.sync_api import expect

from e2e.pages import HomePage, HouseholdPage, path_of


def test_switch_to_english_and_back(page_as) -> None:
    page = page_as("13800000002")
    home = HomePage(page).open()
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(home.logout_button).to_have_text("退出登录")
    expect(home.language_button("中文")).to_have_attribute("aria-current", "true")

    home.language_button("English").click()
    expect(html).to_have_attribute("lang", "en")
    assert path_of(page) == "/"  # back on the page where the button was pressed
    expect(home.logout_button).to_have_text("Log out")
    expect(home.my_grid).to_contain_text("My grid")
    expect(home.language_button("English")).to_have_attribute("aria-current", "true")
    assert {c["name"]: c["value"] for c in page.context.cookies()}.get("gc_lang") == "en"

    # The choice is remembered on the next page too.
    home.open_building("2号楼")
    expect(page.locator("nav.crumbs")).to_contain_text("Home")

    home.language_button("中文").click()
    expect(html).to_have_attribute("lang", "zh-CN")
    assert path_of(page).startswith("/buildings/")
    expect(home.logout_button).to_have_text("退出登录")
    expect(page.locator("nav.crumbs")).to_contain_text("首页")


def test_english_reaches_the_shared_macros(page_as, demo) -> None:
    page = page_as("13800000002")
    home = HomePage(page).open()
    home.language_button("English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(home.who).to_contain_text("Grid worker", timeout=2_000)  # m.role_name (the page is loaded: no long wait)
    expect(page.get_by_test_id("stat-households")).to_contain_text("Households")  # m.grid_stats
    expect(home.search.button).to_have_text("Search")  # m.search_form
    expect(home.search.input).to_have_attribute("placeholder", "Name, phone or door")
    household = HouseholdPage(page)
    page.goto(f"/households/{demo.household_2_1_301}")
    expect(household.resident("张国强")).to_contain_text("Living here")  # m.status_name
    expect(household.resident("张国强")).to_contain_text("Head of household")  # m.relation_name
