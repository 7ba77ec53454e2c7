"""The pages run under their Content-Security-Policy (scripts and styles from the site only) with nothing refused.

Every e2e test already fails on a refused script, style or font (`new_context` in conftest.py listens for
`securitypolicyviolation`); these tests show that the listener hears a violation, and walk the pages whose parts
were inline before the policy: htmx's indicator styles and the guides' @font-face.
"""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from e2e.conftest import CSP_LISTENER
from e2e.pages import GuideReader, HomePage, LoginPage

WORKER = "13800000002"  # 李雪敏, grid 2


def test_the_listener_hears_what_the_policy_refuses(browser: Browser, phone: dict) -> None:
    # A context of its own (not `new_context`, which would fail this test for the violations it makes on purpose),
    # with the same listener.
    context = browser.new_context(**phone)
    context.add_init_script(CSP_LISTENER)
    try:
        page = context.new_page()
        heard: list[str] = []
        page.on("console", lambda message: heard.append(message.text))
        LoginPage(page).open()
        # What an injected resident's name would try: an inline style and an inline script.
        page.evaluate(
            """() => {
              const style = document.createElement("style");
              style.textContent = "body { background: red }";
              document.head.appendChild(style);
              const script = document.createElement("script");
              script.textContent = "window.__ran = true";
              document.head.appendChild(script);
            }"""
        )
        expect(page.locator("body")).not_to_have_css("background-color", "rgb(255, 0, 0)")
        assert page.evaluate("window.__ran === undefined")
        page.wait_for_function("() => true")  # one more round trip: the console messages have arrived
        refused = [text for text in heard if text.startswith("CSP violation")]
        assert any("style-src" in text for text in refused) and any("script-src" in text for text in refused), heard
    finally:
        context.close()


def test_htmx_search_runs_under_the_policy(page_as) -> None:
    page = page_as(WORKER)
    home = HomePage(page).open()
    search = home.search
    search.input.fill("张国强")
    expect(search.results).to_be_visible()  # htmx swapped the results in, with its indicator class
    assert page.evaluate("document.querySelectorAll('head style').length") == 0  # htmx injected no <style>


def test_a_guide_draws_in_its_handwriting_under_the_policy(new_context, db) -> None:
    token = db.value("SELECT token FROM guide_link WHERE withdrawn_at IS NULL ORDER BY created_at LIMIT 1")
    page = new_context().new_page()
    reader = GuideReader(page)
    page.goto(f"/g/{token}")
    assert reader.handwriting_loaded()
