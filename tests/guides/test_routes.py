"""Guide pages through HTTP: reading by link with no account, kind failure pages, forms that refuse in place."""

from __future__ import annotations

import io
import logging
import re
from html.parser import HTMLParser

import pytest
from fontTools.ttLib import TTFont

from server.demo.guides import STARTER_GUIDES, guide_id
from server.demo.seed import STORY_RESIDENT_IDS
from server.guides import fonts
from server.guides.tables import Guide, GuideLink, GuideStep
from server.web.pages import DropQueryStrings
from tests.conftest import log_in
from tests.guides.helpers import HAO_WORKER
from tests.guides.pictures import png_bytes


class VisibleText(HTMLParser):
    """The characters a page draws: text outside <script>, <style> and <title>."""

    def __init__(self) -> None:
        super().__init__()
        self.chars: set[str] = set()
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "title", "svg"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "title", "svg"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.chars.update(c for c in data if not c.isspace())


async def token_of(title: str) -> str:
    guide = await Guide.select(Guide.id).where(Guide.title == title).first()
    link = (
        await GuideLink.select(GuideLink.token)
        .where((GuideLink.guide == guide["id"]) & GuideLink.withdrawn_at.is_null())
        .first()
    )
    return link["token"]


async def make_guide(client, title: str = "郝大爷的攻略") -> str:
    await log_in(client, HAO_WORKER)
    answer = await client.post(
        "/guides/",
        data={
            "_csrf_token": client.cookies["gc_csrf"],
            "title": title,
            "resident_id": str(STORY_RESIDENT_IDS["郝振华"]),
        },
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].rsplit("/", 1)[-1]


async def test_starter_guides_are_seeded_in_chinese_and_english():
    for key in {key for key, *_ in STARTER_GUIDES}:
        for lang in ("zh_CN", "en"):
            guide = await Guide.select(Guide.resident, Guide.lang).where(Guide.id == guide_id(key, lang)).first()
            assert guide == {"resident": None, "lang": lang}
            assert await GuideStep.count().where(GuideStep.guide == guide_id(key, lang)) >= 5
    hao = await Guide.select(Guide.resident).where(Guide.id == guide_id("hao", "zh_CN")).first()
    assert hao["resident"] == STORY_RESIDENT_IDS["郝振华"]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("title", ["在小程序里买菜", "Paying with WeChat Pay", "郝大爷：在铁北生鲜买菜"])
async def test_every_character_a_guide_page_draws_is_in_its_font_subset(client, title, locale):
    client.cookies.set("gc_lang", locale)
    token = await token_of(title)
    for path in (f"/g/{token}", f"/g/{token}/print"):
        page = await client.get(path)
        assert page.status_code == 200
        # The @font-face is a style sheet of its own (the page's policy allows no inline style).
        face = await client.get(re.search(r'href="(/guide-fonts/\w+\.css)"', page.text).group(1))
        assert face.headers["content-type"].startswith("text/css") and "immutable" in face.headers["cache-control"]
        font_url = re.search(r'url\("(/guide-fonts/\w+\.woff2)"\)', face.text).group(1)
        font = await client.get(font_url)
        assert font.headers["content-type"] == "font/woff2"
        assert "immutable" in font.headers["cache-control"]
        assert len(font.content) <= fonts.MAX_SUBSET_BYTES
        covered = TTFont(io.BytesIO(font.content)).getBestCmap()
        drawn = VisibleText()
        drawn.feed(page.text)
        missing = {c for c in drawn.chars if ord(c) not in covered}
        assert not missing, f"{path}: {''.join(sorted(missing))}"


async def test_the_reader_needs_no_account_and_shows_one_step(client):
    token = await token_of("在小程序里买菜")
    page = await client.get(f"/g/{token}?step=2")
    assert page.status_code == 200
    assert "第 2 步 / 共 6 步" in page.text
    sections = re.findall(r'<section class="step" id="step-(\d+)"[^>]*?( hidden)?>', page.text)
    assert [n for n, hidden in sections if not hidden] == ["2"]  # every step is in the page; one is shown
    assert 'href="?step=3"' in page.text and 'href="?step=1"' in page.text  # works without JavaScript too
    assert 'lang="zh-CN"' in page.text
    assert "tel:13800000000" in page.text
    manifest = (await client.get(f"/g/{token}/manifest.webmanifest")).json()
    assert manifest["start_url"] == f"/g/{token}" and manifest["display"] == "standalone"


async def test_a_page_view_never_makes_a_font_subset(client, monkeypatch):
    def no_subsetting(*args):
        raise AssertionError("subset made on a page view")

    monkeypatch.setattr(fonts, "make_subset", no_subsetting)
    token = await token_of("用微信支付付钱")
    assert (await client.get(f"/g/{token}")).status_code == 200
    assert (await client.get(f"/g/{token}/print")).status_code == 200


