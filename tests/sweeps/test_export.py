"""A sweep's .xlsx and .csv: every volunteer who recorded a door, their notes, real times (issue 14, item 8); text
that a spreadsheet never runs, and sheet titles Excel takes (issue 15, items 4 and 5)."""

from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile
from datetime import UTC, datetime

from openpyxl import load_workbook

from tests.conftest import csrf, log_in
from tests.sweeps.helpers import claim
from tests.sweeps.test_door_words import ZONE, two_guests_disagree
from tests.sweeps.test_routes import DOOR, VOLUNTEER, WORKER, make_sweep, tick

COLUMNS = ["楼栋", "单元", "楼层", "门牌", "人数", "结果", "说法不一", "登记次数", "登记人", "最后登记时间"]


def csv_rows(answer) -> list[list[str]]:
    assert answer.status_code == 200, answer.text[:300]
    # Said once: it read "charset=utf-8; charset=utf-8" (a stranger's walk of issue 15).
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def door_row(rows, door: str = "2-1-301"):
    return next(row for row in rows if row[3] == door)


async def test_the_export_names_everyone_who_recorded_a_door_with_notes_help_and_a_real_time(app, client):
    story = await two_guests_disagree(
        app, "导出说法", second_outcome="needs_help", second_extra={"help_needed": "需要降压药"}
    )
    await log_in(client, WORKER)
    answer = await client.get(f"/sweeps/{story['sweep_id']}/export/xlsx")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert header == [*COLUMNS, "需要的帮助", "备注"]
    row = next(row for row in sheet.iter_rows(min_row=2) if row[3].value == "2-1-301")
    value = {title: cell for title, cell in zip(header, row, strict=True)}
    assert value["结果"].value == "需要帮助" and value["登记次数"].value == 2
    assert value["说法不一"].value == "说法不一：已完成 / 需要帮助"
    offline = story["offline_at"].astimezone(ZONE).strftime("%m-%d %H:%M")
    now = story["now"].astimezone(ZONE)
    assert value["登记人"].value == f"赵志愿：已完成 {offline}；钱志愿：需要帮助 {now.strftime('%m-%d %H:%M')}"
    # A real Excel time on the community's clock: when someone was last at the door.
    last = value["最后登记时间"]
    assert last.is_date and last.number_format == "yyyy-mm-dd hh:mm"
    assert last.value == now.replace(tzinfo=None)
    assert value["需要的帮助"].value == "需要降压药"
    assert value["备注"].value == f"赵志愿：{story['first_note']}；钱志愿：{story['second_note']}"
    untouched = next(row for row in sheet.iter_rows(min_row=2) if row[3].value == "2-1-302")
    assert untouched[5].value == "未上门" and untouched[8].value is None and untouched[9].value is None

    rows = csv_rows(await client.get(f"/sweeps/{story['sweep_id']}/export/csv"))
    assert rows[0] == [*COLUMNS, "需要的帮助", "备注"]
    zhang = door_row(rows)
    assert zhang[6] == "说法不一：已完成 / 需要帮助" and "赵志愿：已完成" in zhang[8] and "钱志愿：需要帮助" in zhang[8]
    assert zhang[9] == now.strftime("%Y-%m-%d %H:%M") and zhang[10] == "需要降压药"
    assert story["first_note"] in zhang[11] and story["second_note"] in zhang[11]


