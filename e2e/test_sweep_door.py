"""Issue 14, item 8 at phone size: two volunteers disagree about a door; the coordinator opens it from "Doors to look
at" and sees who said what, and when (one of them recorded it without signal three hours earlier). Without
JavaScript too. The volunteers' ticks go through the sync endpoint as their phones' outboxes send them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import BrowserContext, Page, expect

from e2e.pages import NewSweepPage, SweepPage, assert_accessible, assert_phone_layout, path_of

WORKER = "13800000002"  # 李雪敏: building 2 is in her grid
SWEEP = "谁说了什么"
ZONE = ZoneInfo("Asia/Shanghai")  # the community's clock


def _csrf(context: BrowserContext) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "gc_csrf")


def _guest_records(new_context, db, sweep_id: str, code: str, name: str, phone: str, **tick) -> None:
    """A volunteer joins with the code, claims unit 1 of building 2, sends one tick about 2-1-301 (as the outbox
    does) and lets the unit go for the next one."""
    context: BrowserContext = new_context()
    context.new_page().goto("/join")  # the CSRF cookie, as any browser gets it
    joined = context.request.post(
        "/join", form={"_csrf_token": _csrf(context), "code": code, "name": name, "phone": phone}, max_redirects=0
    )
    assert joined.status == 303, joined.text()
    unit = str(
        db.value(
            "SELECT u.id FROM unit u JOIN building b ON u.building = b.id WHERE b.name = ? AND u.number = 1", "2号楼"
        )
    )
    claimed = context.request.post(
        f"/sweeps/{sweep_id}/claims",
        form={"_csrf_token": _csrf(context), "unit_id": unit, "floor_from": "1", "floor_to": "6"},
        max_redirects=0,
    )
    assert claimed.status == 303, claimed.text()
    write = {
        "id": tick.pop("id"),
        "kind": "sweep.tick",
        "device_time": tick.pop("device_time"),
        "payload": {"sweep_id": sweep_id, "household_id": db.household_id("2-1-301"), **tick},
    }
    sent = context.request.post(
        "/api/v1/sync",
        data=json.dumps({"writes": [write]}),
        headers={"content-type": "application/json", "x-csrftoken": _csrf(context)},
    )
    assert sent.ok and sent.json()["answers"][0]["status"] == "accepted", sent.text()
    claim = db.value(
        "SELECT c.id FROM sweep_claim c JOIN account a ON c.holder = a.id WHERE a.name = ? AND c.ended_at IS NULL", name
    )
    released = context.request.post(
        f"/sweeps/{sweep_id}/claims/{claim}/release", form={"_csrf_token": _csrf(context)}, max_redirects=0
    )
    assert released.status == 303, released.text()


def test_the_coordinator_opens_a_disputed_door_and_sees_who_said_what_and_when(page_as, new_context, db) -> None:
    coordinator: Page = page_as(WORKER)
    sweep = NewSweepPage(coordinator).open().create(SWEEP, "2号楼")
    sweep_id = path_of(coordinator).rsplit("/", 1)[1]
    code = sweep.make_code()
    now = datetime.now(UTC)
    three_hours_ago = now - timedelta(hours=3)
    _guest_records(
        new_context,
        db,
        sweep_id,
        code,
        "赵志愿",
        "15600000011",
        id="7a1e0c52-6f0e-4b8e-9d0a-1a2b3c4d5e01",
        device_time=three_hours_ago.isoformat(),
        outcome="done",
        note="孙子开的门，说都做了",
    )
    _guest_records(
        new_context,
        db,
        sweep_id,
        code,
        "钱志愿",
        "15600000012",
        id="7a1e0c52-6f0e-4b8e-9d0a-1a2b3c4d5e02",
        device_time=now.isoformat(),
        outcome="needs_help",
        help_needed="老人说降压药快吃完了",
        note="隔着门说话，没开门",
    )

    coordinator.goto(f"/sweeps/{sweep_id}")
    SweepPage(coordinator).unfold(coordinator.get_by_test_id("sweep-attention"))  # folded behind its count
    link = coordinator.get_by_test_id("attention-door").filter(has_text="2-1-301")
    door_path = link.get_attribute("href")
    assert door_path == f"/sweeps/{sweep_id}/doors/{db.household_id('2-1-301')}"
    link.click()
    expect(coordinator.get_by_test_id("door-conflict")).to_contain_text("志愿者说法不一：已完成 / 需要帮助")
    words = coordinator.get_by_test_id("door-word")
    expect(words).to_have_count(2)
    shown = three_hours_ago.astimezone(ZONE)
    today = datetime.now(ZONE).date()
    said_at = shown.strftime("%H:%M") if shown.date() == today else shown.strftime("%m-%d %H:%M")
    expect(words.nth(0)).to_contain_text("赵志愿")
    expect(words.nth(0).get_by_test_id("word-time")).to_contain_text(f"登记于 {said_at}")
    expect(words.nth(0).get_by_test_id("word-time")).to_contain_text("才传到")  # queued three hours: both times
    expect(words.nth(0).get_by_test_id("word-note")).to_have_text("备注：孙子开的门，说都做了")
    expect(words.nth(1)).to_contain_text("钱志愿")
    expect(words.nth(1)).to_contain_text("要的帮助：老人说降压药快吃完了")
    expect(coordinator.get_by_test_id("make-card")).to_be_visible()
    expect(coordinator.get_by_test_id("record-door")).to_have_attribute(
        "href",
        f"/sweeps/{sweep_id}/buildings/{db.building_id('2号楼')}/units/1/floors/3#d-{db.household_id('2-1-301')}",
    )
    assert_phone_layout(coordinator, "sweep-door-who-said-what")
    assert_accessible(coordinator, "sweep-door-who-said-what")

    # The same page without JavaScript: everything is in the HTML.
    plain = new_context(java_script_enabled=False, storage_state=coordinator.context.storage_state()).new_page()
    plain.goto(door_path)
    expect(plain.get_by_test_id("door-word")).to_have_count(2)
    expect(plain.get_by_test_id("door-conflict")).to_be_visible()
