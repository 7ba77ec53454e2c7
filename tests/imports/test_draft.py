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
    assert [row.duplicate_of for row in draft.rows] == [None, 2]


@pytest.mark.parametrize("token", ["", "not a draft", base64.urlsafe_b64encode(zlib.compress(b"[1,2]")).decode()])
def test_a_damaged_draft_is_refused(token):
    with pytest.raises(ImportProblem) as caught:
        drafts.decode(token)
    assert caught.value.code == "draft_damaged"


def test_a_draft_made_by_hand_has_the_limits_of_a_file():
    rows = [[n + 2, ["x"]] for n in range(MAX_ROWS + 1)]
    raw = msgspec.json.encode({"filename": "x", "headers": ["姓名"], "header_line": 1, "rows": rows})
    with pytest.raises(ImportProblem) as caught:
        drafts.decode(base64.urlsafe_b64encode(zlib.compress(raw)).decode())
    assert caught.value.code == "too_many_rows"
    bomb = base64.urlsafe_b64encode(zlib.compress(b" " * (60 * 1024 * 1024))).decode()
    with pytest.raises(ImportProblem) as caught:
        drafts.decode(bomb)
    assert caught.value.code == "too_large"
