"""李雪敏, grid worker of 第二网格, walks the register on her phone, finds 张国强 and logs out."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from e2e.pages import FloorPage, HomePage, HouseholdPage, LoginPage, path_of, query_of, session_token

WORKER = "13800000002"  # 李雪敏, 第二网格


def test_grid_worker_journey(page: Page, db, demo) -> None:
    # Log in: a session row now stands behind the cookie.
    home = LoginPage(page).open().log_in_as(WORKER)
    assert path_of(page) == "/"
    expect(home.who).to_contain_text("李雪敏")
    token = session_token(page)
    assert db.session_owner(token) == WORKER

    # Her grid at a glance, with the numbers the database holds.
    expect(home.my_grid).to_contain_text("第二网格")
    counts = db.grid_counts("第二网格")
    assert counts.households > 0
    assert home.stat("stat-buildings") == counts.buildings
    assert home.stat("stat-households") == counts.households
    assert home.stat("stat-residents") == counts.residents
    expect(home.building_links).to_have_count(counts.buildings)

    # Building > floor > household, then back.
    building = home.open_building("2号楼")
    assert path_of(page) == f"/buildings/{demo.building_2}"
    expect(building.heading).to_have_text("2号楼")
    expect(building.crumb("第二网格")).to_be_visible()

    floor = building.open_floor(unit=1, floor=3)
    assert path_of(page) == demo.floor_2_1_3
    expect(floor.household_list).to_contain_text("2-1-301")

    reads_before = db.household_reads(WORKER, demo.household_2_1_301)
    household = floor.open_household("2-1-301")
    assert path_of(page) == f"/households/{demo.household_2_1_301}"
    expect(household.door).to_have_text("2-1-301")
    assert db.household_reads(WORKER, demo.household_2_1_301) == reads_before + 1  # the read was audited

    page.go_back()
    assert path_of(page) == demo.floor_2_1_3
    expect(FloorPage(page).household_link("2-1-301")).to_be_visible()

    # Active search: results are swapped into the home page by htmx, no page load.
    home = HomePage(page).open()
    page.evaluate("window.__e2eMarker = 'the same page'")
    with page.expect_response(lambda response: urlsplit(response.url).path == "/search") as answer:
        home.search.input.fill("张国强")
    assert answer.value.request.headers.get("hx-request") == "true"
    assert answer.value.status == 200
    expect(home.search.result("张国强", "2-1-301")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/search\?q="))  # hx-push-url: the address can be shared or reloaded
    assert query_of(page)["q"] == ["张国强"]
    assert page.evaluate("window.__e2eMarker") == "the same page"
    expect(home.my_grid).to_be_visible()  # still the home page around the results

    household = home.search.open_result("张国强", "2-1-301")
    assert path_of(page) == f"/households/{demo.household_2_1_301}"
    expect(household.door).to_have_text("2-1-301")
    expect(household.resident("张国强")).to_be_visible()
    expect(household.resident("李秀英")).to_be_visible()

    # Log out: the session row is gone, and the app asks to log in again.
    login = household.log_out()
    expect(login.phone_input).to_be_visible()
    assert db.session_owner(token) is None
    assert not [c for c in page.context.cookies() if c["name"] == "gc_session"]

    page.goto("/")
    assert path_of(page) == "/login"
    assert query_of(page).get("next") == ["/"]
    expect(LoginPage(page).phone_input).to_be_visible()


def test_search_results_survive_reload_and_back(page_as) -> None:
    """The address htmx pushed (/search?q=...) is a real page: reloading or coming back shows the results again."""
    page = page_as(WORKER)
    home = HomePage(page).open()
    home.search.input.fill("李秀英")
    expect(home.search.result("李秀英", "2-1-301")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/search\?q="))

    page.reload()
    assert path_of(page) == "/search"
    expect(home.search.input).to_have_value("李秀英")
    expect(home.search.result("李秀英", "2-1-301")).to_be_visible()

    household = home.search.open_result("李秀英", "2-1-301")
    expect(household.resident("李秀英")).to_be_visible()
    page.go_back()
    assert path_of(page) == "/search"
    expect(home.search.result("李秀英", "2-1-301")).to_be_visible()


def test_search_says_when_nobody_is_found(page_as, db) -> None:
    page = page_as(WORKER)
    home = HomePage(page).open()
    home.search.input.fill("没有这个人")
    expect(home.search.no_results).to_contain_text("没有这个人")
    expect(home.search.results.get_by_role("link")).to_have_count(0)
    # 郭德胜 lives in 3号楼, which is not in 第二网格: a grid worker finds only her own grid's residents.
    assert db.residents_named("郭德胜", "第五网格") == 1
    assert db.residents_named("郭德胜", "第二网格") == 0
    home.search.input.fill("郭德胜")
    expect(home.search.no_results).to_contain_text("郭德胜")


def test_back_after_log_out_shows_nobody(page: Page, demo) -> None:
    """On a shared phone, Back after log-out must not bring the household page (and its phone numbers) back."""
    LoginPage(page).open().log_in_as(WORKER)
    page.goto(f"/households/{demo.household_2_1_301}")
    household = HouseholdPage(page)
    expect(household.resident("张国强")).to_be_visible()
    login = household.log_out()
    page.go_back()
    expect(login.phone_input).to_be_visible()  # asked to log in again, not shown the old page
    assert path_of(page) == "/login"
    expect(page.get_by_text("张国强")).to_have_count(0)
    # htmx keeps no snapshots of pages (historyCacheSize 0): only the current path, never residents' data.
    assert page.evaluate("JSON.parse(sessionStorage.getItem('htmx-history-cache') || '[]').length") == 0
