"""One row of an imported register, cell by cell: the words registers use for living situation and walking, dates
as people write them, emergency contacts. Pure functions; the profile's rules are services.validate_profile's."""

from __future__ import annotations

from datetime import date

from server.access.masks import mask_phone
from server.imports.columns import CONTACTS
from server.imports.normalize import date_parts, name_key, text
from server.register import services

TEXTS = ("conditions", "medicines", "interests", "best_time", "notes")
DEFAULTS = {"living": "family", "mobility": "good", **dict.fromkeys(TEXTS, ""), "priority": False, "in_round": False}
CONTACT_KEYS = ("name", "relation", "phone", "lives")

# What registers write in a cell that holds nothing.
_NOTHING = {"无", "/", "-", "—", "——", "暂无", "不详", "空", "none", "n/a"}
_YES = {"是", "√", "✓", "✔", "y", "yes", "1", "有"}
_NO = {"否", "×", "n", "no", "0", "不是", "无"}
# Longest and most specific words first: 不能自理 before 自理, 半自理 before 自理, 独居 before 同住.
_LIVING = (
    (("独居", "独自", "一人", "单独", "alone"), "alone"),
    (("空巢", "配偶", "老伴", "夫妻", "老两口", "两人", "spouse"), "spouse"),
    (("子女", "家人", "儿", "女", "孙", "同住", "family"), "family"),
)
_MOBILITY = (
    (("卧床", "瘫", "不能自理", "失能", "不能行走", "bedridden"), "bedridden"),
    (("不便", "困难", "不好", "拐", "轮椅", "半自理", "部分自理", "搀扶", "差", "limited", "difficulty"), "limited"),
    (("良好", "正常", "自理", "自如", "灵活", "便利", "好", "健康", "能走", "一般", "good", "well"), "good"),
)


class Unreadable(ValueError):
    pass


def says_nothing(cell: str) -> bool:
    return text(cell).lower() in _NOTHING


def living_of(value: str, header: str = "") -> str | None:
    """alone / spouse / family; None when the cell says no more than "not alone"; Unreadable otherwise.
    A yes/no column takes its meaning from its header (是否独居, 空巢)."""
    cleaned = text(value).lower()
    if cleaned in _YES:
        if "独居" in header:
            return "alone"
        if "空巢" in header:
            return "spouse"
        raise Unreadable(value)
    if cleaned in _NO or cleaned.startswith(("非", "不")):
        return None
    for words, code in _LIVING:
        if any(word in cleaned for word in words):
            return code
    raise Unreadable(value)


def mobility_of(value: str, header: str = "") -> str:
    """good / limited / bedridden; a yes/no column by its header (行动不便: yes is limited; 能否自理: yes is good)."""
    cleaned = text(value).lower()
    if cleaned in _YES or cleaned in _NO:
        yes = cleaned in _YES
        if "不便" in header:
            return "limited" if yes else "good"
        if "便利" in header or "自理" in header:
            return "good" if yes else "limited"
        raise Unreadable(value)
    for words, code in _MOBILITY:
        if any(word in cleaned for word in words):
            return code
    raise Unreadable(value)


def _known_contact(name: str, masked: str, known: list[dict], taken: set[str]) -> dict | None:
    """The person's contact a masked number (139****5678) stands for, as the edit form reads it (decision 0023):
    only the contact of the name the row gives, whose number masks so. A masked number of another contact is not
    this one's (a stranger saw the daughter's number given to the nephew, issue 16): None, and the row has a
    problem. A blank number of a contact the person has by that name stands for its number too: a blank cell
    changes nothing."""
    masked = services.normalize_digits(masked)
    free = [c for c in known if str(c["id"]) not in taken]
    named = [c for c in free if name_key(c["name"]) == name_key(name)] if name.strip() else []
    if not masked:
        return named[0] if len(named) == 1 else None
    if "*" not in masked:
        return None
    fits = [c for c in named if mask_phone(c["phone"]) == masked]
    return fits[0] if fits else None


def _owner_of(name: str, masked: str, known: list[dict]) -> str:
    """The name of the person's other contact whose number masks so ("" for none): said in the row's problem."""
    masked = services.normalize_digits(masked)
    return next(
        (c["name"] for c in known if mask_phone(c["phone"]) == masked and name_key(c["name"]) != name_key(name)), ""
    )


