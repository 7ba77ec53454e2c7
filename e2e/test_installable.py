"""Chromium finds the app installable, and the manifest says what a home-screen icon needs."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Playwright, expect

from e2e.pages import LoginPage, wait_until_controlled


@pytest.fixture
def persistent_context(playwright: Playwright, launch_options: dict, phone: dict, tmp_path: Path) -> Iterator:
    # An ordinary (incognito) context reports "in-incognito": installability needs a profile on disk.
    context = playwright.chromium.launch_persistent_context(tmp_path / "profile", **launch_options, **phone)
    context.set_default_timeout(10_000)
    yield context
    context.close()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_installable(persistent_context: BrowserContext, live_server) -> None:
    page = persistent_context.pages[0] if persistent_context.pages else persistent_context.new_page()
    LoginPage(page).open().log_in_as("13800000002")
    wait_until_controlled(page)
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.active.state)") == "activated"
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)") == f"{live_server.base_url}/"

    cdp = persistent_context.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"] == f"{live_server.base_url}/manifest.webmanifest"
    assert manifest["errors"] == []
    expect(page.locator("link[rel=manifest]")).to_have_attribute("href", "/manifest.webmanifest")


def test_manifest(page) -> None:
    answer = page.request.get("/manifest.webmanifest")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("application/manifest+json")
    manifest = answer.json()
    assert manifest["name"] == "格格帮"
    assert manifest["short_name"] == "格格帮"
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"].lower() == "#0b6e4f"
    assert manifest["background_color"]

    icons = {(icon["sizes"], icon.get("purpose", "any")): icon for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= set(icons)
    for (sizes, _purpose), icon in icons.items():
        assert icon["type"] == "image/png"
        image = page.request.get(icon["src"])
        assert image.status == 200, icon["src"]
        width, height = _png_size(image.body())
        assert f"{width}x{height}" == sizes, f"{icon['src']} is {width}x{height}, the manifest says {sizes}"
