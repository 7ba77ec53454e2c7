"""Errand cards at phone size: 侯奶奶's medicine from the call to the confirmed delivery, two workers racing for a
card, a move made offline, a rider who never sees a phone number, a resident's big-button page, and a photo taken
at the door without signal."""

from __future__ import annotations

import re
import sqlite3

from PIL import Image
from playwright.sync_api import Page, expect

from e2e.pages import ErrandCard, assert_accessible, assert_phone_layout, expect_sent, wait_until_controlled

WORKER = "13800000002"  # 李雪敏, grid 2: 侯奶奶 (侯秀兰, 2-2-1202) lives alone there, on the priority line
ADMIN = "13800000000"
RIDER = "13900000001"  # 赵志刚, a volunteer
RESIDENT = "13700000001"  # 郝振华 (郝大爷)


def _card(live_server, card_id: str) -> dict:
    with sqlite3.connect(live_server.db_path) as db:
        db.row_factory = sqlite3.Row
        row = db.execute(
            "SELECT e.state, e.advanced_cents, e.called_at, e.confirmed_how, a.name AS assignee"
            " FROM errand e LEFT JOIN account a ON e.assignee = a.id WHERE e.id = ?",
            (card_id,),
        ).fetchone()
        items = db.execute(
            "SELECT text, done, substitute FROM errand_item WHERE errand = ? ORDER BY position", (card_id,)
        ).fetchall()
        events = db.execute(
            "SELECT to_state FROM errand_event WHERE errand = ? AND action IN ('created', 'move') ORDER BY seq",
            (card_id,),
        ).fetchall()
    return {**dict(row), "items": [tuple(i) for i in items], "events": [e[0] for e in events]}


def _intake(page: Page, who: str, kind: str, items: str, urgency: str = "today") -> str:
    """Write a card as on the phone: find the person, tap the kind, type the list, save. Returns its id."""
    page.goto("/errands/new")
    page.get_by_test_id("find-resident").fill(who)
    page.get_by_test_id("hit").first.check()
    page.locator(f"input[name=kind][value={kind}]").check()
    page.locator("#items").fill(items)
    page.locator(f"input[name=urgency][value={urgency}]").check()
    page.get_by_test_id("save-card").click()
    page.wait_for_url(re.compile(r"/errands/[0-9a-f-]{36}$"))
    return page.url.rsplit("/", 1)[1]


def test_hou_nainai_s_medicine_from_the_call_to_the_confirmed_delivery(page_as, live_server) -> None:
    worker: Page = page_as(WORKER)
    worker.goto("/errands/new")
    assert_phone_layout(worker, "errand intake")
    # A card of an ordinary neighbour first, so that 侯奶奶's coming first on the board is the board's doing.
    _intake(worker, "2-1-301", "groceries", "白菜\n鸡蛋 2斤", urgency="urgent")
    card_id = _intake(worker, "侯秀兰", "medicine", "硝苯地平控释片 1盒\n阿司匹林", urgency="urgent")
    card = ErrandCard(worker)
    card.wait_for_state("新")
    expect(card.card).to_contain_text("一号专线")

    worker.goto("/errands")
    first = worker.get_by_test_id("card-row").first
    expect(first).to_contain_text("侯秀兰")  # pinned: priority line, urgent medicine
    expect(first).to_contain_text("急需药品")
    assert_phone_layout(worker, "errand board")
    assert_accessible(worker, "errand board")
    first.get_by_role("link").click()

    card.move("accepted")
    card.wait_for_state("已接单")
    card.move("buying")
    card.wait_for_state("采购中")
    expect(card.tick("硝苯地平")).to_have_class(re.compile(r"\bitem-done\b"))  # sent, and the card refreshed
    row = card.card.get_by_test_id("item").filter(has_text="阿司匹林")
    row.locator("summary").click()
    row.get_by_label("换成了：").fill("拜阿司匹灵")
    row.get_by_role("button", name="保存").click()
    # The card's record comes from the server: the change is sent and the card has refreshed, as a person sees it
    # before typing on (a refresh landing in the middle of Playwright's fill would replace the field it types in).
    expect(card.card.get_by_test_id("history")).to_contain_text("阿司匹林 → 拜阿司匹灵")
    worker.get_by_test_id("amount").fill("86.5")
    worker.get_by_test_id("save-money").click()
    expect(worker.get_by_test_id("advanced")).to_contain_text("86.50")
    assert_phone_layout(worker, "errand card")
    assert_accessible(worker, "errand card")
    card.move("delivering")
    card.wait_for_state("配送中")
    expect(worker.get_by_test_id("contactless")).to_contain_text("放下，退后，再打电话")
    card.move("delivered")
    card.wait_for_state("已送达")
    worker.get_by_test_id("called-button").click()
    expect(worker.get_by_test_id("called")).to_be_visible()
    card.move("confirmed")
    card.wait_for_state("已确认")

    stored = _card(live_server, card_id)
    assert stored["state"] == "confirmed" and stored["confirmed_how"] == "phone" and stored["called_at"]
    assert stored["advanced_cents"] == 8650 and stored["assignee"] == "李雪敏"
    assert stored["items"] == [("硝苯地平控释片 1盒", 1, ""), ("阿司匹林", 1, "拜阿司匹灵")]
    assert stored["events"][:1] == ["new"] and "confirmed" in stored["events"]
    expect(worker.get_by_test_id("history")).to_contain_text("已确认")


