"""The words registers use, read cell by cell, with the profile form's own rules."""

from __future__ import annotations

from datetime import date

import pytest

from server.register import import_rows

TODAY = date(2022, 11, 24)


@pytest.mark.parametrize(
    ("value", "header", "code"),
    [
        ("独居", "居住情况", "alone"),
        ("空巢", "居住情况", "spouse"),
        ("与老伴同住", "居住情况", "spouse"),
        ("与儿子同住", "居住情况", "family"),
        ("是", "是否独居", "alone"),
        ("√", "空巢", "spouse"),
        ("否", "是否独居", None),  # not alone says no more: what is registered stays
        ("非独居", "居住情况", None),
    ],
)
def test_living_situation(value, header, code):
    assert import_rows.living_of(value, header) == code


@pytest.mark.parametrize(
    ("value", "header", "code"),
    [
        ("良好", "行动能力", "good"),
        ("行动自如", "行动能力", "good"),  # the word the refusal itself asks for (refused on main: issue 16's stranger)
        ("能自理", "自理能力", "good"),
        ("半自理", "自理能力", "limited"),
        ("拄拐", "行动情况", "limited"),
        ("不能自理", "自理能力", "bedridden"),
        ("卧床", "行动能力", "bedridden"),
        ("是", "行动不便", "limited"),
        ("否", "能否自理", "limited"),
    ],
)
def test_walking(value, header, code):
    assert import_rows.mobility_of(value, header) == code


@pytest.mark.parametrize("value", ["看情况", "是"])
def test_words_not_understood_are_not_guessed(value):
    with pytest.raises(import_rows.Unreadable):
        import_rows.living_of(value, "居住情况")


def problems(**values) -> list[tuple[str, str]]:
    return import_rows.read_row(values, {}, date(1948, 3, 12), TODAY)[3]


def test_a_row_is_held_to_the_profile_forms_rules():
    assert problems(birth_date="1948-02-30") == [("impossible_birth", "1948-02-30")]
    assert problems(birth_date="2090-01-01") == [("impossible_birth", "birth_date")]
    assert problems(birth_date="八十岁") == [("bad_date", "八十岁")]
    assert problems(birth_date="1948.03") == []  # the registered date is in that month
    assert problems(birth_date="1950.03") == [("birth_partial", "1950.03")]
    assert problems(contact1_name="侯建军", contact1_relation="儿子") == [("contact_unreachable", "1")]
    assert problems(contact2_name="侯建军", contact2_phone="139abc01111") == [("bad_phone", "2")]
    assert problems(contact1_phone="13900001111") == [("contact_name", "1")]
    # A contact's name is a person's name: combining marks alone are none, a filler inside is a space (issue 15).
    assert problems(contact1_name="\u0301\u0301", contact1_phone="13900001111") == [("contact_name", "1")]
    assert (
        import_rows.read_row(
            {"contact1_name": "侯\u3164建军", "contact1_phone": "13900001111"}, {}, date(1948, 3, 12), TODAY
        )[2][0]["name"]
        == "侯 建军"
    )
    assert problems(interests="下" * 201) == [("too_long", "interests")]
    given, birth, contacts, found = import_rows.read_row(
        {
            "birth_date": "1948年3月2日",
            "living": "独居",
            "contact1_name": "侯建军",
            "contact1_phone": "+86 139 0000 1111",
        },
        {"living": "居住情况"},
        None,
        TODAY,
    )
    assert (given, birth, found) == ({"living": "alone"}, date(1948, 3, 2), [])
    assert contacts == [{"name": "侯建军", "relation": "", "phone": "13900001111", "lives": ""}]


def test_contacts_are_added_or_updated_never_deleted():
    there = [{"name": "侯建军", "relation": "儿子", "phone": "13900001111", "lives": "北京"}]
    merged = import_rows.merge_contacts(
        there,
        [
            {"name": "侯 建军", "relation": "", "phone": "13900002222", "lives": ""},
            {"name": "王芳", "relation": "邻居", "phone": "13900003333", "lives": ""},
        ],
    )
    assert [(c["name"], c["relation"], c["phone"], c["lives"]) for c in merged] == [
        ("侯建军", "儿子", "13900002222", "北京"),
        ("王芳", "邻居", "13900003333", ""),
    ]
    assert import_rows.same_contacts(there, there) and not import_rows.same_contacts(there, merged)


def test_a_masked_number_stands_for_the_person_s_contact_whose_number_masks_so():
    """As on the edit form (decision 0023): the register's own export writes contacts' numbers masked."""
    import uuid

    son, niece = uuid.uuid4(), uuid.uuid4()
    known = [
        {"id": son, "name": "侯建军", "relation": "儿子", "phone": "13900001111", "lives": ""},
        {"id": niece, "name": "王芳", "relation": "侄女", "phone": "13700002222", "lives": ""},
    ]
    row = {"contact1_name": "侯建军", "contact1_phone": "139****1111", "contact2_name": "王 芳", "contact2_phone": ""}
    _, _, contacts, found = import_rows.read_row(row, {}, None, TODAY, known)
    assert found == []  # 王芳 is hers: a blank number keeps hers, as any blank cell changes nothing
    assert contacts[0] == {"id": son, "name": "侯建军", "relation": "", "phone": "13900001111", "lives": ""}
    assert contacts[1]["id"] == niece and contacts[1]["phone"] == "13700002222"
    _, _, _, found = import_rows.read_row({"contact1_name": "陈小兵", "contact1_phone": ""}, {}, None, TODAY, known)
    assert found == [("contact_unreachable", "1")]  # a new contact still needs a number
    # A masked number is only ever the number of the contact of the name the row gives: 王芳's number under
    # another name is a problem in words, never 王芳's number moved to someone else (issue 16, stranger 8b).
    _, _, _, found = import_rows.read_row(
        {"contact1_name": "王小芳", "contact1_phone": "137＊＊＊＊2222"}, {}, None, TODAY, known
    )
    assert found == [("masked_other", "1", "137****2222\t王芳\t王小芳")]
    _, _, _, found = import_rows.read_row(
        {"contact1_name": "侯建军", "contact1_phone": "137****2222", "contact2_name": "王芳", "contact2_phone": ""},
        {},
        None,
        TODAY,
        known,
    )
    assert found == [("masked_other", "1", "137****2222\t王芳\t侯建军")]
    # A masked number none of them has: the hidden digits cannot be known.
    _, _, _, found = import_rows.read_row(
        {"contact1_name": "侯建军", "contact1_phone": "139****0000"}, {}, None, TODAY, known
    )
    assert found == [("masked_unknown", "1", "139****0000")]


def test_a_phone_is_a_number_that_can_be_dialled():
    """The form's rule and the import's: a mobile of 11 digits from 1, or a landline with its area code; "139 0681"
    was saved as a relative's number and dialled in vain (issue 16, stranger 8b)."""
    from server.register.services import clean_phone

    for good, digits in (
        ("139 0000 1111", "13900001111"),
        ("+86 139-0000-1111", "13900001111"),
        ("0086 13900001111", "13900001111"),
        ("０３５１－７６５４３２１", "03517654321"),
        ("(010) 8765 4321", "01087654321"),
    ):
        assert clean_phone(good) == digits, good
    for bad in ("139 0681", "12", "1390000111", "139000011112", "23900001111", "7654321", "87654321", "035176"):
        assert clean_phone(bad) is None, bad
