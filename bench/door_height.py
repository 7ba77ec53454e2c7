"""The door screen's height per door at 360x740 in Chromium, on a floor of the demo's tower (12 doors, half of them
answered), and how many doors are wholly on the first screen (issue 14: at most 100 px a door, 8 doors on one
screen). A height, like the first visit's bytes, is a budget in its own unit rather than a ratio.

The server runs as deployed (`python -m server serve`) on this run's database; the browser is Debian's chromium.
"""

from __future__ import annotations

import shutil

from bench.common import Served
from server.demo.seed import DEMO_PASSWORD

VOLUNTEER = "13900000001"  # the volunteer who holds every floor of the tower in bench/door.py
CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 360, 740

_MEASURE = """(height) => {
  const rows = [...document.querySelectorAll("[data-testid='door-row']")];
  const boxes = rows.map((row) => row.getBoundingClientRect());
  const whole = boxes.filter((box) => box.top >= 0 && box.bottom <= height).length;
  const answered = rows.filter((row) => row.hasAttribute("data-answered")).length;
  return {doors: rows.length, answered, whole, span: boxes.at(-1).bottom - boxes[0].top};
}"""


async def door_height(floor_url: str) -> float | None:
    """Prints the figures; returns the px per door (None without Chromium)."""
    if shutil.which(CHROMIUM) is None:
        print(f"door screen height: skipped ({CHROMIUM} is missing; `make test` installs it)")
        return None
    from playwright.async_api import async_playwright

    with Served() as server:
        async with async_playwright() as driver:
            browser = await driver.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
            )
            page = await browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, locale="zh-CN")
            base = f"http://127.0.0.1:{server.port}"
            await page.goto(f"{base}/login")
            await page.fill("input[name=phone]", VOLUNTEER)
            await page.fill("input[name=password]", DEMO_PASSWORD)
            await page.click("main form button[type=submit]")
            await page.wait_for_url(f"{base}/")
            await page.goto(base + floor_url)
            found = await page.evaluate(_MEASURE, HEIGHT)
            await browser.close()
    per_door = found["span"] / found["doors"]
    print(
        f"door screen at {WIDTH}x{HEIGHT} (Chromium), a floor of {found['doors']} doors, {found['answered']} answered:"
    )
    print(f"  {per_door:.0f} px per door (goal <= 100; the card before issue 14: ~390)")
    print(f"  {found['whole']} doors wholly on the first screen (goal: 8)")
    return per_door
