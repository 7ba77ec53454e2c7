"""A grid handed over while its worker's calls wait on her phone without signal (issue 16, a stranger's walk: every
call was refused, the phone said 未被接受: 1 beside ✓ 已全部发送 with no reason, and nobody else ever saw it).
Decision 0034: what she recorded while the grid was hers lands and reaches the colleague who holds it now; what she
recorded after is said in words on her phone, and shown to the admin and the colleague."""

from __future__ import annotations

import sqlite3

from playwright.sync_api import Page, expect

from e2e.pages import LoginPage, assert_phone_layout

CHEN = "13800000003"  # 陈瑞云, grid 3
FENG = "13800000004"  # 风桦, grid 4: takes grid 3
ADMIN = "13800000000"


def test_calls_made_offline_before_a_handover_land_and_those_after_are_said_and_seen(new_context, own_server) -> None:
    own_server.start()

    def phone_of(account: str) -> Page:
        page = new_context(base_url=own_server.base_url, viewport={"width": 360, "height": 740}).new_page()
        LoginPage(page).open().log_in_as(account)
        return page

    def rows(sql: str, *params: object) -> list[tuple]:
        with sqlite3.connect(own_server.db_path) as db:
            return db.execute(sql, params).fetchall()

    grid = rows("SELECT id FROM grid WHERE name = '第三网格'")[0][0]
    people = [
        name
        for (name,) in rows(
            "SELECT r.name FROM elder_profile p JOIN resident r ON p.resident = r.id JOIN household h ON r.household ="
            " h.id JOIN building b ON h.building = b.id WHERE b.grid = ? AND p.in_round AND r.status = 'living'"
            " ORDER BY r.name",
            grid,
        )
    ]
    needs, unwell, late = people[:3]

    def calls(name: str) -> list[tuple]:
        return rows(
            "SELECT c.outcome, c.need, a.phone FROM check_in c JOIN resident r ON c.resident = r.id"
            " JOIN account a ON c.caller = a.id WHERE r.name = ? ORDER BY c.seq",
            name,
        )

    chen = phone_of(CHEN)
    chen.goto("/round")
    round_rows = chen.get_by_test_id("round-row")

    # In a stairwell without signal: two calls, saved on her phone.
    chen.context.set_offline(True)
    row = round_rows.filter(has_text=needs)
    row.locator("summary").click()
    row.get_by_label("需要什么").fill("帮忙买降压药")
    row.get_by_role("button", name="保存").click()
    round_rows.filter(has_text=unwell).get_by_role("button", name="身体不适", exact=True).click()
    expect(chen.get_by_test_id("outbox-count")).to_have_text("2")
    chen.wait_for_timeout(1500)  # a phone's times are to the second: the hand-over comes after both

    # Meanwhile the admin hands grid 3 to 风桦 (陈瑞云 is needed elsewhere).
    admin = phone_of(ADMIN)
    admin.goto(f"/grids/{grid}")
    admin.get_by_label("把这个网格转交给").select_option(label="风桦")
    admin.get_by_test_id("handover-submit").click()
    admin.get_by_test_id("handover-confirm-submit").click()
    expect(admin.get_by_test_id("grid-cover")).to_contain_text("陈瑞云的网格")
    chen.wait_for_timeout(1500)

    # Still without signal, her page still open: one more call, made after the grid was handed on.
    round_rows.filter(has_text=late).get_by_role("button", name="未接", exact=True).click()
    expect(chen.get_by_test_id("outbox-count")).to_have_text("3")
    assert calls(needs) == calls(unwell) == calls(late) == []

    # Signal again: the two calls made while the grid was hers land (on main: refused, both); the third does not.
    chen.context.set_offline(False)
    expect(chen.get_by_test_id("outbox-rejected")).to_be_visible()
    expect(chen.get_by_test_id("outbox-count")).to_have_text("0")
    assert calls(needs) == [("needs", "帮忙买降压药", CHEN)]
    assert calls(unwell) == [("unwell", "", CHEN)]
    assert calls(late) == []
    # Said in words where it was made, and one tap from why and what to do.
    expect(round_rows.filter(has_text=late)).to_contain_text("没记上：网格已转交")
    expect(chen.get_by_test_id("outbox-rejected")).to_contain_text("未被接受: 1 · 为什么？")
    assert_phone_layout(chen, "handover-offline-round")
    chen.get_by_test_id("outbox-rejected").click()
    refused = chen.get_by_test_id("refused").filter(has_text=late)
    expect(refused.get_by_test_id("refused-what")).to_contain_text("未接")
    expect(refused.get_by_test_id("refused-why")).to_contain_text("网格已经转交给了同事")
    expect(refused.get_by_test_id("refused-todo")).to_contain_text("风桦")
    expect(refused.get_by_test_id("refused-call")).to_have_attribute("href", f"tel:{FENG}")
    assert_phone_layout(chen, "handover-refused-page")

    # 风桦 holds the grid now: the need and the unwell call reach his home page.
    feng = phone_of(FENG)
    expect(feng.get_by_test_id("now-needs")).to_contain_text(needs)
    expect(feng.get_by_test_id("now-unwell")).to_contain_text(unwell)
    expect(feng.get_by_test_id("now-refused")).to_be_visible()  # her 未接, about a person of his grid now
    assert_phone_layout(feng, "handover-colleague-home")
    # And the admin sees what was refused, and who recorded it.
    admin.goto("/")
    admin.get_by_test_id("now-refused").click()
    expect(admin.get_by_test_id("refused").filter(has_text=late)).to_contain_text("陈瑞云 记于")
    assert_phone_layout(admin, "handover-refused-admin")

    # She has told 风桦: dealt with. It leaves her phone, and is no longer counted for anyone.
    refused.get_by_test_id("refused-settle").click()
    expect(chen.get_by_test_id("refused").filter(has_text=late).get_by_test_id("refused-settled")).to_contain_text(
        "已处理：陈瑞云"
    )
    expect(chen.get_by_test_id("outbox-rejected")).to_be_hidden()
    feng.reload()
    expect(feng.get_by_test_id("now-refused")).to_have_count(0)