def test_two_workers_racing_to_accept_one_gets_it_and_the_other_is_told(page_as, live_server) -> None:
    worker: Page = page_as(WORKER)
    admin: Page = page_as(ADMIN)
    card_id = _intake(worker, "2-1-301", "groceries", "挂面")
    admin.goto(f"/errands/{card_id}")
    worker.goto(f"/errands/{card_id}")  # both see it new, both tap 接单
    ErrandCard(worker).move("accepted")
    ErrandCard(worker).wait_for_state("已接单")
    slow = ErrandCard(admin)
    slow.move("accepted")
    expect(slow.card.locator("[data-outbox-refused]").first).to_have_text("· 这张卡已被别人接单。")
    expect(slow.card).to_contain_text("李雪敏 接单")  # the page shows who has it
    assert _card(live_server, card_id)["assignee"] == "李雪敏"


def _taken_and_kept(worker: Page, items: str) -> str:
    """A card made and taken while there is signal; the board keeps a copy of the cards in hand on the phone."""
    card_id = _intake(worker, "2-1-301", "groceries", items)
    card = ErrandCard(worker)
    card.move("accepted")
    card.wait_for_state("已接单")
    wait_until_controlled(worker)
    worker.goto("/errands?view=mine")
    worker.wait_for_function("() => document.documentElement.dataset.precached !== undefined")
    return card_id


def test_a_move_and_a_tick_made_offline_are_sent_when_the_network_returns(page_as, live_server) -> None:
    worker: Page = page_as(WORKER)
    card_id = _taken_and_kept(worker, "酱油\n醋")
    worker.context.set_offline(True)
    worker.goto(f"/errands/{card_id}")  # in the shop, no signal: the card from the phone's copy
    card = ErrandCard(worker)
    card.move("buying")
    expect(card.card.locator("[data-outbox-pending]").first).to_be_visible()
    row = card.tick("酱油")
    expect(row).to_contain_text("待同步")
    card.move("delivering")  # the next step shows at once, from the queued move
    expect(worker.get_by_test_id("contactless")).to_be_visible()  # and what to do at the door
    expect(worker.get_by_test_id("outbox-count")).to_have_text("3")
    worker.reload()  # still offline: the queued writes are still shown
    expect(worker.get_by_test_id("outbox-count")).to_have_text("3")
    assert _card(live_server, card_id)["state"] == "accepted"
    worker.context.set_offline(False)
    expect_sent(worker)
    ErrandCard(worker).wait_for_state("配送中")
    stored = _card(live_server, card_id)
    assert stored["state"] == "delivering" and stored["items"][0] == ("酱油", 1, "")
    assert stored["events"] == ["new", "accepted", "buying", "delivering"]


