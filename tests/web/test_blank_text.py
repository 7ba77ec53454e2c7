"""Names that draw nothing are no names, line breaks a single line cannot show are spaces, and uploaded lists are
cleaned as forms are (issue 15, a stranger's second review; server/text.py)."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from openpyxl import load_workbook

from server.accounts.tables import User
from server.demo.seed import demo_uuid
from server.imports.normalize import text as cell_text
from server.sweeps.tables import Sweep, SweepTick
from server.text import clean_block, clean_line, clean_name
from server.web import downloads
from tests.conftest import browser, csrf, log_in
from tests.sweeps.helpers import claim
from tests.sweeps.test_routes import make_sweep
from tests.sweeps.test_team import join, make_code

RLO, LRI = "\u202e", "\u2067"
# Each draws nothing: fillers of Hangul, Braille's blank, a combining joiner, spaces of every width, and mixes.
BLANKS = (
    "\u3164",
    "\u3164\u3164\u3164",
    "\u115f\u1160",
    "\uffa0",
    "\u034f",
    "\u2800",
    "\u180e",
    "\u200b\u200d",
    " \u3000\u3164 ",
    "\u3000\u3000",
    "\u2028\u2029\x85",
    "\u3164\u200b\u2800\u3000",
)
# Real names, as people of this country write them: they stay exactly as typed (an emoji after a letter: a name is
# a letter or a digit at least, tests/web/test_person_names.py).
NAMES = ("张国强", "阿依古丽·买买提", "ئابدۇرېھىم", "བཀྲ་ཤིས་", "김민준", "박서연", "Ａｌｉ", "次仁卓玛", "王👨\u200d👩")


@pytest.mark.parametrize("blank", BLANKS)
def test_a_text_that_draws_nothing_is_empty(blank):
    assert clean_line(blank) == "" and clean_block(blank) == "" and clean_name(blank) == ""
    assert cell_text(blank) == ""  # a list's cell alike


@pytest.mark.parametrize("name", NAMES)
def test_real_names_pass_as_typed(name):
    assert clean_line(name) == name and clean_name(name) == name and clean_block(name) == name


# A filler at either end of a name (a stranger's third review of issue 15): it drew nothing, so "\u3164张国强" read
# 张国强 on every page while it sorted, matched and exported as another name.
FILLED = (
    "\u3164张国强",
    "张国强\u3164",
    "\uffa0张国强",
    "\u115f张国强\u1160",
    " \u3164 张国强 \u2800",
    "\u2800\u3164张国强",
)


@pytest.mark.parametrize("typed", FILLED)
def test_fillers_at_either_end_of_a_name_are_removed(typed):
    assert clean_name(typed) == "张国强" and clean_line(typed).strip() == "张国强"
    assert cell_text(typed) == "张国强"  # a list's cell alike (NFKC makes U+3164 a U+1160)


def test_a_filler_inside_a_name_and_an_emojis_selector_stay():
    assert clean_name("\u1100\u1160") == "\u1100"  # a lone initial at the end: its filler draws nothing there
    assert clean_line("👍\ufe0f") == "👍\ufe0f"  # the selector belongs to the emoji before it


async def test_a_guest_joining_with_a_filler_before_the_name_is_stored_without_it(app):
    async with browser(app) as worker, browser(app) as phone:
        sweep_id = await make_sweep(worker, "名字前的空白")
        code = await make_code(worker, sweep_id)
        answer = await join(phone, code, name="\u3164周志愿\u3164", phone="15800000073")
        assert answer.status_code == 303, answer.text
        made = await User.objects().get(User.guest_phone == "15800000073")
        assert made.name == "周志愿"


def test_line_breaks_are_spaces_in_a_line_and_one_newline_in_a_note():
    typed = "门\u2028铃\u2029坏\x85了\r\n狗\r凶\t\x1b!"
    assert clean_line(typed) == "门 铃 坏 了 狗 凶  !"
    assert clean_block(typed) == "门\n铃\n坏\n了\n狗\n凶  !"
    assert clean_block("第一行\n第二行") == "第一行\n第二行"
    assert clean_line("a\x00b") == "a\x00b"  # NUL is refused in words where it comes in, not made a space


BLANKS = ["\u3164\u3164", "\u2800", "\u3000\u115f\u3000", "\u034f\u200b"]


@pytest.mark.parametrize("blank", BLANKS)
async def test_a_blank_looking_guest_name_is_refused_in_place(app, blank):
    async with browser(app) as worker, browser(app) as phone:
        sweep_id = await make_sweep(worker, "空白名字")
        code = await make_code(worker, sweep_id)
        number = f"1580000071{BLANKS.index(blank)}"  # one number a case: each case's last join makes a guest
        answer = await join(phone, code, name=blank, phone=number)
        assert answer.status_code == 400, answer.text
        assert "请填写姓名。" in answer.text  # the name field's own message, in Chinese first
        assert not await User.exists().where(User.guest_phone == number)  # guests are kept by guest_phone
        assert (await join(phone, code, name="김민준", phone=number)).status_code == 303  # Hangul is a name
        assert await User.exists().where(User.guest_phone == number)


async def test_people_and_sweeps_refuse_a_blank_looking_name_and_store_separators_as_spaces(client):
    await log_in(client, "13800000000")
    person = {"_csrf_token": csrf(client)["x-csrftoken"], "phone": "13800000092", "role": "admin"}
    answer = await client.post("/people", data={**person, "name": "\u3164\u3000\u2800"})
    assert "请填姓名。" in answer.text
    assert not await User.exists().where(User.phone == "13800000092")

    answer = await client.post("/people", data={**person, "name": "周\u2028志愿\x85"})
    made = await User.objects().get(User.phone == "13800000092")
    try:
        assert made.name.strip() == "周 志愿"
    finally:
        from server.staff.provisioning import deactivate_user

        await deactivate_user("13800000092")

    sweeps = await Sweep.count()
    answer = await client.post(
        "/sweeps/",
        data={
            "_csrf_token": csrf(client)["x-csrftoken"],
            "name": "\u3164\u3164",
            "day": "2022-11-24",
            "building_ids": [str(demo_uuid("building", "2"))],
        },
        follow_redirects=False,
    )
    assert answer.status_code in (200, 400) and "请填写名称和日期" in answer.text
    assert await Sweep.count() == sweeps


async def test_a_phones_notes_keep_their_lines_and_a_batch_goes_through_whole(app):
    """Sync writes are cleaned, never refused for it: a note's odd line breaks become newlines, and the write
    beside it is stored as well (nothing held up in the phone's outbox)."""
    async with browser(app) as worker, browser(app) as phone:
        sweep_id = await make_sweep(worker, "换行")
        code = await make_code(worker, sweep_id)
        assert (await join(phone, code, name="周志愿", phone="15800000072")).status_code == 303
        await claim(phone, sweep_id, unit="2-1", floors=(6, 6))
        notes = ("狗凶\u2028敲门大声\x85下午再来", "门铃\r\n坏了", "\u3164")
        writes = [
            {
                "id": str(uuid.uuid4()),
                "kind": "sweep.tick",
                "device_time": "2022-11-24T09:00:00+08:00",
                "payload": {
                    "sweep_id": sweep_id,
                    "household_id": str(demo_uuid("household", f"2-1-60{n + 1}")),
                    "outcome": "nobody_home",
                    "note": note,
                },
            }
            for n, note in enumerate(notes)
        ]
        answer = await phone.post("/api/v1/sync", json={"writes": writes}, headers=csrf(phone))
        assert [a["status"] for a in answer.json()["answers"]] == ["accepted"] * 3, answer.text
        stored = {
            str(row["id"]): row["note"]
            for row in await SweepTick.select(SweepTick.id, SweepTick.note).where(
                SweepTick.id.is_in([uuid.UUID(w["id"]) for w in writes])
            )
        }
        assert [stored[w["id"]] for w in writes] == ["狗凶\n敲门大声\n下午再来", "门铃\n坏了", ""]


def _list(*rows: str) -> bytes:
    return ("姓名,住址\n" + "".join(f"{row}\n" for row in rows)).encode()


async def test_names_of_an_uploaded_list_reach_the_previews_cleaned_and_isolated(client):
    listed = _list(f"张{RLO}国强,2-1-301", f"王{LRI}小明,2-1-302", "\u3164\u3164,2-1-303")
    await log_in(client, "13800000002")
    reconcile = await client.post(
        "/reconcile/preview",
        data={"_csrf_token": client.cookies["gc_csrf"], "building_ids": str(demo_uuid("building", "2"))},
        files={"file": (f"名单{RLO}xsl.csv", listed, "text/csv")},
    )
    assert reconcile.status_code == 200, reconcile.text
    await log_in(client, "13800000000")
    register = await client.post(
        "/register/import/preview",
        data={"_csrf_token": client.cookies["gc_csrf"]},
        files={"file": (f"台账{RLO}xsl.csv", listed, "text/csv")},
    )
    assert register.status_code == 200, register.text
    for page in (reconcile.text, register.text):
        assert RLO not in page and LRI not in page and "\u3164" not in page and "\u1160" not in page
        assert "<bdi>王小明</bdi>" in page  # not in the register: a row to look at, its name isolated
        assert "xsl.csv</bdi>" in page  # the file's name too
    assert "<bdi>张国强</bdi>" in register.text  # planned: updated in the register


def test_an_export_cell_cannot_reorder_its_row():
    """Text stored before names were cleaned (or by any way round the edge) reaches a spreadsheet without a bidi
    control or a line separator."""
    row = [f"张{RLO}国强", "2-1-301", f"狗凶{LRI}\u2028敲门"]
    (read,) = csv.reader(io.StringIO(downloads.csv_bytes([row]).decode("utf-8-sig")))
    assert read == ["张国强", "2-1-301", "狗凶\n敲门"]
    sheet = load_workbook(io.BytesIO(downloads.xlsx([("名单", [row])]))).active
    assert [cell.value for cell in next(sheet.iter_rows())] == ["张国强", "2-1-301", "狗凶\n敲门"]
