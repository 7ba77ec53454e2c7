"""Guides at 360 px: a grid worker writes 郝大爷 a guide; he opens the link with no account, steps through it, has
it read aloud, makes the text bigger, reads it again with no network; the link is withdrawn; the A4 sheet prints."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import BrowserContext, Page, Playwright, expect

from e2e.pages import (
    SCREENSHOTS,
    GuideReader,
    assert_accessible,
    assert_phone_layout,
    wait_until_controlled,
)

WORKER = "13800000003"  # 陈瑞云, grid 3: 郝大爷 lives at 5-1-602
SMALL_PHONE = {"viewport": {"width": 360, "height": 740}}
RESIDENT_TARGET = 60  # px, UX.md: residents' touch targets

# Records what the page asks the browser's speech API to say, and still passes it on to the real API.
SPEECH_RECORDER = """
window.__spoken = [];
if (window.speechSynthesis) {
  const speak = window.speechSynthesis.speak.bind(window.speechSynthesis);
  window.speechSynthesis.speak = (utterance) => {
    window.__spoken.push({ text: utterance.text, lang: utterance.lang });
    return speak(utterance);
  };
}
"""


def screenshot_png(text_color: str = "#07c160") -> dict:
    """A phone screenshot as a worker would upload it: 1080 x 2340, WeChat green bar."""
    image = Image.new("RGB", (1080, 2340), "white")
    ImageDraw.Draw(image).rectangle((0, 0, 1080, 300), fill=text_color)
    out = io.BytesIO()
    image.save(out, "PNG")
    return {"name": "screen.png", "mimeType": "image/png", "buffer": out.getvalue()}


def steps_in_db(db, title: str) -> int:
    return int(db.value("SELECT count(*) FROM guide_step s JOIN guide g ON g.id = s.guide WHERE g.title = ?", title))


def link_of(db, title: str) -> str:
    return str(
        db.value(
            "SELECT l.token FROM guide_link l JOIN guide g ON g.id = l.guide "
            "WHERE g.title = ? AND l.withdrawn_at IS NULL",
            title,
        )
    )


def add_step(page: Page, text: str, tip: str = "", picture: dict | None = None) -> None:
    form = page.get_by_test_id("add-step-form")
    form.get_by_test_id("step-text-input").fill(text)
    form.get_by_test_id("step-tip-input").fill(tip)
    if picture:
        form.get_by_test_id("step-picture-input").set_input_files(picture)
    form.get_by_test_id("add-step").click()
    page.wait_for_load_state()


@pytest.fixture
def reader_context(new_context) -> BrowserContext:
    """郝大爷's phone: 360 px wide, nobody logged in, speech recorded."""
    context = new_context(**SMALL_PHONE)
    context.add_init_script(SPEECH_RECORDER)
    return context


