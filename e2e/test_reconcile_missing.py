"""A long missing list at 360 px: a test point closed early and ~160 people of grid 2 are missing. The grid worker
opens a building, records reasons for a person and for a whole door, sees the counts change, and filters whom she
has not asked yet; with JavaScript (htmx fragments) and without (plain links and forms)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from openpyxl import Workbook
from playwright.sync_api import Page, expect

from e2e.pages import MissingList, assert_accessible, assert_phone_layout, path_of

WORKER = "13800000002"  # 李雪敏, 第二网格: buildings 2 and 14 to 18
PHONE_360 = {"viewport": {"width": 360, "height": 740}}


def closed_early_list(db_path: Path, folder: Path, title: str) -> Path:
    """Everyone living in grid 2 but about one in eight, and the whole of 2-1-301 (张大爷's household)."""
    with sqlite3.connect(db_path) as db:
        people = db.execute(
            "SELECT r.name, r.id_number, r.phone, h.door FROM resident r JOIN household h ON r.household = h.id"
            " JOIN building b ON h.building = b.id JOIN grid g ON b.grid = g.id"
            " WHERE g.name = '第二网格' AND r.status = 'living' ORDER BY h.door, r.name"
        ).fetchall()
    book = Workbook()
    sheet = book.active
    sheet.append(["序号", "姓名", "身份证号", "手机号", "住址"])
    listed = [p for n, p in enumerate(people) if n % 15 not in (2, 9) and p[3] != "2-1-301"]
    for n, (name, id_number, phone, door) in enumerate(listed, start=1):
        sheet.append([n, name, id_number or "", phone or "", door])
    path = folder / title
    book.save(path)
    return path


def upload(page: Page, db_path: Path, folder: Path, title: str) -> str:
    page.goto("/reconcile")
    page.set_input_files("#file", str(closed_early_list(db_path, folder, title)))
    page.get_by_test_id("check-list").click()
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("headline-text")).to_contain_text("名单见下方")
    return path_of(page)


def missing_by_building(db_path: Path, title: str) -> dict[str, int]:
    with sqlite3.connect(db_path) as db:
        return dict(
            db.execute(
                "SELECT b.name, count(*) FROM expected_resident e JOIN reconciliation r ON e.reconciliation = r.id"
                " JOIN building b ON e.building = b.id WHERE r.title = ? AND e.status = 'living' AND NOT e.present"
                " GROUP BY b.name",
                (title,),
            ).fetchall()
        )


def reasons(db_path: Path, title: str) -> dict[str, str]:
    with sqlite3.connect(db_path) as db:
        return dict(
            db.execute(
                "SELECT e.name, e.reason FROM expected_resident e JOIN reconciliation r ON e.reconciliation = r.id"
                " WHERE r.title = ? AND e.reason <> ''",
                (title,),
            ).fetchall()
        )


