"""A community's own list of its people (户籍 / 人口台账, .xlsx or .csv, one row a person), read row by row into
people with a door and a grid, strictly: what could be read two ways is a problem for the person loading it, never a
guess (decision 0012). Knows nothing of the database; loading.py writes what this reads.

Reading the file, its headers and its spellings of doors, phones and dates are the reconciliation's (server.imports).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from server.imports import columns, limits, normalize, reader
from server.imports.normalize import text
from server.text import has_letter

# The grid and the living status have no place in the lists people are reconciled against: read here only, by
# their exact headers (a "网格员电话" column is not the grid).
_EXTRA = {
    **dict.fromkeys(["网格", "所属网格", "所在网格", "网格号", "网格编号", "网格名称", "grid"], "grid"),
    **dict.fromkeys(["状态", "居住状态", "人员状态", "在住状态", "status"], "status"),
}
_WANTED = set(columns.FIELDS) | {"grid", "status"}
# Columns about someone or somewhere else, never the person's own: 户主姓名, 网格员电话, 户籍地址, 户号 (a number of
# the household's registration, not its room), 联系人, 监护人. "与户主关系" is the person's own, by its exact name.
_NOT_THEIRS = ("户主", "网格员", "联系人", "监护人", "紧急", "亲属", "户籍", "户号", "编号")
_RELATIONS = {
    "head": ("户主", "本人"),
    "spouse": ("配偶", "妻", "妻子", "夫", "丈夫", "老伴", "爱人"),
    "child": ("子", "女", "儿子", "女儿", "长子", "次子", "三子", "长女", "次女", "三女", "独生子", "独生女")
    + ("养子", "养女", "继子", "继女", "儿媳", "女婿", "媳妇"),
    "parent": ("父亲", "母亲", "父", "母", "岳父", "岳母", "公公", "婆婆"),
    "grandchild": ("孙子", "孙女", "外孙", "外孙子", "外孙女"),
    "sibling": ("兄", "弟", "姐", "妹", "哥哥", "弟弟", "姐姐", "妹妹"),
}
_RELATION_OF = {word: kind for kind, words in _RELATIONS.items() for word in (*words, kind)}
_STATUS_WORDS = {
    "living": ("在住", "常住", "居住", "现住", "在家", "正常", "living"),
    "away": ("外出", "不在", "外地", "暂离", "人户分离", "户在人不在", "away"),
    "moved_out": ("迁出", "已迁出", "搬走", "已搬走", "moved_out"),
    "deceased": ("已故", "死亡", "去世", "过世", "病故"),
}
_STATUS_OF = {word: kind for kind, words in _STATUS_WORDS.items() for word in words}
_NO_PHONE = {"无", "没有", "暂无", "-", "/", "——", "none"}
_CHINESE_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}
_GRID = re.compile(r"\d+|[零一二三四五六七八九十]+")
# "铁北社区2号楼1单元301室", "2栋1单元301", "2-1-301": building, unit and room, and nothing after the room (301-1,
# 301、302 and "301室2022年入住" are not one door). The words before may name the community, not a phase or a zone.
_DOOR = re.compile(r"(\d{1,4})(?:号楼|号|栋|幢|座|-)(\d{1,2})(?:单元|-)(\d{1,6})(?:室|号|户)?")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
MAX_NAME = 32


@dataclass(slots=True)
class Problem:
    line: int
    code: str  # see PROBLEMS
    detail: str = ""


# What each problem means, for whoever loads the list (the command line prints these).
PROBLEMS = {
    "no_name": "no name",
    "no_door": "no door that reads as building, unit and room (2号楼1单元301室, 2-1-301)",
    "no_grid": "no grid number (2, 第二网格)",
    "grid_conflict": "the building is in two grids",
    "building_in_other_grid": "the building is already in another grid (a building changes grid in the app)",
    "bad_phone": "a phone number that is not one",
    "bad_birth_date": "a birth date that cannot be",
    "bad_id_number": "an ID number whose check digit is wrong (an ID typed as a number in Excel loses its end)",
    "unknown_status": "a status that is not living, away (外出), moved out (迁出) or deceased (已故)",
    "duplicate_person": "the same person at the same door twice",
    "duplicate_id": "the same ID number on two people",
}


@dataclass(slots=True)
class Loaded:
    """What a load found and did (dry run: would do). Nothing is written while `problems` is not empty."""

    community_id: uuid.UUID | None = None
    rows: int = 0
    added: dict[str, int] = field(default_factory=dict)  # table -> rows added
    residents_known: int = 0  # already there (same name at the door, or same ID number): left as they are
    deceased: int = 0  # rows of people who died: not loaded
    masked_phones: int = 0  # 138****5678: not kept
    problems: list[Problem] = field(default_factory=list)


@dataclass(slots=True)
class _Person:
    line: int
    grid: int
    building: int
    unit: int
    room: str
    floor: int
    name: str
    sex: str
    birth_date: date | None
    phone: str | None
    id_number: str | None
    relation: str | None  # None: the list does not say (the first at a door is then the head)
    status: str


class LoadError(Exception):
    """The file as a whole is unusable (unreadable, or no column for names, doors or grids), or where it goes is."""


def grid_number(value: object) -> int | None:
    """ "2", "第2网格", "第二网格", "十二网格" -> the grid's number (1 to 999)."""
    found = _GRID.findall(text(value))
    if len(found) != 1:
        return None
    written = found[0]
    if written.isdigit():
        number = int(written)
    elif "十" not in written:
        number = _CHINESE_DIGITS[written] if len(written) == 1 else 0
    else:
        tens, _, ones = written.rpartition("十")
        if len(tens) > 1 or len(ones) > 1:
            return None
        number = (_CHINESE_DIGITS[tens] if tens else 1) * 10 + (_CHINESE_DIGITS[ones] if ones else 0)
    return number if 1 <= number <= 999 else None