def test_a_worker_writes_a_guide_and_the_resident_reads_it_by_link_even_offline(
    page_as, reader_context: BrowserContext, db, live_server
) -> None:
    title = "郝大爷：买菜三步"
    worker = page_as(WORKER, **SMALL_PHONE)
    worker.goto(f"/households/{db.household_id('5-1-602')}")
    worker.get_by_test_id("write-guide").first.click()
    expect(worker.get_by_test_id("guide-reader-name")).to_contain_text("郝振华")
    worker.fill("#title", title)
    worker.get_by_test_id("create-guide").click()
    expect(worker.get_by_test_id("guide-heading")).to_have_text(title)

    # Bad input: said in place, nothing stored.
    add_step(worker, "   ", tip="只有提示")
    expect(worker.get_by_test_id("step-error")).to_contain_text("请写上这一步要做什么")
    add_step(worker, "看图", picture={"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a picture"})
    expect(worker.get_by_test_id("step-error")).to_contain_text("这个文件不是图片")
    assert steps_in_db(db, title) == 0

    add_step(worker, "打开微信，点最下面的“发现”。", tip="微信是绿色的图标。", picture=screenshot_png())
    add_step(worker, "点“小程序”，找到“铁北生鲜”。")
    add_step(worker, "选好菜，点“去结算”，再付钱。", tip="密码别告诉任何人。")
    expect(worker.get_by_test_id("guide-step")).to_have_count(3)
    assert steps_in_db(db, title) == 3
    assert_phone_layout(worker, "guide-edit")
    link = worker.get_by_test_id("guide-link").input_value()
    assert link == f"{live_server.base_url}/g/{link_of(db, title)}"

    # 郝大爷's phone opens the link: no account, step 1 of 3, in the handwriting font.
    page = reader_context.new_page()
    page.goto(link)
    guide = GuideReader(page)
    expect(guide.count).to_have_text("第 1 步 / 共 3 步")
    expect(guide.text).to_have_text("打开微信，点最下面的“发现”。")
    expect(guide.picture).to_be_visible()
    assert guide.picture.evaluate("img => img.complete && img.naturalWidth") > 0
    assert guide.handwriting_loaded()
    assert guide.step_font_px() >= 30
    assert (
        guide.text.evaluate(
            "el => parseFloat(getComputedStyle(el).lineHeight) / parseFloat(getComputedStyle(el).fontSize)"
        )
        >= 1.5
    )
    assert guide.smallest_text_px() >= 20
    assert_phone_layout(page, "guide-reader-step-1", min_target=RESIDENT_TARGET)

    # Read aloud, in Chinese, through the browser's speech API.
    guide.read_aloud.click()
    spoken = page.evaluate("window.__spoken")
    assert spoken == [{"text": "打开微信，点最下面的“发现”。 提示：微信是绿色的图标。", "lang": "zh-CN"}]

    # Bigger text, remembered on this phone.
    before = guide.step_font_px()
    guide.larger_text()
    assert guide.step_font_px() > before
    page.reload()
    assert GuideReader(page).step_font_px() > before

    # Step through and back; the last step leads to "done".
    guide.next()
    expect(guide.count).to_have_text("第 2 步 / 共 3 步")
    assert_phone_layout(page, "guide-reader-step-2", min_target=RESIDENT_TARGET)
    guide.back()
    expect(guide.count).to_have_text("第 1 步 / 共 3 步")
    guide.next()
    guide.next()
    expect(guide.count).to_have_text("第 3 步 / 共 3 步")
    guide.next()
    expect(guide.finished).to_be_visible()
    assert_phone_layout(page, "guide-reader-finished", min_target=RESIDENT_TARGET)

    # Offline after the first visit: the page, its font and its picture come from the phone.
    wait_until_controlled(page)
    guide.wait_until_kept()
    reader_context.set_offline(True)
    page.goto(link)
    expect(guide.count).to_have_text("第 1 步 / 共 3 步")
    expect(guide.text).to_have_text("打开微信，点最下面的“发现”。")
    assert guide.picture.evaluate("img => img.complete && img.naturalWidth") > 0
    assert guide.handwriting_loaded()
    guide.next()
    expect(guide.count).to_have_text("第 2 步 / 共 3 步")
    assert_phone_layout(page, "guide-reader-offline", min_target=RESIDENT_TARGET)
    reader_context.set_offline(False)

    # The worker withdraws the link: it now says, kindly and in large type, whom to call.
    worker.get_by_test_id("withdraw-link").click()
    expect(worker.get_by_test_id("link-withdrawn")).to_be_visible()
    page.goto(link)
    gone = page.get_by_test_id("guide-gone")
    expect(gone).to_contain_text("网格员已经收回了这份攻略")
    expect(page.get_by_test_id("call-worker")).to_have_attribute("href", f"tel:{WORKER}")
    assert GuideReader(page).smallest_text_px() >= 20
    assert_phone_layout(page, "guide-withdrawn", min_target=RESIDENT_TARGET)
    assert_accessible(page, "withdrawn link", aaa_contrast=True)


def test_a_mistyped_link_is_a_kind_large_page(reader_context: BrowserContext) -> None:
    page = reader_context.new_page()
    answer = page.goto("/g/this-is-not-a-link")
    assert answer.status == 404
    expect(page.get_by_test_id("guide-gone")).to_contain_text("这个链接不对")
    assert GuideReader(page).smallest_text_px() >= 20
    assert_phone_layout(page, "guide-mistyped", min_target=RESIDENT_TARGET)
    assert_accessible(page, "mistyped link", aaa_contrast=True)


