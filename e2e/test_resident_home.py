"""郝大爷's home at phone size (a stranger's walk of issue 16): what he asked for, and what happens next, on the page
he opens first, in very large type."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.pages import SCREENSHOTS, assert_accessible, assert_phone_layout

RESIDENT = "13700000001"  # 郝振华 (郝大爷)


def test_his_home_shows_his_requests_in_his_words_in_very_large_type(page_as) -> None:
    elder: Page = page_as(RESIDENT)
    elder.goto("/ask")
    elder.get_by_test_id("ask-groceries").click()
    expect(elder.get_by_test_id("sent")).to_be_visible()
    elder.goto("/")
    requests = elder.get_by_test_id("my-requests")
    expect(requests).to_be_visible()
    state = requests.get_by_test_id("request-state").first
    expect(state).to_have_text("已收到，网格员会联系您")
    # Above the fold with the call button: the first thing he reads on his home (360x740).
    assert requests.bounding_box()["y"] < 740
    size = state.evaluate("(e) => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 30, size  # UX.md: a guide step's text, >= 30 px
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    elder.screenshot(path=str(SCREENSHOTS / "resident-home-requests.png"))
    assert_phone_layout(elder, "resident home with requests", min_target=60)
    assert_accessible(elder, "resident home with requests", aaa_contrast=True)
    for _ in range(2):
        elder.get_by_test_id("text-larger").click()
    assert state.evaluate("(e) => parseFloat(getComputedStyle(e).fontSize)") > size
    elder.screenshot(path=str(SCREENSHOTS / "resident-home-requests-largest.png"), full_page=True)
    assert_phone_layout(elder, "resident home with requests, largest", min_target=60)