def grid_name(number: int) -> str:
    """第二网格, as grids are called (第120网格 past 99)."""
    digits = "零一二三四五六七八九"
    if number >= 100:
        return f"第{number}网格"
    if number < 10:
        written = digits[number]
    else:
        tens, ones = divmod(number, 10)
        written = ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")
    return f"第{written}网格"


def door_of(address: str = "", building: str = "", unit: str = "", room: str = "") -> tuple[int, int, int] | None:
    """Building, unit and room, read strictly: a door that could be read two ways is not read at all."""
    if room:
        numbers = [_single_number(cell) for cell in (building, unit, room)]
        if None in numbers or numbers[0] > 9999 or numbers[1] > 99 or numbers[2] > 999999:
            return None
        return numbers[0], numbers[1], numbers[2]
    cleaned = "".join(text(address).split())
    found = _DOOR.search(cleaned)
    if found is None or cleaned[found.end() :]:
        return None
    before = cleaned[: found.start()]
    if any(ch.isdigit() for ch in before) or before[-1:].isascii() and before[-1:].isalpha():
        return None  # A2-1-301, 2期: a letter or a number that tells buildings apart
    if before.endswith("期") or (before.endswith("区") and not before.endswith(("社区", "小区"))):
        return None  # 一期2号楼, 东区2号楼: two buildings called 2号楼
    return int(found[1]), int(found[2]), int(found[3])


def _single_number(cell: str) -> int | None:
    found = re.findall(r"\d+", text(cell))
    return int(found[0]) if len(found) == 1 else None


def _mapping(headers: list[str]) -> dict[int, str]:
    """Column -> field. A header that is exactly a field's name beats one that only contains it (姓名 beats 户主姓名,
    联系电话 beats 网格员电话), and a column about someone or somewhere else is nobody's."""
    exact: dict[str, int] = {}
    loose: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = columns.header_key(header)
        field_name = _EXTRA.get(key) or columns.ALIASES.get(key)
        if field_name != "relation" and key not in _EXTRA and any(word in key for word in _NOT_THEIRS):
            continue
        if field_name in _WANTED:
            exact.setdefault(field_name, index)
            continue
        field_name = columns.field_of(header)
        if field_name in _WANTED:
            loose.setdefault(field_name, index)
    chosen = {**loose, **exact}
    return {index: name for name, index in chosen.items()}


