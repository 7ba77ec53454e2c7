"""Issue 4's story at 360 px: the grid worker uploads the morning's list and sees the two who were not tested."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from openpyxl import Workbook
from playwright.sync_api import Page, expect

from e2e.pages import assert_phone_layout

WORKER = "13800000002"  # 李雪敏: building 2 is in her grid
NARROW = {"viewport": {"width": 360, "height": 780}}


def story_list(db_path: Path, folder: Path, extra: tuple[tuple, ...] = ()) -> Path:
    """The test point's list of building 2: a title above the header, everyone living there but the two."""
    with sqlite3.connect(db_path) as db:
        people = db.execute(
            "SELECT r.name, r.phone, h.door FROM resident r JOIN household h ON r.household = h.id"
            " JOIN building b ON h.building = b.id WHERE b.number = 2 AND r.status = 'living'"
        ).fetchall()
    assert len(people) == 332
    book = Workbook()
    sheet = book.active
    sheet.append(["11月24日 2号楼核酸检测名单"])
    sheet.merge_cells("A1:D1")
    sheet.append(["序号", "姓名", "手机号", "住址"])
    listed = [p for p in people if p[0] not in ("张国强", "李秀英")]
    for n, (name, phone, door) in enumerate(listed, start=1):
        b, u, r = door.split("-")
        sheet.append([n, name, phone or "", f"{b}号楼{u}单元{r}室"])
    for row in extra:
        sheet.append(list(row))
    path = folder / "11月24日核酸名单.xlsx"
    book.save(path)
    return path


def test_the_grid_worker_finds_the_two_missing_and_records_a_reason(page_as, live_server, tmp_path) -> None:
    page: Page = page_as(WORKER, **NARROW)
    page.goto("/")
    page.get_by_test_id("reconcile-link").click()
    assert_phone_layout(page, "reconcile-index")
    page.set_input_files("#file", str(story_list(live_server.db_path, tmp_path)))
    page.get_by_test_id("check-list").click()

    expect(page.get_by_test_id("pv-missing")).to_contain_text("2")
    expect(page.get_by_test_id("preview")).to_contain_text("还没有保存")
    assert_phone_layout(page, "reconcile-preview")
    with sqlite3.connect(live_server.db_path) as db:
        assert db.execute("SELECT count(*) FROM reconciliation").fetchone() == (0,)

    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("headline-text")).to_have_text(
        "应到 332 人，名单上 330 人；未到：张国强、李秀英 (2-1-301)"
    )
    missing = page.get_by_test_id("missing-person")
    expect(missing).to_have_count(2)
    assert missing.first.get_by_test_id("call").get_attribute("href").startswith("tel:1")
    assert_phone_layout(page, "reconcile-result")

    her = missing.filter(has_text="李秀英")
    her.get_by_test_id("reason-will_come").click()
    expect(page.get_by_test_id("missing-person").filter(has_text="李秀英").get_by_test_id("reason")).to_have_text(
        "会来"
    )
    with sqlite3.connect(live_server.db_path) as db:
        reasons = db.execute("SELECT name, reason FROM expected_resident WHERE reason <> ''").fetchall()
    assert reasons == [("李秀英", "will_come")]
    assert_phone_layout(page, "reconcile-reason")


def test_rows_for_a_person_to_decide_and_people_not_in_the_register(page_as, live_server, tmp_path) -> None:
    """张国强 written at another door is not guessed: she decides it is him; 赵新来 is on the list only."""
    extra = (("331", "张国强", "", "3号楼1单元101室"), ("332", "赵新来", "13612345678", "２栋１单元３０１室"))
    page: Page = page_as(WORKER, **NARROW)
    page.goto("/reconcile")
    page.set_input_files("#file", str(story_list(live_server.db_path, tmp_path, extra)))
    page.get_by_test_id("check-list").click()
    expect(page.get_by_test_id("problems")).to_contain_text("赵新来")
    page.get_by_test_id("save").click()

    expect(page.get_by_test_id("missing-person")).to_have_count(2)
    row = page.get_by_test_id("ambiguous-row")
    expect(row).to_contain_text("张国强")
    expect(page.get_by_test_id("list-only-row")).to_contain_text("赵新来")
    page.get_by_test_id("list-only").get_by_text("加入台账").click()  # opens the form: door and sex
    expect(page.get_by_test_id("list-only").locator("input[name=door]")).to_have_value("2-1-301")
    assert_phone_layout(page, "reconcile-decide")

    row.get_by_label("张国强 2-1-301", exact=False).check()
    row.get_by_role("button", name="确定").click()
    expect(page.get_by_test_id("missing-person")).to_have_count(1)
    expect(page.get_by_test_id("headline-text")).to_have_text("应到 332 人，名单上 331 人；未到：李秀英 (2-1-301)")
