"""Photos picked while another is on its way are all kept and sent (issue 16, a stranger's walk on Slow 3G).

On main, a grid worker who picked a second photo while the first was still sending lost it without a word: the form
was marked busy for the whole sync (the upload included), so the second pick did nothing, no outbox entry, and the
strip then said ✓ 已全部同步 with one photo stored. Offline, two photos queued fine (the sync ended at once).

Here the network holds each upload until the test lets it through (as a slow link holds a photo for 20 s and more,
without the test waiting that long): nothing is timed. Pictures differ by their colour, so that each is its own photo.

Also here: a photo taken offline on a phone whose clock is wrong is kept at the server's time of taking (the outbox
says the phone's clock as it sends, as with a batch of writes: decision 0032).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, expect

from e2e.network import HangingPhotos
from e2e.pages import assert_phone_layout, expect_sent, wait_until_true
from e2e.test_errands import WORKER, _intake

STORED = "img.photo-thumb[src^='/errands/photos/']"  # a photo the server holds, drawn by the card's page


class HeldUploads(HangingPhotos):
    """Every photo upload (the page's and the service worker's) is held on the network until `release()` lets the
    oldest through; `answers_lost` sends it to the server at once and holds only its answer (a dropped connection).
    `answering` lets new uploads through unheld."""

    def wait_held(self, page: Page, count: int = 1) -> None:
        """Until `count` uploads are on their way (Playwright runs route handlers only while it is called)."""
        for _ in range(300):
            if len(self.held) >= count:
                return
            page.wait_for_timeout(100)
        raise AssertionError(f"{len(self.held)} uploads held, {count} expected")

    def wait_seen(self, page: Page, count: int) -> None:
        for _ in range(300):
            if self.seen >= count:
                return
            page.wait_for_timeout(100)
        raise AssertionError(f"{self.seen} uploads seen, {count} expected")

    def release(self) -> None:
        self.held.pop(0).continue_()


def _stored(live_server, card_id: str) -> int:
    with sqlite3.connect(live_server.db_path) as db:
        return db.execute("SELECT count(*) FROM errand_photo WHERE errand = ?", (card_id,)).fetchone()[0]


def _wait_stored(page: Page, live_server, card_id: str, count: int) -> int:
    for _ in range(150):
        if _stored(live_server, card_id) >= count:
            break
        page.wait_for_timeout(100)
    return _stored(live_server, card_id)


def _picture(tmp_path: Path, colour: str) -> Path:
    path = tmp_path / f"IMG_{colour}.jpg"
    Image.new("RGB", (640, 480), colour).save(path, "JPEG")
    return path


def _pick(page: Page, picture: Path) -> None:
    """What the stranger did: a photo chosen in the card's photo form, then 添加照片."""
    form = page.get_by_test_id("photo-form")
    form.locator("input[type=file]").set_input_files(picture)
    form.get_by_role("button", name="添加照片").click()


def _kept_on_phone(page: Page) -> list:
    return page.evaluate("() => GridcareOutbox.photos().then((ps) => ps.map((p) => [p.name, p.status]))")


def test_a_second_photo_picked_while_the_first_is_sending_is_kept_and_sent(page_as, live_server, tmp_path) -> None:
    worker: Page = page_as(WORKER)
    card_id = _intake(worker, "2-1-301", "groceries", "鸡蛋")
    network = HeldUploads(worker.context)
    done = worker.get_by_test_id("sync-done")
    queued = worker.get_by_test_id("queued-photo")

    _pick(worker, _picture(tmp_path, "orange"))
    network.wait_held(worker)  # the first photo is on its way, and stays so
    _pick(worker, _picture(tmp_path, "teal"))
    # Kept at once, shown and counted: on main the second pick did nothing at all.
    expect(queued).to_have_count(2)
    expect(worker.get_by_test_id("outbox-count")).to_have_text("2")
    assert sorted(_kept_on_phone(worker)) == [["IMG_orange.jpg", "queued"], ["IMG_teal.jpg", "queued"]]
    expect(done).to_be_hidden()
    assert_phone_layout(worker, "photo-second-while-sending")

    # The first lands; the second is on its way: the page must not say that all is sent.
    network.release()
    network.wait_held(worker)
    assert _wait_stored(worker, live_server, card_id, 1) == 1
    expect(queued).to_have_count(1)
    expect(done).to_be_hidden()
    expect(worker.get_by_test_id("sync-note")).not_to_contain_text("✓")

    network.release()
    expect_sent(worker)
    expect(done).to_be_visible()
    assert _stored(live_server, card_id) == 2
    expect(queued).to_have_count(0)
    expect(worker.locator(STORED)).to_have_count(2)  # both shown on the card, from the server
    assert network.seen == 2  # each sent once


def test_three_photos_and_a_reload_while_the_first_is_sending_lose_none(page_as, live_server, tmp_path) -> None:
    """The first photo reaches the server and its answer is lost; two more are picked meanwhile; the person reloads
    the page (the upload on its way ends with it). All three are sent from the phone after the reload, the first
    again, and the server has each once."""
    worker: Page = page_as(WORKER)
    card_id = _intake(worker, "2-1-301", "groceries", "鸡蛋")
    network = HeldUploads(worker.context, answers_lost=True)
    for colour in ("orange", "teal", "purple"):
        _pick(worker, _picture(tmp_path, colour))
        if colour == "orange":
            network.wait_held(worker)
    expect(worker.get_by_test_id("queued-photo")).to_have_count(3)
    assert len(_kept_on_phone(worker)) == 3
    assert _wait_stored(worker, live_server, card_id, 1) == 1  # the first is on the server, the phone does not know

    network.answering = True
    worker.reload()
    expect_sent(worker)
    assert _stored(live_server, card_id) == 3
    expect(worker.get_by_test_id("queued-photo")).to_have_count(0)
    worker.reload()
    expect(worker.locator(STORED)).to_have_count(3)
    assert network.seen == 4  # the first twice (its answer was lost), the other two once


