"""A preview's draft comes back whole, or is refused like a bad file."""

from __future__ import annotations

import base64
import zlib

import msgspec
import pytest

from server.imports import draft as drafts
from server.imports.reader import MAX_ROWS, ImportProblem, read_table


def test_a_draft_round_trips_and_keeps_only_the_file_name():
    table = read_table("姓名,住址\n张国强,2-1-301\n张国强,2-1-301\n".encode(), "list.csv")
    draft = drafts.draft_of(table, "C:\\Users\\grid\\Desktop\\11月24日名单.csv")
    assert draft.filename == "11月24日名单.csv"
    assert drafts.decode(drafts.encode(draft)) == draft
    assert (draft.lines, draft.columns, draft.duplicates) == ([2], [["张国强"], ["2-1-301"]], [(3, 2)])
    assert draft.row_count == 2


@pytest.mark.parametrize(
    "token",
    ["", "not a draft", drafts.pack(b"[1,2]"), drafts.pack(b"[" * 100_000 + b"]" * 100_000), "é." + "x" * 43],
    ids=["empty", "text", "not a draft", "nested 100,000 deep", "not base64"],
)
def test_a_damaged_draft_is_refused(token):
    with pytest.raises(ImportProblem) as caught:
        drafts.decode(token)
    assert caught.value.code == "draft_damaged"


def _token(**draft) -> str:
    return drafts.pack(msgspec.json.encode({"filename": "x", "headers": ["姓名"], "header_line": 1, **draft}))


def test_a_draft_the_server_did_not_sign_is_refused_before_it_is_unpacked():
    """An 85 KB draft of nine million two-letter cells unpacked to 689 MB of lists before it was refused."""
    made = drafts.encode(drafts.draft_of(read_table("姓名,住址\n张国强,2-1-301\n".encode(), "list.csv"), "l.csv"))
    packed, _, signature = made.rpartition(".")
    raw = b'{"filename":"x","headers":["a"],"header_line":1,"lines":[],"columns":[[' + b'"ab",' * 9_000_000 + b'""]]}'
    unsigned = base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode()
    for forged in (packed, unsigned, f"{unsigned}.{signature}", f"{packed}x.{signature}"):
        with pytest.raises(ImportProblem) as caught:
            drafts.decode(forged)
        assert caught.value.code == "draft_damaged"


def test_a_draft_made_by_hand_has_the_limits_of_a_file():
    lines = list(range(2, MAX_ROWS + 3))
    with pytest.raises(ImportProblem) as caught:
        drafts.decode(_token(lines=lines, columns=[["x"] * len(lines)]))
    assert caught.value.code == "too_many_rows"
    with pytest.raises(ImportProblem) as caught:
        drafts.decode(drafts.pack(b" " * (drafts.MAX_DRAFT + 1)))  # a signed draft never unpacks past the limit
    assert caught.value.code == "draft_damaged"


@pytest.mark.parametrize(
    "draft",
    [
        {"lines": [2, 3], "columns": [["张国强"]]},  # a column shorter than the rows
        {"lines": [2], "columns": [["张国强"], ["2-1-301"]]},  # more columns than headers
        {"lines": [2], "columns": []},
    ],
)
def test_a_draft_whose_columns_do_not_fit_its_rows_is_refused(draft):
    assert drafts.decode(_token(lines=[2], columns=[["张国强"]])).columns == [["张国强"]]
    with pytest.raises(ImportProblem) as caught:
        drafts.decode(_token(**draft))
    assert caught.value.code == "draft_damaged"


def test_rows_read_together_are_read_as_each_alone():
    """read_rows (the fast path a 100,000-row list takes) gives for each row what it gives for that row alone."""
    mapping = {0: "name", 1: "sex", 2: "id_number", 3: "phone", 4: "building", 5: "unit", 6: "room", 7: "address"}
    cells = [
        ["张 国强", "男", "140109********0019", "+86 138 1234 5678", "２", "1单元", "301室", ""],
        ["李秀英", "女", "0026", "138****5678", "", "", "", "2号楼1单元3层301"],
        ["张国强", "", "12", "无", "2", "", "", ""],  # unreadable ID and phone; a building without a door
        ["", "", "", "", "", "", "", "北京路"],  # nothing to match by, and no door in the address
        ["王芳", "", "", "", "", "", "", ""],
        ["王芳", "", "", "", "", "", "", "2号楼"],  # the building alone: no door, nothing unreadable
        ["王芳", "F", "", "13800000301", "2", "", "", "2-2-502"],
    ]
    lines = list(range(2, 2 + len(cells)))
    together = drafts.read_rows(lines, [list(column) for column in zip(*cells, strict=True)], mapping)
    assert together == [
        drafts.read_rows([line], [[cell] for cell in row], mapping)[0] for line, row in zip(lines, cells, strict=True)
    ]
    assert [(f.name, f.door, f.building, f.phone, f.id_number) for f in together[:2]] == [
        ("张国强", "2-1-301", 2, "13812345678", "140109*0019"),
        ("李秀英", "2-1-301", 2, "138*5678", "0026"),
    ]
    assert [f.problems for f in together] == [
        (),
        (),
        ("phone_unreadable", "id_unreadable"),
        ("door_unreadable", "cannot_identify"),
        (),
        (),
        (),
    ]
    assert (together[5].door, together[5].building) == (None, 2)
    assert together[0].key == "张国强 2-1-301" and together[4].key is None