def test_a_rider_delivering_sees_the_door_and_items_but_no_phone_number(page_as, live_server) -> None:
    worker: Page = page_as(WORKER)
    card_id = _intake(worker, "侯秀兰", "groceries", "大米 10斤")
    card = ErrandCard(worker)
    for to, label in (("accepted", "已接单"), ("buying", "采购中"), ("delivering", "配送中")):
        card.move(to)
        card.wait_for_state(label)
    worker.get_by_test_id("deliverer").select_option(label="赵志刚")
    worker.get_by_test_id("hand-over").click()
    expect(card.card).to_contain_text("赵志刚")

    rider: Page = page_as(RIDER)
    rider.goto("/")
    rider.get_by_test_id("errands-card").get_by_role("link").click()
    rider.get_by_test_id("card-row").filter(has_text="2-2-1202").get_by_role("link").click()
    page = ErrandCard(rider)
    expect(page.card).to_contain_text("大米 10斤")
    expect(page.card).to_contain_text("侯**")
    expect(rider.get_by_test_id("contactless")).to_contain_text("放下，退后，再打电话")
    html = rider.content()
    assert "侯秀兰" not in html and "/residents/" not in html and "show-phone" not in html
    tel = [t for t in re.findall(r'href="tel:(\d+)"', html)]
    assert tel == ["13800000002"]  # the grid worker's number only, never the resident's
    assert_phone_layout(rider, "rider's card")
    page.move("delivered")
    page.wait_for_state("已送达")
    assert _card(live_server, card_id)["state"] == "delivered"


def test_a_resident_asks_from_big_buttons_and_confirms(page_as, live_server) -> None:
    elder: Page = page_as(RESIDENT)
    elder.goto("/")
    expect(elder.get_by_test_id("call-worker")).to_have_attribute("href", re.compile(r"^tel:\d{11}$"))
    assert_phone_layout(elder, "resident home", min_target=60)
    assert_accessible(elder, "resident home", aaa_contrast=True)
    elder.get_by_test_id("ask-link").click()
    expect(elder.get_by_test_id("call-worker")).to_contain_text("打给网格员")
    assert_phone_layout(elder, "ask for help", min_target=60)
    assert_accessible(elder, "ask for help", aaa_contrast=True)
    sizes = """() => ['h1', '.ask-button', '[data-testid=call-worker]', 'label', 'body'].map(
                 (s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize))"""
    h1, button, call, label, body = elder.evaluate(sizes)
    assert body >= 20 and h1 > body
    # A+ twice, to the largest: every word and button grows (on main only the text box's label did).
    for _ in range(2):
        elder.get_by_test_id("text-larger").click()
    larger = elder.evaluate(sizes)
    assert all(after > before for after, before in zip(larger, (h1, button, call, label, body), strict=True)), larger
    elder.screenshot(path="test-artifacts/screenshots/ask-largest-screen.png")
    assert_phone_layout(elder, "ask for help largest", min_target=60)
    elder.goto("/")  # remembered on his other pages
    assert elder.evaluate("parseFloat(getComputedStyle(document.querySelector('h2')).fontSize)") >= larger[0] * 0.7
    elder.screenshot(path="test-artifacts/screenshots/resident-home-largest-screen.png")
    assert_phone_layout(elder, "resident home largest", min_target=60)
    elder.get_by_test_id("ask-link").click()
    # His list holds other tests' requests too: this one by the id the page drew for it.
    card_id = elder.locator("input[name=card_id]").get_attribute("value")
    elder.get_by_test_id("ask-medicine").click()
    expect(elder.get_by_test_id("sent")).to_be_visible()
    expect(elder.locator(f"#request-{card_id}").get_by_test_id("request-state")).to_have_text("已收到，网格员会联系您")

    admin: Page = page_as(ADMIN)
    admin.goto("/errands?view=unassigned")
    admin.locator(f'[data-card="{card_id}"]').get_by_role("link").first.click()
    expect(admin).to_have_url(re.compile(rf"/errands/{card_id}$"))
    card = ErrandCard(admin)
    for to, label in (("accepted", "已接单"), ("delivering", "配送中"), ("delivered", "已送达")):
        card.move(to)
        card.wait_for_state(label)
    elder.reload()
    elder.locator(f"#request-{card_id}").get_by_test_id("received").click()
    expect(elder.get_by_test_id("thanks")).to_be_visible()
    assert _card(live_server, card_id)["confirmed_how"] == "resident"


