"""A person's name holds a letter or a digit, a filler inside it is a space, and no cell of a list is past Excel's
32,767 characters (issue 15, a stranger's fourth review; server/text.py, server/imports/reader.py)."""

from __future__ import annotations

import pytest

from server.accounts.tables import User
from server.demo.seed import demo_uuid
from server.imports.draft import read_rows
from server.imports.limits import MAX_CELL_CHARS
from server.imports.reader import ImportProblem, read_table
from server.text import clean_name, has_letter
from tests.conftest import browser, csrf, log_in
from tests.sweeps.test_routes import make_sweep
from tests.sweeps.test_team import join, make_code

# Each shows as nothing or almost nothing: combining marks alone (a space before one was stripped), an object
# replacement character, a musical null notehead, a dot beside a filler, an emoji alone.
NO_LETTER = ("\u0301\u0301", "\u0e47", " \u0301", "\ufffc", "\U0001d159", ".\u3164", ".", "\u3164\u0301", "🌸")
# Real names keep their marks, scripts and emoji.
NAMES = ("김민준", "สมชาย ใจดี", "ณัฐธิดา", "محمد علي", "Anna🌸", "阿依古丽·买买提", "O'Brien", "李4", "Ⅳ世")


@pytest.mark.parametrize("typed", NO_LETTER)
def test_a_name_without_a_letter_or_digit_is_no_name(typed):
    assert clean_name(typed) == "" and not has_letter(typed)


@pytest.mark.parametrize("name", NAMES)
def test_real_names_hold_a_letter_and_pass_as_typed(name):
    assert clean_name(name) == name and has_letter(name)


@pytest.mark.parametrize("typed", ("张\u3164三", "张\uffa0三", "张\u115f三", "张\u1160三", "张 \u3164 三"))
def test_a_filler_inside_a_name_is_a_space(typed):
    assert clean_name(typed) == "张 三"


def test_conjoining_hangul_keeps_its_fillers():
    assert clean_name("\u1100\u1160\u11a8") == "\u1100\u1160\u11a8"  # an initial, no vowel, a final: one block
    assert clean_name("\u115f\u1161 김") == "\u1161 김"  # at the start it drew nothing before (clean_line)


NO_LETTER_ROUTED = ("\u0301\u0301", " \u0301", "\ufffc", ".\u3164")


@pytest.mark.parametrize("typed", NO_LETTER_ROUTED)
async def test_join_refuses_a_name_without_a_letter_in_place(app, typed):
    async with browser(app) as worker, browser(app) as phone:
        sweep_id = await make_sweep(worker, "没有字的名字")
        code = await make_code(worker, sweep_id)
        number = f"1580000081{NO_LETTER_ROUTED.index(typed)}"
        answer = await join(phone, code, name=typed, phone=number)
        assert answer.status_code == 400, answer.text
        assert "请填写姓名。" in answer.text
        assert not await User.exists().where(User.guest_phone == number)


async def test_join_stores_a_filler_inside_a_name_as_a_space(app):
    async with browser(app) as worker, browser(app) as phone:
        sweep_id = await make_sweep(worker, "名字中间的空白")
        code = await make_code(worker, sweep_id)
        answer = await join(phone, code, name="张\u3164三", phone="15800000820")
        assert answer.status_code == 303, answer.text
        made = await User.objects().get(User.guest_phone == "15800000820")
        assert made.name == "张 三"


async def test_people_refuses_a_name_without_a_letter_and_spaces_a_filler(client):
    await log_in(client, "13800000000")
    person = {"_csrf_token": csrf(client)["x-csrftoken"], "phone": "13800000097", "role": "admin"}
    for typed in ("\u0301\u0301", "\U0001d159", ".\u3164"):
        answer = await client.post("/people", data={**person, "name": typed})
        assert "请填姓名。" in answer.text, typed
        assert not await User.exists().where(User.phone == "13800000097")
    await client.post("/people", data={**person, "name": "周\u3164志愿"})
    made = await User.objects().get(User.phone == "13800000097")
    try:
        assert made.name == "周 志愿"
    finally:
        from server.staff.provisioning import deactivate_user

        await deactivate_user("13800000097")


def _csv(name: str) -> bytes:
    return f"姓名,住址\n{name},2-1-301\n王小明,2-1-302\n".encode()


def test_a_csv_cell_past_excels_limit_is_refused():
    with pytest.raises(ImportProblem) as refused:
        read_table(_csv("张" + "a" * MAX_CELL_CHARS), "list.csv")
    assert refused.value.code == "cell_too_long"
    assert len(read_table(_csv("张" + "a" * (MAX_CELL_CHARS - 1)), "list.csv").rows[0].cells[0]) == MAX_CELL_CHARS
    quoted = '"张\n' + "a" * MAX_CELL_CHARS + '"'  # one cell over several lines: still one cell
    with pytest.raises(ImportProblem):
        read_table(_csv(quoted), "list.csv")


async def both_previews(client, listed: bytes):
    """The same list read by a grid worker's /reconcile and by the admin's register import."""
    await log_in(client, "13800000002")
    reconcile = await client.post(
        "/reconcile/preview",
        data={"_csrf_token": client.cookies["gc_csrf"], "building_ids": str(demo_uuid("building", "2"))},
        files={"file": ("名单.csv", listed, "text/csv")},
    )
    await log_in(client, "13800000000")
    register = await client.post(
        "/register/import/preview",
        data={"_csrf_token": client.cookies["gc_csrf"]},
        files={"file": ("台账.csv", listed, "text/csv")},
    )
    return reconcile, register


async def test_both_previews_refuse_a_csv_cell_past_excels_limit_naming_it(client):
    listed = _csv("张" + "b" * 40_000)
    for page in await both_previews(client, listed):
        assert "有一格字太多：每格最多 32,767 个字。" in page.text, page.text[:2000]
        assert "b" * 1000 not in page.text  # the cell is not echoed back


def test_a_lists_name_is_cut_and_said_too_long_and_one_without_a_letter_is_no_name():
    long, marks, real = read_rows([2, 3, 4], [["张" + "a" * 1000, "\u0301\u0301", "ณัฐธิดา"]], {0: "name"})
    assert long.name == "张" + "a" * 31 + "…" and long.problems == ("name_too_long",)
    assert marks.name == "" and marks.problems == ("cannot_identify",)
    assert real.name == "ณัฐธิดา" and real.problems == ()


async def test_both_previews_say_a_name_is_too_long_without_echoing_it(client):
    listed = _csv("张" + "c" * 5_000)
    for page in await both_previews(client, listed):
        assert page.status_code == 200, page.text
        assert "姓名太长：最多 32 个字" in page.text and "c" * 40 not in page.text
        assert "王小明" in page.text  # the other row is read as ever


async def test_both_previews_say_a_list_in_an_unknown_encoding_is_to_be_saved_as_utf8(client):
    """A stranger's walk of issue 15: a .csv in neither UTF-8 nor GB18030 was "not a spreadsheet"."""
    listed = "姓名,住址\n".encode() + b"\xff\xfe\xc3\x28,\xe2\x82\n\xa0\xa1,\x80\x80\n"
    for page in await both_previews(client, listed):
        assert page.status_code == 400, page.text[:500]
        assert "这个文件的文字编码认不出来" in page.text and "不是表格" not in page.text