def _id_number(value: str) -> tuple[str | None, bool]:
    """A whole ID number (15 or 18 characters, the check digit right), or None; and whether it was wrong."""
    cleaned = normalize.id_key(value)
    if not cleaned or "*" in cleaned:
        return None, False  # none, or masked: nothing to keep
    if len(cleaned) == 15 and cleaned.isdigit():
        return cleaned, False
    if len(cleaned) != 18 or not cleaned[:17].isdigit():
        return None, True
    check = "10X98765432"[sum(int(d) * w for d, w in zip(cleaned[:17], _ID_WEIGHTS, strict=True)) % 11]
    return (cleaned, False) if cleaned[17] == check else (None, True)


def _birth(written: str, id_number: str | None) -> date | None | str:
    """The birth date written, else the one in the ID number; "" when written but impossible."""
    parts = normalize.date_parts(written) if written else None
    if parts is None:
        if written:
            return ""
        if id_number and len(id_number) == 18:
            parts = (int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
        elif id_number:
            parts = (1900 + int(id_number[6:8]), int(id_number[8:10]), int(id_number[10:12]))
        else:
            return None
    year, month, day = parts
    try:
        return date(year, month, day or 1)
    except ValueError:
        return ""


def _phone(written: str) -> tuple[str | None, str]:
    """The first number of a cell (some hold two), or None; and what was wrong: "", "bad" or "masked"."""
    cleaned = text(written)
    if not cleaned or cleaned.lower() in _NO_PHONE:
        return None, ""
    first = re.split(r"[/,，、;；]", cleaned)[0]
    phone = normalize.phone_key(first)
    if "*" in phone:
        return None, "masked"
    if not (phone.isdigit() and 7 <= len(phone) <= 12):
        return None, "bad"
    return phone, ""


def _sex(written: str) -> str:
    cleaned = text(written)
    return normalize.sex_key(cleaned[:1] if cleaned[:1] in ("男", "女") else cleaned)


def read_people(data: bytes, filename: str) -> tuple[list[_Person], list[Problem], Loaded]:
    """Every row as a person, or the problems of the rows that cannot be; and what was counted on the way."""
    try:
        table = reader.read_table(data, filename)
    except reader.ImportProblem as exc:
        raise LoadError(_UNREADABLE.get(exc.code, f"the file cannot be read ({exc.code})")) from exc
    mapping = _mapping(table.headers)
    fields = set(mapping.values())
    if "name" not in fields or "grid" not in fields or not ({"address", "room"} & fields):
        raise LoadError(
            "the first row must name the columns for each person's name (姓名), door (现住址, or 楼号 单元 房号)"
            f" and grid (网格); found: {', '.join(h for h in table.headers if h) or 'nothing'}"
        )
    counted = Loaded(rows=len(table.rows))
    people, problems = [], []
    today = datetime.now(UTC).date()
    for source in table.rows:
        if source.duplicate_of is not None:
            continue  # the very same cells twice: one person
        row = {name: source.cells[index] if index < len(source.cells) else "" for index, name in mapping.items()}
        line = source.line
        name = text(row.get("name", ""))
        door = door_of(row.get("address", ""), row.get("building", ""), row.get("unit", ""), row.get("room", ""))
        grid = grid_number(row.get("grid", ""))
        phone, phone_wrong = _phone(row.get("phone", ""))
        id_number, id_wrong = _id_number(row.get("id_number", ""))
        birth = _birth(text(row.get("birth_date", "")), id_number)
        status_written = text(row.get("status", ""))
        status = _STATUS_OF.get(status_written.lower(), "living" if not status_written else None)
        found = []
        if not name or len(name) > MAX_NAME or not has_letter(name):  # a name holds a letter (server/text.py)
            found.append(Problem(line, "no_name", name[: MAX_NAME + 1]))  # a 40,000-character cell is not echoed
        if door is None:
            found.append(
                Problem(
                    line,
                    "no_door",
                    " ".join(text(row.get(f, "")) for f in ("address", "building", "unit", "room")).strip(),
                )
            )
        if grid is None:
            found.append(Problem(line, "no_grid", text(row.get("grid", ""))))
        if phone_wrong == "bad":
            found.append(Problem(line, "bad_phone", text(row["phone"])))
        if id_wrong:
            found.append(Problem(line, "bad_id_number", text(row["id_number"])))
        if birth == "" or (isinstance(birth, date) and not date(1900, 1, 1) <= birth <= today):
            found.append(Problem(line, "bad_birth_date", text(row.get("birth_date") or row.get("id_number", ""))))
        if status is None:
            found.append(Problem(line, "unknown_status", status_written))
        problems += found
        if found:
            continue
        if status == "deceased":
            counted.deceased += 1
            continue
        counted.masked_phones += phone_wrong == "masked"
        building, unit, room = door
        relation_written = text(row.get("relation", ""))
        people.append(
            _Person(
                line=line,
                grid=grid,
                building=building,
                unit=unit,
                room=str(room),
                floor=room // 100 if room >= 100 else 1,  # 301 is on floor 3; a bungalow's 1 on floor 1
                name=name,
                sex=_sex(row.get("sex", "")),
                birth_date=birth,
                phone=phone,
                id_number=id_number,
                relation=_RELATION_OF.get(relation_written, "other") if relation_written else None,
                status=status,
            )
        )
    problems += _clashes(people)
    return people, problems, counted


def _clashes(people: list[_Person]) -> list[Problem]:
    """One grid per building, one person per name at a door, one person per ID number."""
    problems = []
    grids: dict[int, int] = {}
    at_door: dict[tuple, int] = {}
    ids: dict[str, int] = {}
    for person in people:
        first = grids.setdefault(person.building, person.grid)
        if first != person.grid:
            problems.append(Problem(person.line, "grid_conflict", f"{person.building}号楼: {first} / {person.grid}"))
        key = (person.building, person.unit, person.room, normalize.name_key(person.name))
        if at_door.setdefault(key, person.line) != person.line:
            problems.append(Problem(person.line, "duplicate_person", f"{person.name}, line {at_door[key]}"))
        if person.id_number and ids.setdefault(person.id_number, person.line) != person.line:
            problems.append(Problem(person.line, "duplicate_id", f"line {ids[person.id_number]}"))
    return problems


_UNREADABLE = {
    "old_excel": "it is an old Excel file (.xls): open it in Excel or WPS and save it as .xlsx",
    "empty": "it is empty",
    "unknown_encoding": "its text is in an encoding that cannot be read: save it as .xlsx, or as CSV UTF-8",
    "too_large": f"it is too large (a list must be smaller than {limits.MAX_BYTES // limits.MB} MB)",
    "unpacked_too_large": f"it unpacks to more than {limits.MAX_UNPACKED // limits.MB} MB: delete empty sheets and"
    " pictures, or save it as .csv",
    "unsafe_xml": "it holds XML a spreadsheet never does (a DTD): open it in Excel or WPS and save it as .xlsx",
    "too_many_rows": f"it has more than {limits.MAX_ROWS:,} rows: split it by grid",
    "too_many_columns": f"it has more than {limits.MAX_COLUMNS} columns: delete the ones not needed",
    "too_much_text": f"it holds more than {limits.MAX_CELLS:,} filled cells or {limits.MAX_TEXT:,} characters:"
    " split it by grid",
    "cell_too_long": f"a cell holds more than {limits.MAX_CELL_CHARS:,} characters",
    "damaged": "it is damaged (a cell in a place no spreadsheet has): open it in Excel or WPS and save it again",
    "too_much_work": f"it holds more than {limits.MAX_CELLS_SEEN:,} cells, empty ones included, or more XML than a"
    " list of that size: delete empty rows and columns, or save it as .csv",
}
