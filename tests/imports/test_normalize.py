"""The keys real lists get wrong, normalised."""

from __future__ import annotations

import pytest

from server.imports.normalize import (
    date_parts,
    door_from_parts,
    door_key,
    id_key,
    id_matches,
    name_key,
    phone_key,
    phone_matches,
)


@pytest.mark.parametrize(
    "written",
    [
        "2-1-301",
        "2号楼1单元301",
        "２栋１单元３０１室",
        "铁北社区2号楼1单元301室",
        "2 幢 1 单元 301",
        "2号楼1单元3层301",
        "2－1－301",
        "2/1/301",
    ],
)
def test_doors_written_many_ways(written):
    assert door_key(written) == "2-1-301"


def test_not_a_whole_door():
    assert door_key("2号楼") is None
    assert door_key("") is None
    assert door_from_parts("2号楼", "1单元", "301室") == "2-1-301"
    assert door_from_parts("２", "１", "３０１") == "2-1-301"
    assert door_from_parts("", "", "2-1-301") == "2-1-301"


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("138****5678", "138*5678"),
        ("138xxxx5678", "138*5678"),
        ("无", ""),
        ("123", ""),
    ],
)
def test_phones(written, key):
    assert phone_key(written) == key


def test_a_masked_phone_matches_by_its_ends():
    assert phone_matches("138*5678", "13812345678")
    assert not phone_matches("138*5679", "13812345678")
    assert not phone_matches("13812345678", "13812345679")
    assert not phone_matches("13812345678", None)


def test_id_numbers_whole_masked_or_by_their_last_characters():
    whole = "14010919490625001X"
    assert id_key("14010919490625001x") == whole
    assert id_key("140109********001X") == "140109*001X"
    assert id_matches(id_key("140109********001X"), whole)
    assert id_matches(id_key("001x"), whole)
    assert id_matches(id_key("25001X"), whole)
    assert not id_matches(id_key("25001Y"), whole)  # Y is no ID character: unreadable, never a match
    assert not id_matches(id_key("0019"), whole)
    assert id_key("12") == ""


def test_names_ignore_spaces_and_width():
    assert name_key(" 张 国强 ") == "张国强"
    assert name_key("张　国强") == "张国强"
    assert name_key("赵\u200b爱\u200d华") == name_key("赵爱华")  # joiners nobody sees do not make another name


@pytest.mark.parametrize(
    ("written", "parts"),
    [
        ("1948-03-12", (1948, 3, 12)),
        ("1948/3/12", (1948, 3, 12)),
        ("1948.3.12", (1948, 3, 12)),
        ("1948年3月12日", (1948, 3, 12)),
        ("１９４８－０３－１２", (1948, 3, 12)),
        ("19480312", (1948, 3, 12)),
        ("1948-03-12 00:00:00", (1948, 3, 12)),  # an Excel date cell
        ("1948-02-30", (1948, 2, 30)),  # written as a date; whether the day exists is the caller's to say
        ("1948.03", (1948, 3, None)),  # 出生年月
        ("1948年3月", (1948, 3, None)),
        ("1948", None),
        ("12/3/1948", None),
        ("八十岁", None),
    ],
)
def test_dates_as_registers_write_them(written, parts):
    assert date_parts(written) == parts


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("0086 138 1234 5678", "13812345678"),
        ("86-138-1234-5678", "13812345678"),
        ("+86 138****5678", "138*5678"),
        ("138 **** 5678", "138*5678"),
        ("138****567", ""),  # too few digits to compare
        ("+86", ""),
        ("0086", ""),
        ("(0351) 1234567", "03511234567"),
    ],
)
def test_phones_written_plainly_and_otherwise_by_one_rule(written, key):
    assert phone_key(written) == key


@pytest.mark.parametrize(
    ("written", "key"),
    [("02-01-0301", "2-1-301"), ("0-0-0", "0-0-0"), ("٢-١-٣٠١", "2-1-301"), ("3号楼2单元5层502", "3-2-502")],
)
def test_doors_lose_leading_zeros_and_read_any_digits(written, key):
    assert door_key(written) == key


def test_id_numbers_written_plainly():
    assert id_key("250019") == "250019"
    assert id_key("019") == ""
    assert id_key(140109194906250019) == "140109194906250019"  # an Excel number cell
