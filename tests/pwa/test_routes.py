"""The installable shell as the browser fetches it (the browser's own checks are in e2e/)."""

from __future__ import annotations

import io
import json
import re

from PIL import Image

from server.web.templating import SHELL_ASSETS, shell_version
from tests.conftest import log_in


async def test_manifest_has_what_installation_needs(client):
    answer = await client.get("/manifest.webmanifest")
    assert answer.headers["content-type"].startswith("application/manifest+json")
    manifest = answer.json()
    assert manifest["name"] == manifest["short_name"] == "格格帮"
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    sizes = {}
    for icon in manifest["icons"]:
        image = await client.get(icon["src"])
        assert image.status_code == 200
        width, height = Image.open(io.BytesIO(image.content)).size
        assert icon["sizes"] == f"{width}x{height}"
        sizes.setdefault(icon["purpose"], set()).add(width)
    assert sizes["any"] >= {192, 512} and 512 in sizes["maskable"]


async def test_service_worker_is_served_from_the_root_uncached_and_versioned(client):
    answer = await client.get("/sw.js")
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["cache-control"] == "no-cache"
    source = answer.text
    assert f'const VERSION = "{shell_version()}"' in source
    assert "__SHELL__" not in source and "__VERSION__" not in source
    precached = json.loads(re.search(r"const SHELL = (\[.*?\]);", source).group(1))
    assert len(precached) == len(SHELL_ASSETS) and all(url.startswith("/static/") for url in precached)
    for url in precached:  # everything the worker precaches exists, or installation would fail
        assert (await client.get(url)).status_code == 200


async def test_scripts_and_styles_travel_without_their_comments_and_nothing_else_goes(client):
    """Comments were a third of the shell's compressed bytes, against a first visit budgeted at 60 KB (issue 14)."""
    from server.web import scripts
    from server.web.templating import FRONTEND, STATIC, static_url

    worker = scripts.join(scripts.WORKER) + (FRONTEND / "sw.js").read_text(encoding="utf-8")
    for url, source in (
        ("/sw.js", worker),
        (static_url("js/page.js"), scripts.join(scripts.FEATURES)),
        (static_url("js/reader.js"), scripts.join(scripts.READER)),
    ):
        answer = await client.get(url, headers={"accept-encoding": "identity"})
        served = answer.text.splitlines()
        source = source.splitlines()
        code = [line for line in source if not line.lstrip().startswith("//")]
        assert len(code) < len(source), url  # the file explains itself
        assert not [line for line in served if line.lstrip().startswith("//")], url
        # Every line of code is there, in order (the worker's two filled in by the server).
        assert all(a == b or "__" in b for a, b in zip(served, code, strict=True)), url
        assert int(answer.headers["content-length"]) == len(answer.content), url

    css = await client.get(static_url("css/app.css"), headers={"accept-encoding": "identity"})
    source = (STATIC / "css/app.css").read_text(encoding="utf-8")
    assert "/*" in source and "/*" not in css.text and "*/" not in css.text
    assert css.text.count("{") == source.count("{") and ".sync-state {" in css.text  # every rule is there
    icon = await client.get(static_url("icons/icon-192.png"), headers={"accept-encoding": "identity"})
    assert icon.content == (STATIC / "icons/icon-192.png").read_bytes()  # other files as they are


async def test_static_files_are_cached_for_long_under_versioned_urls(client):
    page = await client.get("/login")
    css = re.search(r'href="(/static/css/app.css\?v=[0-9a-f]+)"', page.text).group(1)
    answer = await client.get(css)
    assert "max-age=31536000" in answer.headers["cache-control"]


async def test_pages_scripts_and_the_service_worker_travel_compressed(client):
    """Issue 3 budgets a volunteer's first visit at 60 KB: text goes gzipped to whoever asks for it."""
    page = await client.get("/login")
    htmx = re.search(r'src="(/static/vendor/htmx.min.js\?v=[0-9a-f]+)"', page.text).group(1)
    for url in ("/login", htmx, "/sw.js"):
        async with client.stream("GET", url, headers={"accept-encoding": "gzip"}) as answer:
            sent = b"".join([chunk async for chunk in answer.aiter_raw()])
        assert answer.headers["content-encoding"] == "gzip", url
        assert "Accept-Encoding" in answer.headers["vary"], url
        plain = await client.get(url, headers={"accept-encoding": "identity"})
        assert "content-encoding" not in plain.headers and len(sent) < len(plain.content) / 2, url
    worker = await client.get("/sw.js", headers={"accept-encoding": "gzip"})
    assert worker.headers["cache-control"] == "no-cache" and "const SHELL = [" in worker.text


async def test_offline_page_holds_nothing_about_the_user(client):
    await log_in(client, "13800000002")
    page = await client.get("/offline")
    assert page.status_code == 200 and 'data-testid="offline-page"' in page.text
    assert "李雪敏" not in page.text and 'data-testid="logout"' not in page.text


async def test_every_page_links_the_manifest_and_has_the_offline_banner(client):
    page = await client.get("/login")
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page.text
    assert 'id="offline-banner"' in page.text and "没有网络" in page.text


async def test_health_check(client):
    answer = await client.get("/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_the_shell_version_follows_the_offline_page_and_the_catalogs(monkeypatch, tmp_path):
    """An installed phone gets a new worker (and offline page) when the page or its words change."""
    from server.web import templating

    before = shell_version()
    changed = tmp_path / "templates"
    changed.mkdir()
    for name in templating.OFFLINE_PAGE_SOURCES:
        (changed / name).write_bytes((templating.TEMPLATES / name).read_bytes())
    (changed / "offline.html").write_text((changed / "offline.html").read_text() + "\n{# changed #}\n")
    monkeypatch.setattr(templating, "TEMPLATES", changed)
    templating.shell_version.cache_clear()
    try:
        assert shell_version() != before
    finally:
        monkeypatch.undo()
        templating.shell_version.cache_clear()
    assert shell_version() == before