def test_a_photo_picked_twice_is_stored_once(page_as, live_server, tmp_path) -> None:
    """The same picture chosen again, while it is still on its way and after it was sent, is one photo."""
    worker: Page = page_as(WORKER)
    card_id = _intake(worker, "2-1-301", "groceries", "鸡蛋")
    network = HeldUploads(worker.context)
    picture = _picture(tmp_path, "orange")
    _pick(worker, picture)
    network.wait_held(worker)
    _pick(worker, picture)
    note = worker.get_by_test_id("photo-again")
    expect(note).to_be_visible()
    expect(note).to_have_text("这张照片已经加过了。")
    expect(worker.get_by_test_id("queued-photo")).to_have_count(1)
    assert len(_kept_on_phone(worker)) == 1
    assert_phone_layout(worker, "photo-picked-twice")

    network.answering = True
    network.release()
    expect_sent(worker)
    assert _stored(live_server, card_id) == 1

    _pick(worker, picture)  # sent already: the phone no longer holds it, the server has it
    network.wait_seen(worker, 2)
    wait_until_true(worker, "async () => (await GridcareOutbox.photos()).length === 0")
    expect_sent(worker)
    assert _stored(live_server, card_id) == 1
    assert network.seen == 2


def test_the_button_opens_the_camera_and_the_photo_picked_is_kept_at_once(page_as, live_server, tmp_path) -> None:
    """With the page's script, 添加照片 is the one tap: it opens the camera (or the gallery), and the photo picked is on
    the phone at once, in the role chosen before; the card's refresh while the camera is open loses nothing."""
    worker: Page = page_as(WORKER)
    card_id = _intake(worker, "2-1-301", "groceries", "鸡蛋")
    network = HeldUploads(worker.context)
    form = worker.get_by_test_id("photo-form")
    expect(form.locator("input[type=file]")).to_be_hidden()  # the button picks; the bare field is not shown
    form.get_by_text("小票", exact=True).click()
    with worker.expect_file_chooser() as chooser:
        form.get_by_role("button", name="添加照片").click()
    # The card is drawn again from the server while the camera is open (its refresh, a photo landing).
    worker.evaluate(
        """() => new Promise((drawn) => {
             document.addEventListener("htmx:afterSwap", drawn, { once: true });
             htmx.trigger(document.body, "gridcare:synced");
           })"""
    )
    expect(form.get_by_role("radio", name="小票")).to_be_checked()
    chooser.value.set_files(_picture(tmp_path, "orange"))
    expect(worker.get_by_test_id("queued-photo")).to_have_count(1)
    assert worker.evaluate("() => GridcareOutbox.photos().then((ps) => ps.map((p) => p.role))") == ["receipt"]
    network.wait_held(worker)
    assert_phone_layout(worker, "photo-picked-sending")
    network.answering = True
    network.release()
    expect_sent(worker)
    with sqlite3.connect(live_server.db_path) as db:
        assert db.execute("SELECT role FROM errand_photo WHERE errand = ?", (card_id,)).fetchall() == [("receipt",)]


def test_a_photo_taken_offline_on_a_phone_an_hour_slow_is_kept_at_the_time_it_was_taken(page_as, live_server, tmp_path):
    """On main the photo kept the phone's time (an hour early, before the card was even written); the call and the
    door taps of that phone were set right. Sent by the page (the service worker shares the phone's clock; here it
    would not share the page's made-up one, so it is kept out)."""
    worker: Page = page_as(WORKER, service_workers="block")
    worker.clock.install(time=datetime.now() - timedelta(hours=1))
    card_id = _intake(worker, "2-1-301", "groceries", "鸡蛋")
    worker.context.set_offline(True)  # the stairwell
    taken = datetime.now(UTC)
    _pick(worker, _picture(tmp_path, "orange"))
    expect(worker.get_by_test_id("queued-photo")).to_have_count(1)
    worker.context.set_offline(False)
    expect_sent(worker)
    with sqlite3.connect(live_server.db_path) as db:
        (at,) = db.execute("SELECT at FROM errand_photo WHERE errand = ?", (card_id,)).fetchone()
    stored = datetime.fromisoformat(at).astimezone(UTC)
    assert taken - timedelta(minutes=1) <= stored <= datetime.now(UTC), (taken, stored)


def test_without_the_page_s_script_a_photo_goes_by_the_form_and_twice_is_once(page_as, live_server, tmp_path) -> None:
    """The plain form (no script: a failed load, an old phone): the field shows, 添加照片 sends it; the same picture
    sent again (a double tap, picked again) is the same photo on the server."""
    worker: Page = page_as(WORKER)
    card_id = _intake(worker, "2-1-301", "groceries", "鸡蛋")
    plain: Page = page_as(WORKER, java_script_enabled=False)
    plain.goto(f"/errands/{card_id}")
    form = plain.get_by_test_id("photo-form")
    expect(form.locator("input[type=file]")).to_be_visible()
    picture = _picture(tmp_path, "orange")
    for _ in range(2):
        _pick(plain, picture)
        plain.wait_for_url(f"**/errands/{card_id}")
    assert _stored(live_server, card_id) == 1
    expect(plain.locator(STORED)).to_have_count(1)
    assert_phone_layout(plain, "photo-without-script")
