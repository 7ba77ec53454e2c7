"""Which column holds which field: recognised from the headers Chinese lists commonly have, plus a person's mapping.

Two sets of fields: FIELDS, what a list of people carries (reconciling uses these), and REGISTER_FIELDS, what a
community's register of elderly residents (台账) carries on top: living situation, health, interests and up to two
emergency contacts, each of name, relation, phone and where they live.
"""

from __future__ import annotations

import re

from server.imports.normalize import text

FIELDS = ("name", "sex", "id_number", "phone", "building", "unit", "room", "address", "birth_date", "relation")

CONTACTS = 5  # emergency contacts a register row may carry (紧急联系人1 ... 5): as many as a profile holds
CONTACT_PARTS = ("name", "relation", "phone", "lives")
CONTACT_FIELDS = tuple(f"contact{n}_{part}" for n in range(1, CONTACTS + 1) for part in CONTACT_PARTS)
REGISTER_FIELDS = (
    *(f for f in FIELDS if f != "relation"),  # a register's 关系 is the contact's, not the one to the household head
    "age",
    "living",
    "mobility",
    "priority",
    "conditions",
    "medicines",
    "interests",
    "best_time",
    "notes",
    *CONTACT_FIELDS,
)
ALL_FIELDS = tuple(dict.fromkeys((*FIELDS, *REGISTER_FIELDS)))

# Header text (normalised by header_key) -> field, or "contact_<part>" for a contact's column (numbered by detect).
# Exact names first; see _CONTAINS for longer headers.
ALIASES: dict[str, str] = {
    **dict.fromkeys(
        ["姓名", "名字", "居民姓名", "人员姓名", "受检人", "受检人姓名", "被检测人", "name", "fullname"], "name"
    ),
    **dict.fromkeys(["性别", "sex", "gender"], "sex"),
    # 一号专线: the register's own mark of who is answered first
    **dict.fromkeys(["一号专线", "是否一号专线", "重点关注", "是否重点关注", "重点对象", "priority"], "priority"),
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
    # The register's own columns.
    **dict.fromkeys(["年龄", "岁数", "周岁", "实际年龄", "age"], "age"),
    **dict.fromkeys(
        [
            "居住情况",
            "居住状况",
            "居住状态",
            "居住类型",
            "居住方式",
            "居住形式",
            "独居",
            "是否独居",
            "空巢",
            "是否空巢",
            "独居空巢",
            "老人类别",
            "老人类型",
            "living",
        ],
        "living",
    ),
    **dict.fromkeys(
        [
            "行动能力",
            "行动情况",
            "行动状况",
            "行动是否便利",
            "行动不便",
            "是否行动不便",
            "自理能力",
            "生活自理能力",
            "自理情况",
            "能否自理",
            "是否能自理",
            "行动",  # the register's own export (its column is 行动; a stranger's walk of issue 16)
            "mobility",
            "walking",
        ],
        "mobility",
    ),
    **dict.fromkeys(
        [
            "慢性病",
            "慢性病史",
            "病史",
            "既往病史",
            "疾病",
            "疾病史",
            "患病情况",
            "健康状况",
            "身体状况",
            "基础病",
            "基础疾病",
            "主要疾病",
            "conditions",
        ],
        "conditions",
    ),
    **dict.fromkeys(
        ["常用药", "常用药品", "常用药物", "用药", "用药情况", "服用药物", "长期用药", "medicines", "regularmedicines"],
        "medicines",
    ),
    **dict.fromkeys(["兴趣爱好", "爱好", "兴趣", "爱好特长", "特长", "interests"], "interests"),
    # 方便接电话的时间 is the register's own: before, its 电话 made it a phone column.
    **dict.fromkeys(
        ["方便联系时间", "联系时间", "方便通话时间", "最佳联系时间", "方便时间", "方便接电话的时间", "besttimetocall"],
        "best_time",
    ),
    **dict.fromkeys(["备注", "备注说明", "其他情况", "说明", "notes", "remark", "remarks"], "notes"),
    **dict.fromkeys(
        [
            "紧急联系人",
            "紧急联系人姓名",
            "联系人",
            "联系人姓名",
            "监护人",
            "监护人姓名",
            "亲属",
            "亲属姓名",
            "家属",
            "家属姓名",
            "子女姓名",
            "contactname",  # the import's own names for contacts' fields, which the export writes too
        ],
        "contact_name",
    ),
    **dict.fromkeys(
        [
            "紧急联系人关系",
            "与紧急联系人关系",
            "与老人关系",
            "联系人关系",
            "与联系人关系",
            "与本人关系",
            "亲属关系",
            "contactrelation",
        ],
        "contact_relation",
    ),
    **dict.fromkeys(
        [
            "紧急联系人电话",
            "紧急联系电话",
            "紧急联系人联系电话",
            "紧急联系人手机",
            "紧急联系人手机号",
            "联系人电话",
            "联系人手机",
            "联系人手机号",
            "联系人联系电话",
            "监护人电话",
            "监护人联系电话",
            "亲属电话",
            "亲属联系电话",
            "家属电话",
            "家属联系电话",
            "子女电话",
            "子女联系电话",
            "contactphone",
        ],
        "contact_phone",
    ),
    **dict.fromkeys(
        [
            "紧急联系人住址",
            "紧急联系人地址",
            "紧急联系人住在哪里",
            "联系人住址",
            "联系人地址",
            "联系人居住地",
            "亲属住址",
            "contactwheretheylive",
        ],
        "contact_lives",
    ),
}
# A header that contains one of these (longest first) is that field: "联系电话(手机)", "身份证号(后6位)".
_CONTAINS = sorted(
    [(alias, field) for alias, field in ALIASES.items() if len(alias) >= 2 and not alias.isascii()],
    key=lambda pair: -len(pair[0]),
)
_NOISE = re.compile(r"[\s*:：#]|[(（\[【].*?[)）\]】]")
_DIGITS = re.compile(r"\d+")
_CONTACT_NUMBER = re.compile(r"^contact\d+_")
# A person field in the column right after a contact's is the contact's: 紧急联系人 | 关系 | 联系电话 | 住址.
_CONTACT_NEIGHBOURS = {"phone": "phone", "relation": "relation", "address": "lives"}


