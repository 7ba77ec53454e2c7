"""Every answer carries the security headers: pages, fragments, JSON, files, and every kind of error (issue 15, 8)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar import get

from tests.conftest import browser, csrf, log_in

WORKER = "13800000001"
VOLUNTEER = "13900000001"
TEMPLATES = Path(__file__).resolve().parents[2] / "frontend" / "templates"


def assert_protected(answer, what: str, *, cache: str | None = "no-store") -> None:
    headers = answer.headers
    policy = headers.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in (part.strip() for part in policy.split(";")) if d}
    assert directives.get("frame-ancestors") == ["'none'"], (what, policy)
    # More than frame-ancestors: scripts and styles from this site only, nothing inline.
    assert directives.get("script-src") == ["'self'"], (what, policy)
    assert directives.get("style-src") == ["'self'"], (what, policy)
    assert directives.get("object-src") == ["'none'"] and directives.get("base-uri") == ["'none'"], (what, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, (what, policy)
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("x-frame-options") == "DENY", what
    assert headers.get("referrer-policy") == "same-origin", what
    if cache is not None:
        assert headers.get("cache-control") == cache, (what, headers.get("cache-control"))


async def test_errors_carry_the_same_headers_as_pages(app):
    async with browser(app) as client:
        assert_protected(await client.get("/login"), "a page")
        assert_protected(await client.get("/"), "a redirect to log-in")
        assert_protected(await client.get("/api/v1/me"), "401 JSON")
        assert_protected(await client.post("/login", data={"phone": "1"}), "403: no CSRF token")
        assert_protected(await client.get("/no-such-page"), "404 of the router")
        assert_protected(await client.get("/api/v1/no-such-thing"), "404 JSON")
        assert_protected(await client.get("/static/no-such-file.js"), "404 of a static file")
        assert_protected(await client.delete("/login", headers=csrf(client)), "405")
        await log_in(client, VOLUNTEER)
        assert_protected(await client.get("/audit"), "403: not for this role")
        assert_protected(await client.get("/households/00000000-0000-0000-0000-000000000000"), "404 of a handler")
        big = b"[" + b" " * (11 * 1024 * 1024) + b"]"  # past the default limit of 10 MB
        too_large = await client.post(
            "/api/v1/sync", content=big, headers={**csrf(client), "content-type": "application/json"}
        )
        assert too_large.status_code == 413
        assert_protected(too_large, "413")
        bad = await client.post(
            "/api/v1/sync", content=b"{", headers={**csrf(client), "content-type": "application/json"}
        )
        assert bad.status_code == 400
        assert_protected(bad, "400")


async def test_an_unexpected_error_carries_them_too():
    from server.app import create_app

    @get("/boom", opt={"public": True}, include_in_schema=False)
    async def boom() -> str:
        raise RuntimeError("a bug")

    app = create_app()
    app.register(boom)
    async with browser(app) as client:
        answer = await client.get("/boom")
        assert answer.status_code == 500
        assert_protected(answer, "500")


async def test_fragments_json_and_files_carry_them(app):
    async with browser(app) as client:
        await log_in(client, WORKER)
        fragment = await client.get("/search?q=王", headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and "<html" not in fragment.text
        assert_protected(fragment, "an htmx fragment")
        assert_protected(await client.get("/api/v1/me"), "JSON")
        assert_protected(await client.get("/api/v1/csrf"), "the outbox's token")
        assert_protected(await client.get("/manifest.webmanifest"), "the manifest", cache=None)
        assert_protected(await client.get("/sw.js"), "the service worker", cache="no-cache")
        page = (await client.get("/")).text
        css = re.search(r'href="(/static/css/app\.css[^"]*)"', page).group(1)
        # A file keeps its own cache policy (a year: its URL changes with its content).
        static = await client.get(css)
        assert static.status_code == 200 and "immutable" in static.headers["cache-control"]
        assert_protected(static, "a static file", cache=None)


async def test_the_api_schema_is_json_and_runs_no_script_from_elsewhere(app):
    """Its reader page (Swagger UI) ran a CDN's script, with inline scripts allowed, on the app's origin where a
    signed-in person's session lives (a stranger's walk of issue 15): the schema is JSON alone, under the one policy."""
    async with browser(app) as client:
        await log_in(client, VOLUNTEER)
        for path in ("/api/v1/schema", "/api/v1/schema/swagger", "/api/v1/schema/openapi.json"):
            answer = await client.get(path)
            assert "<script" not in answer.text and "jsdelivr" not in answer.text, path
            assert_protected(answer, path)
        schema = await client.get("/api/v1/schema/openapi.json")
        assert schema.status_code == 200 and schema.json()["info"]["title"] == "Gridcare API"


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_needs_an_inline_script_or_style(template):
    """The policy refuses inline scripts, <style>, style="" and on...="" handlers, and code htmx would evaluate:
    a template using one breaks in the browser."""
    text = template.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "an inline <script>"
    assert not re.search(r"<style\b", text), "a <style> element"
    assert not re.search(r"\sstyle\s*=", text), 'a style="" attribute'
    assert not re.search(r"\son[a-z]+\s*=", text), "an inline event handler"
    assert "javascript:" not in text, "a javascript: URL"
    # htmx evaluates these as code (eval), which the policy refuses: an hx-trigger filter [...], hx-on, js: values.
    assert not re.search(r'hx-trigger="[^"]*\[', text), "an hx-trigger filter (use data-hold, refresh.js)"
    assert not re.search(r"hx-on|hx-vars|hx-vals=['\"]js:", text), "htmx code in an attribute"
