"""The admin's round, 50 people a page (issue 18, decision 0038), at 360 px: 后 50 adds the next page's rows below
those shown (htmx), each person once and in the same order as page 2 read alone; without JavaScript, the same link
opens page 2 as a page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.pages import SCREENSHOTS, assert_accessible, assert_phone_layout

ADMIN = "13800000000"  # 王磊: the demo's round of 141 people, three pages


def _ids(page: Page) -> list[str]:
    return page.locator("[data-testid=round-row]").evaluate_all("rows => rows.map(row => row.id)")


def test_next_50_adds_the_next_page_below_the_first(page_as, new_context, storage_state) -> None:
    admin: Page = page_as(ADMIN)
    admin.goto("/round")
    first = _ids(admin)
    assert len(first) == 50
    expect(admin.get_by_test_id("round-place")).to_contain_text("1–50")
    admin.get_by_test_id("round-next").scroll_into_view_if_needed()
    admin.screenshot(path=str(SCREENSHOTS / "round-pager-360.png"))
    assert_phone_layout(admin, "round-pager")
    admin.get_by_test_id("round-next").click()
    expect(admin.locator("[data-testid=round-row]")).to_have_count(100)
    expect(admin.get_by_test_id("round-place")).to_contain_text("1–100")
    both = _ids(admin)
    assert both[:50] == first and len(set(both)) == 100
    assert admin.url.endswith("/round")  # the page grew in place
    admin.get_by_test_id("round-next").scroll_into_view_if_needed()
    admin.screenshot(path=str(SCREENSHOTS / "round-pager-more-360.png"))
    assert_accessible(admin, "round-pager")

    # Without JavaScript, 后 50 is page 2 as a page of its own: the same people as the rows htmx added.
    plain: Page = new_context(storage_state=storage_state(ADMIN), java_script_enabled=False).new_page()
    plain.goto("/round")
    plain.get_by_test_id("round-next").click()
    assert plain.url.endswith("/round?page=2")
    assert _ids(plain) == both[50:]
    expect(plain.get_by_test_id("round-previous")).to_be_visible()