def test_a_long_missing_list_is_worked_building_by_building(page_as, live_server, tmp_path) -> None:
    title = "11月24日早场核酸.xlsx"
    page: Page = page_as(WORKER, **PHONE_360)
    upload(page, live_server.db_path, tmp_path, title)
    by_building = missing_by_building(live_server.db_path, title)
    total = sum(by_building.values())
    assert len(by_building) == 6 and 140 <= total <= 180, by_building

    # Buildings collapsed, with their counts; no cards yet.
    missing = MissingList(page)
    expect(missing.buildings).to_have_count(6)
    expect(missing.people).to_have_count(0)
    for name, count in by_building.items():
        expect(missing.building(name)).to_contain_text(f"{name} {count} 人")
    assert missing.todo() == total
    assert_phone_layout(page, "reconcile-missing-buildings")

    # She opens 2号楼: its doors in walking order, 张大爷's household together under 2-1-301.
    with page.expect_request(lambda request: "building=" in request.url) as sent:
        building = missing.open_building("2号楼")
    assert sent.value.headers.get("hx-request") == "true"  # htmx asked for the list alone
    assert re.search(r"\?building=[0-9a-f-]{36}#b-", page.url)  # pushed: a reload or a shared link shows the same
    expect(missing.buildings.get_by_test_id("missing-door").first).to_be_visible()
    door = missing.door("2-1-301")
    expect(door.get_by_test_id("missing-person")).to_have_count(5)
    doors = missing.doors.locator(".door-head a.door").all_inner_texts()
    assert doors == sorted(doors, key=lambda d: [int(part) for part in d.split("-")])
    assert_phone_layout(page, "reconcile-missing-open")
    assert_accessible(page, "reconcile-missing-open")

    # Tap to call still works in the list.
    zhang = door.get_by_test_id("missing-person").filter(has_text="张国强")
    zhang.get_by_test_id("show-phone").click()
    expect(zhang.get_by_test_id("call-link")).to_have_attribute("href", re.compile(r"^tel:1\d{10}$"))

    # A person's reason: her card, the filter's count and the building's change at once.
    zhang.get_by_test_id("reason-will_come").click()
    expect(zhang.get_by_test_id("reason")).to_have_text("会来")
    expect(missing.todo_count).to_have_text(str(total - 1))
    expect(building.get_by_test_id("building-todo")).to_have_text(f"还没问到 {by_building['2号楼'] - 1} 人")
    assert reasons(live_server.db_path, title) == {"张国强": "will_come"}

    # The rest of the door in one tap: the whole household is in hospital.
    door.get_by_test_id("door-reason-open").click()
    assert_phone_layout(page, "reconcile-missing-door-reason")
    door.get_by_test_id("door-reason-hospital").click()
    expect(missing.door("2-1-301").get_by_test_id("reason")).to_have_text(["住院"] * 5)
    expect(missing.todo_count).to_have_text(str(total - 5))
    expect(building.get_by_test_id("building-todo")).to_have_text(f"还没问到 {by_building['2号楼'] - 5} 人")
    assert set(reasons(live_server.db_path, title).values()) == {"hospital"}
    assert_phone_layout(page, "reconcile-missing-reasons")

    # Whom she has not asked yet: 2-1-301 is done and leaves the list; the counts stay as they are.
    page.get_by_test_id("show-todo").click()
    expect(page.get_by_test_id("show-todo")).to_have_attribute("aria-current", "page")
    assert "todo=1" in page.url
    expect(missing.door("2-1-301")).to_have_count(0)
    expect(missing.people.first).to_be_visible()
    expect(missing.people.get_by_test_id("reason")).to_have_count(0)
    expect(missing.todo_count).to_have_text(str(total - 5))
    assert_phone_layout(page, "reconcile-missing-todo")
    assert_accessible(page, "reconcile-missing-todo")

    # 2号楼 has more doors than a page: the next ones, then the building closed again.
    page.get_by_test_id("next-doors").click()
    expect(page.get_by_test_id("previous-doors")).to_be_visible()
    assert "page=2" in page.url
    building.get_by_test_id("building-link").click()
    expect(building.get_by_test_id("building-link")).to_have_attribute("aria-expanded", "false")
    expect(missing.people).to_have_count(0)

    # A revisit sweep of every door where someone is missing, in one action, as before.
    page.get_by_test_id("revisit").click()
    page.wait_for_url(re.compile(r"/sweeps/[0-9a-f-]{36}$"))
    with sqlite3.connect(live_server.db_path) as db:
        swept = db.execute(
            "SELECT count(*) FROM sweep_area a JOIN sweep s ON a.sweep = s.id WHERE s.name = ?",
            (f"再访：{title.removesuffix('.xlsx')}",),  # named without its file's extension (downloads.list_name)
        ).fetchone()[0]
        doors_missing = db.execute(
            "SELECT count(DISTINCT e.household) FROM expected_resident e JOIN reconciliation r"
            " ON e.reconciliation = r.id WHERE r.title = ? AND e.status = 'living' AND NOT e.present",
            (title,),
        ).fetchone()[0]
    assert swept == doors_missing


def test_the_long_list_without_javascript(page_as, live_server, tmp_path) -> None:
    title = "11月24日早场核酸-无脚本.xlsx"
    page: Page = page_as(WORKER, java_script_enabled=False, **PHONE_360)
    result = upload(page, live_server.db_path, tmp_path, title)
    by_building = missing_by_building(live_server.db_path, title)
    total = sum(by_building.values())
    missing = MissingList(page)
    expect(missing.people).to_have_count(0)

    building = missing.open_building("15号楼")  # a plain link: the whole page, the building open
    assert path_of(page) == result and "building=" in page.url
    first = missing.people.first
    name = first.locator(".person-name").inner_text()
    first.get_by_test_id("reason-away").click()  # a plain form: 303 back to the same building
    assert "building=" in page.url
    expect(missing.people.filter(has_text=name).get_by_test_id("reason")).to_have_text("外出")
    expect(missing.todo_count).to_have_text(str(total - 1))
    expect(building.get_by_test_id("building-todo")).to_have_text(f"还没问到 {by_building['15号楼'] - 1} 人")
    assert reasons(live_server.db_path, title) == {name: "away"}
    assert_phone_layout(page, "reconcile-missing-no-js")