def header_key(cell: object) -> str:
    return _NOISE.sub("", text(cell)).lower()


def field_of(header: object) -> str | None:
    """The field a header names; contacts' columns give "contact_<part>" (detect numbers them)."""
    key = header_key(header)
    if not key:
        return None
    if key in ALIASES:
        return ALIASES[key]
    key = _DIGITS.sub("", key)  # 紧急联系人1, 联系电话2: the number says which contact, not which field
    if key in ALIASES:
        return ALIASES[key]
    for alias, field in _CONTAINS:
        if alias in key:
            return field
    return None


def _contact_number(header: object) -> int | None:
    found = _DIGITS.search(header_key(header))
    return int(found.group()) if found else None


def _is_bare_contact(header: object) -> bool:
    """联系人, 联系人电话, 联系人1: "the one to contact", no word saying it is someone else (紧急, 监护人, 亲属)."""
    return _DIGITS.sub("", header_key(header)).startswith("联系人")


def detect(headers: list[str], fields: tuple[str, ...] = FIELDS) -> dict[int, str]:
    """Column index -> field for the headers that are recognised among `fields`; a field is taken by its first
    column only.

    A register (fields with contacts): contacts' columns are numbered by the number in the header, else each
    contact's name column starts the next contact, and a phone, relation or address right after a contact's column
    is that contact's. A list of people (no contacts, as reconciling reads it): a column naming someone else
    (紧急联系人电话, or 联系电话 right after 紧急联系人) is never the person's; but 联系人 alone names no one else: on a
    test point's list, 联系人 | 联系电话 (or 联系人电话) asks for the listed person's own number."""
    registers_contacts = any(f.startswith("contact") for f in fields)
    mapping: dict[int, str] = {}
    contact, last_contact_column = 0, -2
    for index, header in enumerate(headers):
        field = field_of(header)
        if field is None:
            continue
        if not registers_contacts and field.startswith("contact_") and _is_bare_contact(header):
            if field != "contact_phone":
                continue  # 联系人 itself: left for a person to map; its neighbour stays the person's own
            field = "phone"
        if last_contact_column == index - 1 and field in _CONTACT_NEIGHBOURS:
            # An address there is the contact's only once the resident's own door has a column.
            if field != "address" or {"address", "room"} & set(mapping.values()):
                field = f"contact_{_CONTACT_NEIGHBOURS[field]}"
        if field.startswith("contact_"):
            part = field.removeprefix("contact_")
            number = _contact_number(header)
            if number is not None:
                contact = number
            elif part == "name" or contact == 0:
                contact += 1
            last_contact_column = index
            field = f"contact{contact}_{part}"
        if field in fields and field not in mapping.values():
            mapping[index] = field
    return mapping


def score(cells: list[str]) -> int:
    """How much a row looks like a header row: the number of different fields its cells name. A contact's part
    counts once whichever contact it is: a merged 紧急联系人 over three columns names one field, not three contacts'
    names, and must not outscore the row under it (姓名 | 关系 | 电话)."""
    return len({_CONTACT_NUMBER.sub("contact_", field) for field in detect(cells, ALL_FIELDS).values()})


def apply_choices(headers: list[str], choices: dict[int, str], fields: tuple[str, ...] = FIELDS) -> dict[int, str]:
    """The detected mapping, overridden by a person's choices ("" = ignore the column). Unknown fields are ignored;
    a field chosen for two columns stays with the first, so that one row never has two values for one field."""
    mapping = detect(headers, fields)
    for index, field in choices.items():
        if 0 <= index < len(headers):
            mapping.pop(index, None)
            if field in fields:
                mapping[index] = field
    taken: dict[str, int] = {}
    for index in sorted(mapping):
        taken.setdefault(mapping[index], index)
    return {index: field for field, index in taken.items()}


def can_identify(mapping: dict[int, str]) -> bool:
    """A row can be told apart only with a name, a phone or an ID number."""
    return bool({"name", "phone", "id_number"} & set(mapping.values()))