def test_the_print_layout_is_an_a4_sheet_with_the_qr_code(reader_context: BrowserContext, db) -> None:
    page = reader_context.new_page()
    page.goto(f"/g/{link_of(db, '郝大爷：在铁北生鲜买菜')}/print")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.evaluate("document.fonts.ready.then(() => true)")
    sheet = page.get_by_test_id("print-sheet")
    expect(page.get_by_test_id("print-step")).to_have_count(6)
    expect(page.get_by_test_id("print-contact")).to_contain_text("陈瑞云 13800000003")
    expect(page.get_by_test_id("print-qr").locator("svg")).to_be_visible()
    expect(page.locator("[data-print]")).to_be_hidden()  # the print button stays off the paper
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sheet.screenshot(path=SCREENSHOTS / "guide-print-a4.png")
    pdf = page.pdf(path=SCREENSHOTS / "guide-print-a4.pdf", format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") <= 2
    page.emulate_media(media="screen")
    assert_accessible(page, "print sheet", aaa_contrast=True)


def test_guide_pages_have_no_serious_accessibility_violations(page_as, reader_context: BrowserContext, db) -> None:
    reader = reader_context.new_page()
    reader.goto(f"/g/{link_of(db, '在小程序里买菜')}")
    guide = GuideReader(reader)
    expect(guide.read_aloud).to_be_visible()
    assert_accessible(reader, "reader step 1", aaa_contrast=True)
    guide.next()
    assert_accessible(reader, "reader step 2", aaa_contrast=True)
    reader.goto(f"/g/{link_of(db, 'Paying with WeChat Pay')}?step=6")
    expect(guide.finished).to_be_visible()
    assert_accessible(reader, "reader finished (English)", aaa_contrast=True)

    worker = page_as(WORKER, **SMALL_PHONE)
    worker.goto("/guides")
    expect(worker.get_by_test_id("guide-row").first).to_be_visible()
    assert_phone_layout(worker, "guide-list")
    assert_accessible(worker, "guide list")
    worker.get_by_test_id("guide-row").filter(has_text="郝大爷：在铁北生鲜买菜").click()
    expect(worker.get_by_test_id("guide-qr").locator("svg")).to_be_visible()
    assert_accessible(worker, "guide edit")
    worker.goto("/guides/new")
    assert_accessible(worker, "new guide")


@pytest.fixture
def persistent_phone(playwright: Playwright, launch_options: dict, phone: dict, tmp_path: Path):
    # Installability needs a profile on disk (an ordinary context reports "in-incognito").
    context = playwright.chromium.launch_persistent_context(
        tmp_path / "profile", **launch_options, **{**phone, **SMALL_PHONE}
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


def test_a_guide_can_be_installed_on_the_residents_phone(persistent_phone: BrowserContext, db, live_server) -> None:
    token = link_of(db, "找网格员帮忙")
    page = persistent_phone.pages[0] if persistent_phone.pages else persistent_phone.new_page()
    page.goto(f"/g/{token}")
    wait_until_controlled(page)
    cdp = persistent_phone.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"] == f"{live_server.base_url}/g/{token}/manifest.webmanifest"
    assert manifest["errors"] == []


def test_the_largest_text_grows_every_word_and_button_of_a_guide(reader_context: BrowserContext, db) -> None:
    """A stranger's walk of issue 16: A+ grew the step's text only (36 -> 54 px); the title, 第 1 步 / 共 6 步, 下一步
    and the call box stayed at 24-28 px."""
    page = reader_context.new_page()
    page.goto(f"/g/{link_of(db, '郝大爷：在铁北生鲜买菜')}")
    parts = ("guide-title", "step-count", "next", "call-worker")

    def sizes() -> dict[str, float]:
        return {
            testid: page.get_by_test_id(testid).first.evaluate("(e) => parseFloat(getComputedStyle(e).fontSize)")
            for testid in parts
        }

    before = sizes()
    for _ in range(3):
        page.get_by_test_id("text-larger").click()
    after = sizes()
    for testid in parts:
        assert after[testid] >= before[testid] * 1.3, (testid, before[testid], after[testid])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "guide-largest-text.png", full_page=True)
    assert_phone_layout(page, "guide-largest-text", min_target=RESIDENT_TARGET)