def read_row(
    values: dict[str, str],
    headers: dict[str, str],
    registered_birth: date | None,
    today: date,
    known_contacts: list[dict] | None = None,
) -> tuple[dict, date | None, list[dict], list[tuple[str, ...]]]:
    """The profile columns a row gives, its birth date, its contacts (cleaned), and its problems as (kind, other)
    or (kind, other, known): the same rules as the edit form, so a file cannot store what a person could not type.
    `known_contacts` (with their ids and whole numbers) are the person's: a masked number of one of them keeps its
    number, as on the edit form; the contact returned then carries that contact's id."""
    codes: list[tuple[str, ...]] = []
    given: dict = {}
    for name, read in (("living", living_of), ("mobility", mobility_of)):
        if values.get(name):
            try:
                code = read(values[name], headers.get(name, ""))
            except Unreadable:
                codes.append((f"{name}_unreadable", values[name][:32]))
            else:
                if code is not None:
                    given[name] = code
    if values.get("priority"):
        # The register says it by hand: kept as set by hand, as if a worker had ticked it in the profile.
        cleaned = text(values["priority"]).lower()
        if cleaned in _YES or cleaned in _NO:
            given["priority"] = cleaned in _YES
        else:
            codes.append(("priority_unreadable", values["priority"][:32]))
    for name in TEXTS:
        if values.get(name):
            given[name] = values[name]
    birth_text = ""
    if values.get("birth_date"):
        parts = date_parts(values["birth_date"])
        if parts is None:
            codes.append(("bad_date", values["birth_date"][:32]))
        elif parts[2] is None:  # 出生年月: the day is not known; a registered date of that month stays
            if not (registered_birth and (registered_birth.year, registered_birth.month) == parts[:2]):
                codes.append(("birth_partial", values["birth_date"][:32]))
        else:
            try:
                birth_text = date(*parts).isoformat()
            except ValueError:
                codes.append(("impossible_birth", values["birth_date"][:32]))
    blocks, taken = [], set()
    for n in range(1, CONTACTS + 1):
        block = services.ContactForm(**{key: values.get(f"contact{n}_{key}", "") for key in CONTACT_KEYS})
        same = _known_contact(block.name, block.phone, known_contacts or [], taken)
        if same is not None:
            block.id, block.phone = str(same["id"]), mask_phone(same["phone"]) or ""
            taken.add(block.id)
        blocks.append(block)
    form = services.ProfileForm(
        birth_date=birth_text,
        living=given.get("living", "family"),
        mobility=given.get("mobility", "good"),
        **{name: given.get(name, "") for name in TEXTS},
        contacts=blocks,
    )
    stored = {str(c["id"]): c["phone"] for c in known_contacts or []}
    errors, birth, contacts = services.validate_profile(form, today, stored)
    for key, code in errors.items():
        # contacts.0.phone is the first contact's: said as "contact 1"
        if code == "masked_edited":  # a masked number that is not this contact's: said with the number
            n = int(key.split(".")[1])
            masked = services.normalize_digits(blocks[n].phone)[:20]
            owner = _owner_of(blocks[n].name, masked, known_contacts or [])
            if owner:  # another contact's number: whose it is, and whose the row says
                said = (masked, owner, " ".join(blocks[n].name.split())[:32])  # the template splits at the tabs
                codes.append(("masked_other", str(n + 1), "\t".join(said)))
            else:
                codes.append(("masked_unknown", str(n + 1), masked))
        elif code == "too_long" and key.startswith("contacts."):  # which contact, and which of its cells
            _, n, part = key.split(".")
            codes.append(("contact_too_long", str(int(n) + 1), f"{part}\t{services.CONTACT_LIMITS[part]}"))
        else:
            codes.append((code, str(int(key.split(".")[1]) + 1) if key.startswith("contacts.") else key))
    return given, birth, contacts, codes


def merge_contacts(current: list[dict], given: list[dict]) -> list[dict]:
    """An import adds contacts and updates those of the same name, or the one its masked number stands for (the
    contact given then carries its id, and may rename it); it never deletes one added by hand. A blank cell keeps
    what the contact has."""
    merged = [dict(contact) for contact in current]
    for contact in given:
        if "id" in contact:
            same = next((c for c in merged if c.get("id") == contact["id"]), None)
        else:
            same = next((c for c in merged if name_key(c["name"]) == name_key(contact["name"])), None)
        if same is None:
            merged.append({key: value for key, value in contact.items() if key != "id"})
        else:
            renames = "id" in contact and name_key(contact["name"]) != name_key(same["name"])
            same.update(
                {key: value for key, value in contact.items() if value and key != "id" and (key != "name" or renames)}
            )
    return merged


def same_contacts(first: list[dict], second: list[dict]) -> bool:
    return [tuple(c[k] for k in CONTACT_KEYS) for c in first] == [tuple(c[k] for k in CONTACT_KEYS) for c in second]


# What a row may not overrule ------------------------------------------------------------------------------------
# A row of the register states facts about a person the register (or their ID number) already knows. A row that
# says otherwise is more likely about someone else, or mistyped, than a correction: it is set aside with its
# reason in words and the old and new value (decision 0023), never written over what is known.
CONTRADICTIONS = ("birth_vs_id", "sex_vs_id", "birth_differs", "sex_differs")


def id_facts(number: str | None) -> tuple[date | None, str]:
    """The birth date and sex an 18-character resident ID number states (digits 7-14: yyyymmdd; the 17th: odd for
    a man, even for a woman); (None, "") for a number that is masked, partial or not a real date."""
    if not number or len(number) != 18 or not number[:17].isdigit():
        return None, ""
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    return born, "M" if int(number[16]) % 2 else "F"


def contradictions(
    registered_birth: date | None,
    registered_sex: str,
    registered_id: str | None,
    row_birth: tuple[int, int, int | None] | None,
    row_sex: str,
    row_id: str,
) -> list[tuple[str, str, str]]:
    """(kind, what the row says, what is known) for each fact of the row that contradicts the register or the ID
    number (the registered one, else the row's own whole one). A birth date the register holds may be corrected
    only when the ID number confirms the new one."""
    found: list[tuple[str, str, str]] = []
    id_birth, id_sex = id_facts(registered_id.upper() if registered_id else None)
    if id_birth is None and not id_sex:
        id_birth, id_sex = id_facts(row_id if "*" not in row_id else None)
    if row_birth is not None:
        year, month, day = row_birth
        said = f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day is not None else "")

        def differs(known: date) -> bool:
            return (known.year, known.month) != (year, month) or (day is not None and known.day != day)

        if id_birth is not None and differs(id_birth):
            found.append(("birth_vs_id", said, id_birth.isoformat()))
        elif id_birth is None and registered_birth is not None and differs(registered_birth):
            found.append(("birth_differs", said, registered_birth.isoformat()))
    if row_sex:
        if id_sex and row_sex != id_sex:
            found.append(("sex_vs_id", row_sex, id_sex))
        elif registered_sex and row_sex != registered_sex:
            found.append(("sex_differs", row_sex, registered_sex))
    return found