async def test_names_notes_and_help_from_a_join_code_never_run_as_formulas(app, client):
    """Anyone with a join code sets their name and writes notes and help: the coordinator opens them in Excel."""
    link = '=HYPERLINK("http://x.cn","点我")'
    story = await two_guests_disagree(
        app,
        "公式",
        first="-2+3+cmd|' /C calc'!A0",
        second=link,
        second_outcome="needs_help",
        first_note="@SUM(1+1)*cmd|' /C calc'!A0",
        second_note="=1+1",
        second_extra={"help_needed": '=HYPERLINK("http://x.cn","送药")'},
    )
    await log_in(client, WORKER)
    answer = await client.get(f"/sweeps/{story['sweep_id']}/export/xlsx")
    assert answer.status_code == 200
    with zipfile.ZipFile(io.BytesIO(answer.content)) as book:
        assert "<f>" not in book.read("xl/worksheets/sheet1.xml").decode()  # not one formula in the sheet
    sheet = load_workbook(io.BytesIO(answer.content)).active
    row = next(row for row in sheet.iter_rows(min_row=2) if row[3].value == "2-1-301")
    texts = {cell.value: cell for cell in row if isinstance(cell.value, str)}
    assert texts['=HYPERLINK("http://x.cn","送药")'].data_type == "s"
    assert all(cell.data_type == "s" for cell in texts.values())
    recorded = row[8].value
    assert recorded.startswith("-2+3+cmd") and link in recorded

    zhang = door_row(csv_rows(await client.get(f"/sweeps/{story['sweep_id']}/export/csv")))
    assert zhang[8].startswith("'-2+3+cmd")  # neutralised as OWASP advises: a leading apostrophe
    assert zhang[10] == "'" + '=HYPERLINK("http://x.cn","送药")'
    assert zhang[11].startswith("'-2+3+cmd") and "@SUM(1+1)" in zhang[11]
    assert zhang[2] == "3" and zhang[4] == "5"  # numbers stay numbers


async def test_the_apps_own_sweep_names_make_valid_sheets(client):
    await log_in(client, WORKER)
    form = await client.get("/sweeps/new")
    name = re.search(r'name="name"[^>]*value="([^"]+)"', form.text).group(1)
    assert "/" in name and name.endswith("扫楼")  # 12/7扫楼: the name the app offers
    sweep_id = await make_sweep(client, name)
    answer = await client.get(f"/sweeps/{sweep_id}/export/xlsx")
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == [name.replace("/", "／")] and book.active.max_row == 1 + 108
    assert "/" not in answer.headers["content-disposition"].split("''", 1)[1]

    # The revisit sweep, made in English: "Revisit: 12/7扫楼".
    assert (await tick(client, sweep_id, "done")).status_code == 303
    client.cookies.set("gc_lang", "en")
    made = await client.post(
        f"/sweeps/{sweep_id}/revisit", data={"_csrf_token": client.cookies["gc_csrf"]}, follow_redirects=False
    )
    assert made.status_code == 303
    revisit = made.headers["location"].rsplit("/", 1)[1]
    answer = await client.get(f"/sweeps/{revisit}/export/xlsx")
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["Revisit： " + name.replace("/", "／")] and book.active.max_row == 1 + 107
    client.cookies.set("gc_lang", "zh_CN")


async def test_a_whole_floors_answer_set_aside_by_the_doors_own_is_not_said_to_be_settled_since(client):
    """Issue 14 (a stranger's walk): the grid worker recorded 2-1-301 done; a volunteer's whole-floor nobody-home,
    made offline on a page drawn before, arrived after it. The export said "赵志刚：无人应答 …（之后网格员已核实）":
    "since" is wrong (the worker was first), and no coordinator settled it; the door's own answer set it aside,
    whatever the order (decision 0020)."""
    sweep_id = await make_sweep(client, "整层与单户的先后")
    await log_in(client, VOLUNTEER)
    await claim(client, sweep_id)
    await log_in(client, WORKER)
    assert (await tick(client, sweep_id, "done")).status_code == 303
    await log_in(client, VOLUNTEER)
    write = {
        "id": str(uuid.uuid4()),
        "kind": "sweep.tick",
        "device_time": datetime.now(UTC).isoformat(),
        "payload": {"sweep_id": sweep_id, "household_id": str(DOOR), "outcome": "nobody_home", "bulk": True},
    }
    answer = await client.post("/api/v1/sync", json={"writes": [write]}, headers=csrf(client))
    assert answer.json()["answers"][0]["status"] == "accepted"

    await log_in(client, WORKER)
    recorded_by = door_row(csv_rows(await client.get(f"/sweeps/{sweep_id}/export/csv")))[8]
    worker, volunteer = recorded_by.split("；")
    assert worker.startswith("李雪敏：已完成") and "（" not in worker
    assert volunteer.endswith("（整层无人应答，不算：这户单独登记过）") and "之后" not in volunteer
