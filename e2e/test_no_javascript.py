"""Without JavaScript every page still works: plain forms and links (progressive enhancement)."""

from __future__ import annotations

from playwright.sync_api import expect

from e2e.pages import HomePage, LoginPage, SearchPage, path_of, query_of


def test_works_without_javascript(new_context, db, demo) -> None:
    page = new_context(java_script_enabled=False).new_page()
    home = LoginPage(page).open().log_in_as("13800000002")
    assert path_of(page) == "/"
    expect(home.who).to_contain_text("李雪敏")
    expect(home.my_grid).to_contain_text("第二网格")

    # The search form is an ordinary GET form: a full page of results, not an htmx request.
    home.search.input.fill("张国强")
    with page.expect_request(lambda request: "/search?" in request.url) as sent:
        home.search.button.click()
    assert sent.value.is_navigation_request()
    assert "hx-request" not in sent.value.headers
    page.wait_for_url(lambda url: "/search?" in url)
    assert path_of(page) == "/search"
    assert query_of(page)["q"] == ["张国强"]
    search = SearchPage(page)
    expect(search.heading).to_be_visible()
    expect(search.search.input).to_have_value("张国强")
    expect(search.search.result("张国强", "2-1-301")).to_be_visible()

    reads_before = db.household_reads("13800000002", demo.household_2_1_301)
    household = search.search.open_result("张国强", "2-1-301")
    expect(household.door).to_have_text("2-1-301")
    expect(household.resident("张国强")).to_be_visible()
    expect(household.resident("李秀英")).to_be_visible()
    assert db.household_reads("13800000002", demo.household_2_1_301) == reads_before + 1

    # Nobody found is said in words.
    HomePage(page).open()
    home.search.input.fill("没有这个人")
    home.search.button.click()
    expect(search.search.no_results).to_contain_text("没有这个人")


def test_an_errand_card_without_javascript(new_context) -> None:
    """From a resident's profile to a card taken: plain forms posting to /errands and /errands/<id>/actions."""
    page = new_context(java_script_enabled=False).new_page()
    LoginPage(page).open().log_in_as("13800000002")
    page.goto("/search?q=侯秀兰")
    page.get_by_role("link", name="侯秀兰").first.click()
    page.get_by_test_id("resident").filter(has_text="侯秀兰").get_by_test_id("new-errand").click()
    expect(page.get_by_test_id("chosen")).to_contain_text("侯秀兰")
    page.locator("#items").fill("")
    page.get_by_test_id("save-card").click()
    expect(page.get_by_test_id("error-items")).to_be_visible()  # said in place, nothing saved
    page.locator("#items").fill("小米 2斤")
    page.get_by_test_id("save-card").click()
    page.wait_for_url(lambda url: "/errands/" in url and "/new" not in url)
    expect(page.get_by_test_id("card-state")).to_have_text("新")
    page.get_by_test_id("move-accepted").click()
    expect(page.get_by_test_id("card-state")).to_have_text("已接单")