async def test_a_mistyped_link_is_a_kind_page(client):
    page = await client.get("/g/not-a-real-link")
    assert page.status_code == 404
    assert "这个链接不对" in page.text and "guide.css" in page.text
    assert (await client.get("/guide-fonts/0123.woff2")).status_code == 404


async def test_a_withdrawn_link_gives_the_grid_workers_phone(client):
    guide = await make_guide(client)
    token = (await GuideLink.select(GuideLink.token).where(GuideLink.guide == guide).first())["token"]
    answer = await client.post(f"/guides/{guide}/link/withdraw", data={"_csrf_token": client.cookies["gc_csrf"]})
    assert answer.status_code == 303
    client.cookies.delete("gc_session")  # the resident's phone: nobody logged in
    page = await client.get(f"/g/{token}")
    assert page.status_code == 410
    assert "网格员已经收回了这份攻略" in page.text and f"tel:{HAO_WORKER}" in page.text
    assert (await client.get(f"/g/{token}/print")).status_code == 410


async def test_bad_step_input_is_refused_in_place_and_changes_nothing(client):
    guide = await make_guide(client)
    csrf = client.cookies["gc_csrf"]
    cases = [
        ({"text": "   ", "tip": "只有提示"}, None, "请写上这一步要做什么"),
        ({"text": "x" * 121}, None, "每一步最多 120 个字"),
        ({"text": "看图"}, ("notes.pdf", b"%PDF-1.4", "application/pdf"), "这个文件不是图片"),
        ({"text": "看图"}, ("big.png", b"\x89PNG" + b"\0" * (10 * 1024 * 1024), "image/png"), "这张图片太大了"),
    ]
    for fields, upload, message in cases:
        files = {"picture": upload} if upload else {"picture": ("", b"", "application/octet-stream")}
        answer = await client.post(f"/guides/{guide}/steps", data={"_csrf_token": csrf, **fields}, files=files)
        assert answer.status_code == 400, fields
        assert message in answer.text
        assert 'data-testid="add-step-form"' in answer.text  # the form again, with what was typed
        assert await GuideStep.count().where(GuideStep.guide == guide) == 0

    answer = await client.post(
        f"/guides/{guide}/steps",
        data={"_csrf_token": csrf, "text": "打开微信", "tip": "绿色的图标"},
        files={"picture": ("screen.png", png_bytes(), "image/png")},
    )
    assert answer.status_code == 303
    step = await GuideStep.select(GuideStep.text, GuideStep.picture_height).where(GuideStep.guide == guide).first()
    assert step == {"text": "打开微信", "picture_height": 1280}


async def test_the_print_sheet_has_the_contact_and_a_qr_code_of_the_link(client):
    token = await token_of("郝大爷：在铁北生鲜买菜")
    page = await client.get(f"/g/{token}/print")
    assert page.status_code == 200
    assert "陈瑞云 13800000003" in page.text
    assert "<svg" in page.text and "用手机扫码打开这份攻略" in page.text
    assert page.text.count('data-testid="print-step"') == 6
    assert "@page" in (await client.get(re.search(r'href="(/static/css/guide\.css\?v=\w+)"', page.text).group(1))).text


async def test_a_resident_finds_their_guides_on_the_home_page(client):
    await log_in(client, "13700000001")
    home = await client.get("/")
    assert "郝大爷：在铁北生鲜买菜" in home.text and "在小程序里买菜" in home.text


def test_guide_links_stay_out_of_the_access_log():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/g/Secret_Token-123/print?step=2", "1.1", 200),
        None,
    )
    DropQueryStrings().filter(record)
    assert record.args[2] == "/g/<link>/print"
    assert "Secret_Token" not in record.getMessage()


async def test_a_guide_s_link_and_sheet_name_the_colleague_covering_its_writer_s_grid(client):
    """A stranger's walk of issue 16: after grid 3 was handed to 风桦, the guide's shared link and its printed sheet
    (on 郝大爷's fridge) still said to call 陈瑞云, who was away; a resident logged in read 风桦."""
    from datetime import UTC, datetime

    from server.accounts.tables import GridCover, User
    from server.staff.handover import hand_over_grid
    from tests.guides.helpers import ADMIN, user

    token = await token_of("郝大爷：在铁北生鲜买菜")
    chen = await User.objects().get(User.phone == HAO_WORKER)
    feng = await User.objects().get(User.phone == "13800000004")
    admin = await user(ADMIN)
    await hand_over_grid(admin, chen.grid, feng.id, datetime.now(UTC))
    try:
        for path in (f"/g/{token}", f"/g/{token}/print"):
            page = (await client.get(path)).text
            assert "tel:13800000004" in page or "风桦 13800000004" in page, path
            assert "13800000003" not in page and "陈瑞云" not in page, path
    finally:
        await hand_over_grid(admin, chen.grid, chen.id, datetime.now(UTC))  # back to her
    assert not await GridCover.exists().where(GridCover.grid == chen.grid)
    assert "陈瑞云 13800000003" in (await client.get(f"/g/{token}/print")).text
