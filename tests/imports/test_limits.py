"""Hostile files are refused before they cost the server its memory (issue 15); each is made in hostile.py.

What each costs is the growth of this process's peak resident memory while it is read (Linux resets the peak on
request), far under what a refused upload may cost the whole server (300 MB; bench/uploads.py measures the server's).
"""

from __future__ import annotations

import zipfile

import pytest

from server.imports import limits
from server.imports import xlsx as xlsx_reader
from server.imports.reader import ImportProblem, read_table
from tests.imports import hostile
from tests.imports.test_reader import xlsx

MB = 1024 * 1024


def refused(data: bytes, name: str = "list.xlsx") -> tuple[str, float]:
    """The problem's code, and how far the process's resident memory grew while the file was read, in MB."""
    outcome, growth = hostile.memory_growth(lambda: read_table(data, name))
    assert isinstance(outcome, ImportProblem), outcome
    return outcome.code, growth


@pytest.mark.parametrize(
    ("make", "code", "most_mb"),
    [
        (lambda: hostile.rows_bomb(100), "too_many_rows", 60),  # 300 KB that unpacks to 100 MiB of rows
        (hostile.declared_bomb, "unpacked_too_large", 5),
        (hostile.wide_row, "too_many_columns", 5),  # one row of two million cells
        (lambda: hostile.far_cell("XFD2"), "too_many_columns", 5),
        (lambda: hostile.far_cell("A1048576"), "too_many_rows", 5),
        (lambda: hostile.strings_bomb(limits.MAX_CELLS + 10), "too_much_text", 60),
        (hostile.long_cell, "cell_too_long", 5),
        (lambda: hostile.many_parts(limits.MAX_PARTS + 1), "too_many_parts", 5),
        (hostile.lying_sizes, "not_a_spreadsheet", 5),
        (hostile.xxe, "unsafe_xml", 5),
        (hostile.billion_laughs, "unsafe_xml", 5),
        (hostile.laughs_in_strings, "unsafe_xml", 5),
        # At the limits of cells and characters, and one cell more: every cell ten emoji. The reader held 200 MB of
        # cells before that last one; packed, 4 bytes a character.
        (hostile.emoji_cells, "too_much_text", 100),
        (lambda: hostile.empty_cells(limits.MAX_CELLS_SEEN + 1), "too_much_work", 5),
        (lambda: hostile.blank_space(limits.MAX_READ // MB + 1), "too_much_work", 5),
        # One token past what expat may hold (limits.MAX_HELD), each parsed again at every chunk until refused:
        # an attribute ('>' inside it, as a value may hold), a comment, a processing instruction.
        (lambda: hostile.long_tag(2), "tag_too_long", 5),
        (lambda: hostile.long_tag(2, b"><!--", b"--><x/"), "tag_too_long", 5),
        (lambda: hostile.long_tag(2, b"><?pi ", b"?><x/"), "tag_too_long", 5),
    ],
    ids=[
        "rows bomb",
        "declared size",
        "wide row",
        "far column",
        "far row",
        "shared strings",
        "long cell",
        "many parts",
        "lying sizes",
        "xxe",
        "billion laughs",
        "laughs in shared strings",
        "emoji",
        "empty cells",
        "blank space",
        "long attribute",
        "long comment",
        "long instruction",
    ],
)
def test_a_hostile_xlsx_is_refused_within_a_few_mb(make, code, most_mb, monkeypatch):
    """The limits checked as the file streams: behind the first check of all (packing, see below), lifted here."""
    monkeypatch.setattr(xlsx_reader, "MAX_RATIO", 10**9)
    data = make()
    assert len(data) < limits.MAX_BYTES
    found, peak = refused(data)
    assert found == code
    assert peak < most_mb, f"{peak:.0f} MB"


@pytest.mark.parametrize(
    "make",
    [
        lambda: hostile.rows_bomb(100),
        hostile.wide_row,
        hostile.long_cell,
        hostile.emoji_cells,
        lambda: hostile.empty_cells(limits.MAX_CELLS_SEEN + 1),
        lambda: hostile.blank_space(limits.MAX_READ // MB + 1),
        lambda: hostile.sheet_listed(20, 4),
    ],
    ids=["rows bomb", "wide row", "long cell", "emoji", "empty cells", "blank space", "sheet listed"],
)
def test_a_part_packed_past_what_a_spreadsheet_packs_is_refused_before_it_is_unpacked(make, monkeypatch):
    """A stranger's second review of issue 15: these took 7 to 24 s of reading before their refusal (one 62 KB file
    listed 60 MB of empty cells). Each part packs 280 to 1,030 times, a spreadsheet's XML 8 to 20: refused from the
    zip's directory, nothing unpacked."""
    data = make()
    opened: list[str] = []
    original = zipfile.ZipFile.open

    def counting(archive, name, *args, **kwargs):
        opened.append(name if isinstance(name, str) else name.filename)
        return original(archive, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", counting)
    found, peak = refused(data)
    assert found == "packed_too_tightly"  # said as what it is, not as a reader out of memory
    assert opened == [] and peak < 5, f"{peak:.0f} MB"


def test_an_honest_list_packs_within_the_limit():
    """The limit is far from what spreadsheets pack: a list of 20,000 people, their buildings repeated, packs 16."""
    rows = [["姓名", "住址"] + [f"列{n}" for n in range(12)]]
    rows += [[f"张国强{n}", f"2-1-{n % 400}"] + ["2号楼"] * 12 for n in range(20_000)]
    assert len(read_table(xlsx(rows), "list.xlsx").rows) == 20_000


def test_an_external_entity_is_never_read():
    """XXE: had the entity been resolved, the list would hold the server's /etc/passwd."""
    with pytest.raises(ImportProblem) as caught:
        read_table(hostile.xxe(), "list.xlsx")
    assert caught.value.code == "unsafe_xml" and "root:" not in str(caught.value.detail)


def test_a_list_at_the_limits_is_read_and_one_past_them_is_not():
    wide = [[f"列{n}" for n in range(limits.MAX_COLUMNS)], ["张国强"] + ["x"] * (limits.MAX_COLUMNS - 1)]
    assert len(read_table(xlsx(wide), "wide.xlsx").headers) == limits.MAX_COLUMNS
    assert refused(xlsx([row + ["one more"] for row in wide]))[0] == "too_many_columns"
    assert read_table(hostile.far_cell(f"A{limits.MAX_LINE}"), "far.xlsx").rows[0].cells == ["张国强", "2-1-301"]
    assert refused(hostile.far_cell(f"A{limits.MAX_LINE + 1}"))[0] == "too_many_rows"


def test_a_merged_range_over_the_whole_sheet_counts_every_cell_it_fills():
    rows = hostile._inline_rows([["姓名", "住址"]] + [[f"张国强{n}"] for n in range(20_000)])

    def merged(reference: str) -> bytes:
        merge = f'<mergeCells count="1"><mergeCell ref="{reference}"/></mergeCells>'.encode()
        return hostile.with_part(hostile.SHEET, [hostile.HEAD, rows, b"</sheetData>", merge, b"</worksheet>"])

    assert read_table(merged("B2:B9"), "merged.xlsx").rows[7].cells == ["张国强7", ""]
    assert read_table(merged("A2:B9"), "merged.xlsx").rows[7].cells == ["张国强0", "张国强0"]
    assert refused(merged("A2:CV20001"))[0] == "too_much_text"  # 2 million cells filled


def test_shared_strings_read_as_excel_writes_them():
    """Excel and WPS keep text in a shared table (openpyxl writes none): rich runs joined, pronunciations left out."""
    strings = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><t>\xe5\xa7\x93\xe5\x90\x8d</t></si><si><t>\xe4\xbd\x8f\xe5\x9d\x80</t></si>"  # 姓名, 住址
        b"<si><r><t>\xe5\xbc\xa0</t></r><r><rPr><b/></rPr><t>\xe5\x9b\xbd\xe5\xbc\xba</t></r>"  # 张 + 国强 in bold
        b"<rPh><t>zhang</t></rPh></si><si><t>2-1-301</t></si></sst>"
    )
    sheet = (
        hostile.HEAD + b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        b'<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>' + hostile.TAIL
    )
    data = hostile.with_part(hostile.SHEET, [sheet], hostile.with_strings([strings]))
    table = read_table(data, "excel.xlsx")
    assert table.headers == ["姓名", "住址"] and table.rows[0].cells == ["张国强", "2-1-301"]
    broken = hostile.with_part(
        hostile.SHEET, [sheet.replace(b"<v>3</v>", b"<v>99</v>")], hostile.with_strings([strings])
    )
    assert refused(broken)[0] == "not_a_spreadsheet"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"a,b\n" * (limits.MAX_LINE + 1), "too_many_rows"),
        (b"a,b\n" + b"," * (10 * MB) + b"x\n", "too_many_columns"),  # ten million cells on one line
        (",".join(["x"] * (limits.MAX_COLUMNS + 1)).encode() + b"\n", "too_many_columns"),
        ("姓名,住址\n".encode() + b"a,b\n" * 5000 + b"c,\x00\n", "not_a_spreadsheet"),  # a NUL past the first 4 KB
        ((",".join(["x"] * 100) + "\n").encode() * (limits.MAX_CELLS // 100 + 1), "too_much_text"),
    ],
    ids=["rows", "a line of commas", "columns", "nul", "cells"],
)
def test_a_hostile_csv_is_refused_as_it_streams(data, code):
    assert len(data) < limits.MAX_BYTES
    found, peak = refused(data, "list.csv")
    assert found == code
    assert peak < 3 * len(data) / MB + 60, f"{peak:.0f} MB"  # the decoded text, and rows up to the limit


def test_a_sheet_the_workbook_lists_many_times_is_read_once(monkeypatch):
    """The stranger's mk_sheets.py: 5 KB listing one sheet of 4 MiB of empty cells 20 times took 17 s of CPU."""
    opened: list[str] = []
    original = zipfile.ZipFile.open

    def counting(archive, name, *args, **kwargs):
        opened.append(name if isinstance(name, str) else name.filename)
        return original(archive, name, *args, **kwargs)

    data = hostile.sheet_listed(20, 1)
    monkeypatch.setattr(zipfile.ZipFile, "open", counting)
    monkeypatch.setattr(xlsx_reader, "MAX_RATIO", 10**9)  # behind the check of packing
    assert refused(data)[0] == "empty"
    assert opened.count(hostile.SHEET) == 1


def test_the_elements_of_all_parts_together_are_counted(monkeypatch):
    """Elements no sheet has cost as much to look at as cells: within a budget for the whole file."""
    monkeypatch.setattr(xlsx_reader, "MAX_ELEMENTS", 1_000)
    assert read_table(hostile.workbook(), "list.xlsx").rows  # an ordinary workbook's parts: ~100 elements
    assert refused(hostile.junk_elements(1_000))[0] == "too_much_work"
