"""The matching rules (docs/decisions/0006-reconcile-matching.md), on a register made here."""

from __future__ import annotations

from datetime import date

from server.imports.matching import (
    AMBIGUOUS,
    INCOMPLETE,
    MATCHED,
    REPEATED,
    UNKNOWN,
    Listed,
    Registered,
    match_rows,
)

REGISTER = [
    Registered("王芳", "2-1-301", 2, "13800000301", "140109198001010021"),  # 0
    Registered("王芳", "2-2-502", 2, "13900000502", "140109199002020042"),  # 1: same name, same building
    Registered("张国强", "2-1-301", 2, "13812345678", "140109194906250019"),  # 2
    Registered("李秀英", "2-1-301", 2, None, "140109195110080026"),  # 3
    Registered("刘洋", "3-1-101", 3, None, None),  # 4
    Registered("刘洋", "3-1-101", 3, None, "140109201001010011"),  # 5: two of one name at one door
]


def one(**row) -> tuple:
    result = match_rows(REGISTER, [Listed(line=2, **row)])[0]
    return result.status, result.resident, result.candidates, result.reason


def test_name_and_door_match():
    assert one(name="张国强", door="2-1-301") == (MATCHED, 2, (), "")


def test_two_of_a_name_in_one_building_are_never_guessed():
    assert one(name="王芳", building=2) == (AMBIGUOUS, None, (0, 1), "same_name")
    assert one(name="王芳") == (AMBIGUOUS, None, (0, 1), "same_name")


def test_a_door_phone_or_id_singles_one_out():
    assert one(name="王芳", door="2-2-502")[:2] == (MATCHED, 1)
    assert one(name="王芳", phone="139*0502")[:2] == (MATCHED, 1)
    assert one(name="王芳", id_number="0021")[:2] == (MATCHED, 0)
    assert one(name="王芳", id_number="010021")[:2] == (MATCHED, 0)


def test_details_that_disagree_go_to_a_person():
    assert one(name="张国强", door="2-1-301", phone="13800000000")[0] == AMBIGUOUS
    assert one(name="张国强", door="2-1-301", id_number="9999")[3] == "details_differ"
    assert one(name="李秀英", door="2-1-301", phone="13800000000")[0] == MATCHED  # no phone registered: no conflict
    # Only the last 4 or 6 characters stand for an ID number; 5 of them are no ID number of this person's.
    assert one(name="张国强", door="2-1-301", id_number="50019")[3] == "details_differ"
    assert one(name="张国强", door="2-1-301", id_number="250019", phone="138*5678")[:2] == (MATCHED, 2)


def test_a_name_at_another_door():
    assert one(name="张国强", door="3-1-101") == (AMBIGUOUS, None, (2,), "door_differs")
    assert one(name="张国强", door="3-1-101", phone="13812345678")[:2] == (MATCHED, 2)  # the phone confirms him


def test_two_of_a_name_at_one_door():
    assert one(name="刘洋", door="3-1-101")[0] == AMBIGUOUS
    assert one(name="刘洋", door="3-1-101", id_number="0011")[:2] == (MATCHED, 5)


def test_unknown_incomplete_and_repeated():
    assert one(name="赵新来", door="2-1-301")[0] == UNKNOWN
    assert one(name="王芳", building=5)[0] == UNKNOWN
    assert one(name="")[0] == INCOMPLETE
    assert one(name="", phone="13812345678")[:2] == (MATCHED, 2)  # a list of phone numbers only
    results = match_rows(
        REGISTER, [Listed(2, "张国强", "2-1-301"), Listed(3, "张国强", "2-1-301", phone="13812345678")]
    )
    assert [(r.status, r.reason) for r in results] == [(MATCHED, ""), (REPEATED, "2")]


# Two of a name, told apart only by what the register knows of their sex and birth date.
TWINS = [
    Registered("王芳", "2-1-301", 2, None, None, "F", date(1950, 3, 1)),  # 0
    Registered("王芳", "2-2-502", 2, None, None, "F", date(1990, 2, 2)),  # 1
    Registered("刘洋", "3-1-101", 3, None, None, "M", date(1958, 5, 5)),  # 2: father and son of one name, one door
    Registered("刘洋", "3-1-101", 3, None, None, "M", date(1985, 1, 1)),  # 3
    Registered("李强", "4-1-101", 4, "13900000101", None, "M", None),  # 4: birth date not registered
    Registered("李强", "4-2-101", 4, None, None, "F", date(1950, 1, 1)),  # 5
]


def told(**row) -> tuple:
    result = match_rows(TWINS, [Listed(line=2, **row)])[0]
    return result.status, result.resident


def test_a_birth_date_the_list_gives_settles_two_of_a_name():
    assert told(name="王芳", building=2, birth=(1990, 2, 2)) == (MATCHED, 1)
    assert told(name="王芳", birth=(1950, 3, None)) == (MATCHED, 0)  # 出生年月: year and month
    assert told(name="刘洋", door="3-1-101", birth=(1985, 1, 1)) == (MATCHED, 3)


def test_sex_and_birth_date_never_guess():
    assert told(name="王芳", building=2, sex="F") == (AMBIGUOUS, None)  # both are women
    assert told(name="王芳", building=2, birth=(1970, 1, 1)) == (AMBIGUOUS, None)  # neither was born then
    assert told(name="王芳", building=2, sex="M", birth=(1990, 2, 2)) == (AMBIGUOUS, None)  # one agrees, one not
    assert told(name="王芳", building=2, birth=(1990, 2, 31)) == (AMBIGUOUS, None)  # no such day
    # The register has no birth date for one 李强: the other's cannot single him out by it ...
    assert told(name="李强", building=4, birth=(1950, 1, 1)) == (AMBIGUOUS, None)
    # ... but the sex it has for both can; and a phone that disagrees is never overruled.
    assert told(name="李强", building=4, sex="M") == (MATCHED, 4)
    assert told(name="李强", building=4, sex="M", phone="13900000999") == (AMBIGUOUS, None)


def test_two_rows_of_one_name_are_one_person_only_when_something_besides_the_name_says_so():
    """Issue 16: a list of names only merged two people of one name as one person listed twice."""

    def two(first: dict, later: dict) -> tuple:
        results = match_rows(REGISTER, [Listed(2, "张国强", **first), Listed(3, "张国强", **later)])
        return results[0].status, results[1].status, results[1].reason

    # Nothing but the name: the second row is for a person to decide, not merged.
    assert two({}, {}) == (MATCHED, AMBIGUOUS, "same_name_rows")
    # A door, a phone, an ID number or a birth date both give and share: one person, listed twice.
    assert two({"door": "2-1-301"}, {"door": "2-1-301", "phone": "13812345678"}) == (MATCHED, REPEATED, "2")
    assert two({"phone": "13812345678"}, {"phone": "138*5678"})[1] == REPEATED
    assert two({"id_number": "0019"}, {"id_number": "140109194906250019"})[1] == REPEATED
    assert two({"birth": (1949, 6, 25)}, {"birth": (1949, 6, None)})[1] == REPEATED
    # Something they both give differs: two people, whatever else they share.
    assert two({"birth": (1949, 6, 25), "sex": "M"}, {"birth": (1949, 6, 25), "sex": "F"})[1] == AMBIGUOUS
    assert two({"door": "2-1-301", "birth": (1949, 6, 25)}, {"door": "2-1-301", "birth": (1985, 1, 1)})[1] == (
        AMBIGUOUS
    )