def test_the_board_follows_a_colleague_s_change_without_a_reload(page_as) -> None:
    worker: Page = page_as(WORKER)
    admin: Page = page_as(ADMIN)
    card_id = _intake(worker, "2-1-301", "repair", "水龙头漏水")
    admin.goto("/errands")
    row = admin.locator(f'[data-card="{card_id}"]')
    expect(row.get_by_test_id("card-state")).to_have_text("新")
    ErrandCard(worker).move("accepted")
    ErrandCard(worker).wait_for_state("已接单")
    # No reload on the admin's phone: the board fetches itself again (every 15 s).
    expect(row.get_by_test_id("card-state")).to_have_text("已接单", timeout=25_000)
    expect(row).to_contain_text("李雪敏")


def test_a_photo_taken_at_the_door_without_signal_is_kept_and_sent_later(page_as, live_server, tmp_path) -> None:
    """Contactless delivery in a stairwell: the photo is kept on the phone (shown, counted, still there after a
    reload without signal) and reaches the card when the network is back, once."""
    worker: Page = page_as(WORKER)
    card_id = _taken_and_kept(worker, "鸡蛋")
    picture = tmp_path / "IMG_0001.jpg"
    Image.new("RGB", (640, 480), "orange").save(picture, "JPEG")
    worker.context.set_offline(True)
    worker.goto(f"/errands/{card_id}")
    form = worker.get_by_test_id("photo-form")
    form.locator("input[type=file]").set_input_files(picture)
    form.get_by_role("button", name="添加照片").click()
    queued = worker.get_by_test_id("queued-photo")
    expect(queued).to_have_count(1)
    expect(queued).to_contain_text("待同步")
    expect(worker.get_by_test_id("outbox-count")).to_have_text("1")
    assert_phone_layout(worker, "errand-photo-queued")
    worker.reload()  # still offline: the photo is still on the phone, and shown
    expect(worker.get_by_test_id("queued-photo")).to_have_count(1)
    assert _photos(live_server, card_id) == 0
    worker.context.set_offline(False)
    expect_sent(worker)
    expect(worker.get_by_test_id("queued-photo")).to_have_count(0)
    expect(worker.locator("img.photo-thumb[src^='/errands/photos/']")).to_have_count(1)
    assert _photos(live_server, card_id) == 1


def _photos(live_server, card_id: str) -> int:
    with sqlite3.connect(live_server.db_path) as db:
        return db.execute("SELECT count(*) FROM errand_photo WHERE errand = ?", (card_id,)).fetchone()[0]


def test_a_card_not_yet_taken_goes_through_its_states_without_signal(page_as, live_server) -> None:
    """On main, 接单 tapped offline left the badge at 新 and showed no next step (开始采购 ...) until it was sent: the
    buying and carrying moves were drawn only for the card's holder."""
    worker: Page = page_as(WORKER)
    card_id = _intake(worker, "2-1-302", "groceries", "挂面\n鸡蛋")
    card = ErrandCard(worker)
    card.wait_for_state("新")
    worker.context.set_offline(True)  # the stairwell
    card.move("accepted")
    card.shows_state("已接单")  # from the queued move
    card.move("buying")
    card.shows_state("采购中")
    card.move("delivering")
    card.shows_state("配送中")
    expect(worker.get_by_test_id("outbox-count")).to_have_text("3")
    assert_phone_layout(worker, "errand-offline-three-steps")
    assert _card(live_server, card_id)["state"] == "new"
    worker.context.set_offline(False)
    expect_sent(worker)
    card.wait_for_state("配送中")
    stored = _card(live_server, card_id)
    assert stored["state"] == "delivering" and stored["events"] == ["new", "accepted", "buying", "delivering"]
