"""Bytes a volunteer downloads on the first visit to the door screen, compressed, fonts excluded (issue 3: 60 KB or
less), against the same files uncompressed; and that a repeat visit takes the shell from the cache.

A first visit counts, as a browser with an empty cache fetches them: the page; what it references (stylesheet,
scripts, icons, manifest); the service worker; and what the worker precaches that the page did not load already
(it takes the versioned shell files from the HTTP cache, see frontend/sw.js). Response headers are counted too.
"""

from __future__ import annotations

import json
import re

import httpx

from bench.common import client, log_in
from server.web.templating import SHELL_ASSETS, static_url

VOLUNTEER = "13900000001"
YEAR = 365 * 24 * 3600
REFERENCED = re.compile(r'<(?:link|script|img)\b[^>]*?\b(?:href|src)="(/[^"]+)"')


async def transferred(browser: httpx.AsyncClient, url: str, encoding: str) -> tuple[int, httpx.Response]:
    """Bytes on the wire for one GET: headers and the body as sent (not decoded)."""
    async with browser.stream("GET", url, headers={"accept-encoding": encoding}) as answer:
        body = 0
        async for chunk in answer.aiter_raw():
            body += len(chunk)
    assert answer.status_code == 200, (url, answer.status_code)
    headers = sum(len(name) + len(value) + 4 for name, value in answer.headers.raw)
    return headers + body, answer


async def first_visit(floor_url: str) -> float:
    """Prints the figures; returns the kilobytes of a first visit."""
    async with client() as browser:
        await log_in(browser, VOLUNTEER)
        page = (await browser.get(floor_url)).text
        urls = list(dict.fromkeys(REFERENCED.findall(page)))  # in order, once each, as a browser fetches them
        fonts = [u for u in urls if u.split("?")[0].endswith((".woff", ".woff2", ".ttf", ".otf"))]
        urls = [floor_url] + [u for u in urls if u not in fonts] + ["/sw.js"]
        precached = [static_url(path) for path in SHELL_ASSETS] + ["/offline"]
        urls += [u for u in precached if u not in urls]
        sizes: dict[str, tuple[int, int]] = {}
        static_ok, in_shell = True, 0
        for url in urls:
            compressed, answer = await transferred(browser, url, "gzip, br")
            plain, _ = await transferred(browser, url, "identity")
            sizes[url] = (compressed, plain)
            if url.startswith("/static/"):
                cache = answer.headers.get("cache-control", "")
                age = re.search(r"max-age=(\d+)", cache)
                static_ok &= bool(age and int(age.group(1)) >= YEAR)
                in_shell += url in precached
    first = sum(c for c, _ in sizes.values())
    plain = sum(p for _, p in sizes.values())
    repeat = sizes[floor_url][0]
    print(f"first visit to the door screen: {first / 1024:.1f} KB compressed, {len(sizes)} responses, fonts excluded")
    print(f"  {first / plain:.2f} x the same files uncompressed ({plain / 1024:.1f} KB); goal <= 60 KB")
    for url, (c, p) in sorted(sizes.items(), key=lambda item: -item[1][0])[:6]:
        print(f"    {c / 1024:5.1f} KB (of {p / 1024:5.1f}) {url.split('?')[0][:70]}")
    print(
        f"  repeat visit: {repeat / 1024:.1f} KB, the page alone ({repeat / first:.2f} x the first);"
        f" static files from the cache: {'yes' if static_ok else 'NO'} (versioned URLs cached a year;"
        f" {in_shell} of {sum(u.startswith('/static/') for u in sizes)} also in the service worker's shell)"
    )
    if fonts:
        print(f"  fonts left out: {json.dumps(fonts)}")
    return first / 1024
