"""Offline: the service worker shows the offline page from its cache, styled; the banner follows the network."""

from __future__ import annotations

from playwright.sync_api import expect

from e2e.pages import HomePage, open_while_offline, path_of, wait_until_controlled

GREEN = "rgb(11, 110, 79)"  # --green, the top bar


def test_offline_page_comes_from_the_cache(page_as) -> None:
    page = page_as("13800000002")
    home = HomePage(page).open()
    wait_until_controlled(page)
    static_answers = []
    page.on("response", lambda r: static_answers.append(r) if "/static/" in r.url else None)

    offline = open_while_offline(page, "/")
    expect(offline.card).to_be_visible()
    expect(offline.heading).to_have_text("您现在离线")
    assert path_of(page) == "/"  # the address stays what was asked for
    # It works offline (it lists what the phone keeps): the sync state says 离线, kept on screen, instead of the
    # banner, which would take two lines more.
    expect(page.get_by_test_id("sync-offline")).to_be_visible()
    expect(page.get_by_test_id("sync-offline")).to_have_text("⚠ 离线")
    expect(offline.offline_banner).to_be_hidden()
    # The shell came from the cache: styles applied, htmx loaded, the icon drawn.
    expect(offline.topbar).to_have_css("background-color", GREEN)
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.locator("header.topbar img").evaluate("img => img.complete && img.naturalWidth") > 0
    assert static_answers, "no static asset was requested"
    assert all(r.from_service_worker and r.ok for r in static_answers), [r.url for r in static_answers]
    expect(offline.who).to_have_count(0)  # the cached page holds nothing about the person

    # Back online, "try again" brings the real page.
    page.context.set_offline(False)
    offline.try_again.click()
    expect(home.my_grid).to_be_visible()
    expect(home.offline_banner).to_be_hidden()


def test_offline_banner_follows_the_network(page_as) -> None:
    page = page_as("13800000002")
    home = HomePage(page).open()
    expect(home.my_grid).to_be_visible()
    expect(home.offline_banner).to_be_hidden()

    page.context.set_offline(True)
    expect(home.offline_banner).to_be_visible()
    expect(home.offline_banner).to_contain_text("离线")
    expect(home.my_grid).to_be_visible()  # what was on the screen stays

    page.context.set_offline(False)
    expect(home.offline_banner).to_be_hidden()
