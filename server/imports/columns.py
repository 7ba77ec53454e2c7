"""Which column holds which field: recognised from the headers Chinese lists commonly have, or mapped by a person."""

from __future__ import annotations

import re

from server.imports.normalize import text

# The fields a list of people may carry. Matching uses the first eight; the register import (issue 5) more.
FIELDS = ("name", "sex", "id_number", "phone", "building", "unit", "room", "address", "birth_date", "relation")

# Header text (normalised by header_key) -> field. Exact names first; see _CONTAINS for longer headers.
ALIASES: dict[str, str] = {
    **dict.fromkeys(["姓名", "名字", "居民姓名", "人员姓名", "受检人", "受检人姓名", "被检测人", "name"], "name"),
    **dict.fromkeys(["性别", "sex", "gender"], "sex"),
    **dict.fromkeys(
        ["身份证号", "身份证号码", "身份证", "证件号码", "证件号", "公民身份号码", "身份号码", "idnumber", "id"],
        "id_number",
    ),
    **dict.fromkeys(
        ["联系电话", "手机号", "手机号码", "电话", "电话号码", "联系方式", "手机", "联系号码", "phone", "mobile"],
        "phone",
    ),
    **dict.fromkeys(["楼号", "楼栋", "楼栋号", "栋号", "栋", "幢", "楼", "楼宇", "building"], "building"),
    **dict.fromkeys(["单元", "单元号", "unit"], "unit"),
    **dict.fromkeys(["房号", "门牌号", "房间号", "户号", "室", "房间", "门牌", "room", "door"], "room"),
    **dict.fromkeys(
        ["地址", "住址", "家庭住址", "现住址", "居住地址", "详细地址", "现居住地址", "户籍地址", "address"], "address"
    ),
    **dict.fromkeys(["出生日期", "出生年月", "生日", "birthdate", "birthday"], "birth_date"),
    **dict.fromkeys(["与户主关系", "关系", "relation"], "relation"),
}
# A header that contains one of these (longest first) is that field: "联系电话(手机)", "身份证号(后6位)".
_CONTAINS = sorted(
    [(alias, field) for alias, field in ALIASES.items() if len(alias) >= 2 and not alias.isascii()],
    key=lambda pair: -len(pair[0]),
)
_NOISE = re.compile(r"[\s*:：#]|[(（\[【].*?[)）\]】]")


def header_key(cell: object) -> str:
    return _NOISE.sub("", text(cell)).lower()


def field_of(header: object) -> str | None:
    key = header_key(header)
    if not key:
        return None
    if key in ALIASES:
        return ALIASES[key]
    for alias, field in _CONTAINS:
        if alias in key:
            return field
    return None


def detect(headers: list[str]) -> dict[int, str]:
    """Column index -> field for the headers that are recognised; a field is taken by its first column only."""
    mapping: dict[int, str] = {}
    for index, header in enumerate(headers):
        field = field_of(header)
        if field and field not in mapping.values():
            mapping[index] = field
    return mapping


def score(cells: list[str]) -> int:
    """How much a row looks like a header row: the number of different fields its cells name."""
    return len(set(detect(cells).values()))


def apply_choices(headers: list[str], choices: dict[int, str]) -> dict[int, str]:
    """The detected mapping, overridden by a person's choices ("" = ignore the column). Unknown fields are ignored;
    a field chosen for two columns stays with the first, so that one row never has two values for one field."""
    mapping = detect(headers)
    for index, field in choices.items():
        if 0 <= index < len(headers):
            mapping.pop(index, None)
            if field in FIELDS:
                mapping[index] = field
    taken: dict[str, int] = {}
    for index in sorted(mapping):
        taken.setdefault(mapping[index], index)
    return {index: field for field, index in taken.items()}


def can_identify(mapping: dict[int, str]) -> bool:
    """A row can be told apart only with a name, a phone or an ID number."""
    return bool({"name", "phone", "id_number"} & set(mapping.values()))
