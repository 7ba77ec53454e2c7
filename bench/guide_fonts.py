"""Font bytes a guide page makes the phone download (its subset), against the full handwriting font file, for every
seeded guide (issue 7: at most 100 KB); and a guide page view against making one subset (which only a write does)."""

from __future__ import annotations

import re
import time

from bench.common import client, timed_gets
from server.guides import fonts
from server.guides.tables import Guide, GuideLink
from server.settings import get_settings

ROUNDS = 30
FONT_URL = re.compile(r'url\("?(/guide-fonts/[^")]+\.woff2)"?\)')
# The page links its font's stylesheet (the CSP allows no inline style since issue 15), which names the subset.
FONT_CSS = re.compile(r'href="(/guide-fonts/[^"]+\.css)"')


async def guide_fonts() -> None:
    font_path = get_settings().guide_font
    if not fonts.font_available(font_path):
        print(f"guide fonts: {font_path} missing (make guide-font); skipped")
        return
    full = fonts.full_font_bytes(font_path)
    print(f"guide fonts: the whole LXGW WenKai file is {full / 1024:,.0f} KB; a guide page downloads its subset only")
    worst = 0
    async with client() as browser:
        for row in await Guide.select(Guide.id, Guide.title).order_by(Guide.title):
            link = await GuideLink.select(GuideLink.token).where(GuideLink.guide == row["id"]).first()
            page = await browser.get(f"/g/{link['token']}")
            downloaded = 0
            styles = [page.text] + [(await browser.get(url)).text for url in FONT_CSS.findall(page.text)]
            for url in {font for style in styles for font in FONT_URL.findall(style)}:
                downloaded += len((await browser.get(url)).content)
            worst = max(worst, downloaded)
            print(f"  {row['title'][:30]:32s} {downloaded / 1024:6.1f} KB = {downloaded / full:.4f} x the full font")
        verdict = "ok" if worst <= fonts.MAX_SUBSET_BYTES else "OVER"
        print(f"  largest: {worst / 1024:.1f} KB = {worst / full:.4f} x the full font (issue 7: <= 100 KB, {verdict})")
        token = (await GuideLink.select(GuideLink.token).first())["token"]
        samples = await timed_gets(browser, f"/g/{token}", ROUNDS)
    view = sorted(samples)[len(samples) // 2]
    start = time.perf_counter()
    fonts.make_subset(font_path, fonts.characters_of("在小程序里买菜打开微信点最下面的发现"))
    making = time.perf_counter() - start
    print(f"  making one subset (on a write) = {making / view:.0f} x a guide page view (which reads the stored one)")
