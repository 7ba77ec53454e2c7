"""Normalising what real lists get wrong, so that a list's row and the register compare by equal keys.

Pure functions; every one accepts any text a cell may hold and returns "" (or None) when there is nothing usable.
"""

from __future__ import annotations

import re
import unicodedata

from server.text import clean_line

# Spaces, and the joiners a copied name may carry unseen (a stranger's "赵\u200d爱华" read 不在你的台账里 beside the
# register's 赵爱华): in a key only, the stored name keeps what the text cleaning keeps.
_SPACES = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")
# Characters that only separate parts of a door: "2号楼1单元301室", "2-1-301", "2栋 1单元 301".
_DOOR_PARTS = re.compile(r"\d+")
_DOOR_NUMBERS = re.compile(r"0*(\d+)")  # the same runs of digits, leading zeros left out: "0301" -> "301"
_FLOOR = re.compile(r"\d+\s*(?:层|楼层)")  # "3层" is a floor, already part of the room number
_MASK = re.compile(r"[*＊xX×]+")
_PHONE_NOISE = re.compile(r"[\s\-()]+")
_PHONE_CHARS = re.compile(r"[0-9*]+")
_ID_MASK = re.compile(r"[*＊×]+")
_ID_CHARS = re.compile(r"[0-9X*]+")
_TIME = re.compile(r"\s+\d{1,2}:\d{2}(:\d{2})?$")  # an Excel date cell reads "1948-03-12 00:00:00"
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2})\s*日?|月)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})?")


def cell(value: object) -> str:
    """A cell as written, cleaned as a form's single-line field is at the edge (server/text.py): no bidi control to
    reorder a preview's row, no line break, spaces trimmed, "" for a cell that draws nothing (an upload is no form:
    web/input.py never sees its cells). What the readers give: a note keeps its full-width punctuation (，：（）),
    as a person typing it in the form would (a stranger's walk of issue 16 saw every note come back with ASCII
    commas, then read as changed by the next export)."""
    if type(value) is not str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 13812345678 read from Excel as 13812345678.0
        value = str(value)
    if value.isascii():  # most phones, IDs and doors; isascii() costs nothing
        return value.strip() if value.isprintable() else clean_line(value).strip()
    return clean_line(value).strip()


def text(value: object) -> str:
    """A cell as a key compares it: `cell`, then full-width letters, digits and signs made half-width (NFKC), so
    that ２栋 is 2栋 and １３８… a phone. Names, doors, phones, ID numbers, dates and the register's yes/no words are
    read through it; free text is stored as written (`cell`)."""
    value = cell(value)
    if value.isascii():  # NFKC leaves ASCII as it is, and isascii() costs nothing: most phones, IDs, doors
        return value
    return unicodedata.normalize("NFKC", value).strip()


def name_key(value: object) -> str:
    """Names compare without spaces (张 国强, 张　国强) and without middle dots' variants (阿依·买买提)."""
    name = text(value)
    if name.isalnum():  # letters only (most names): no space or dot to take out
        return name
    return _SPACES.sub("", name).replace("•", "·").replace("・", "·")


def door_key(value: object) -> str | None:
    """ "2-1-301", "2号楼1单元301", "２栋１单元３０１室", "铁北社区2号楼1单元301室" -> "2-1-301"; None if not a door.

    The last three numbers are building, unit and room: an address may start with other words, never with other
    numbers after the door. Fewer than three numbers is not a whole door.
    """
    parts = door_numbers(text(value))
    return "-".join(parts) if parts else None


def door_numbers(cleaned: str) -> list[str] | None:
    """door_key's building, unit and room, from text already made clean by `text` (a 100,000-row list does not
    clean each cell twice): ["2", "1", "301"], or None."""
    if not cleaned:
        return None
    parts = _DOOR_NUMBERS.findall(_FLOOR.sub(" ", cleaned) if "层" in cleaned else cleaned)
    if len(parts) < 3:
        return None
    parts = parts[-3:]
    if not "".join(parts).isascii():
        parts = [str(int(part)) for part in parts]  # digits of other scripts (٣): int() reads them
    return parts


def door_from_parts(building: object, unit: object, room: object) -> str | None:
    """A door from separate columns (楼号 2, 单元 1, 房号 301室), or from a room column that holds all of it."""
    b, u, r = (_number(part) for part in (building, unit, room))
    if b is not None and u is not None and r is not None:
        return f"{b}-{u}-{r}"
    whole = door_key(f"{text(building)} {text(unit)} {text(room)}")
    return whole


def building_number(value: object) -> int | None:
    """ "2号楼", "２栋", "2" -> 2; the building of a door "2-1-301" -> 2."""
    return _number(value)


def _number(value: object) -> int | None:
    parts = _DOOR_PARTS.findall(text(value))
    if len(parts) == 1:
        return int(parts[0])
    return None


def phone_key(value: object) -> str:
    """Digits of a mobile number, +86 and spaces gone; a masked middle stays as "*": "138****5678".

    Returns "" when what is left cannot be compared (too short, or letters).
    """
    cleaned = text(value)
    if cleaned.isascii():  # the common ways, for which the general rule below comes to this, for less
        compact = cleaned.replace(" ", "").replace("-", "")
        if compact.isdigit():  # 13812345678, 138 1234 5678, 0086 138-1234-5678
            if compact.startswith("0086"):
                compact = compact[4:]
            elif len(compact) == 13 and compact.startswith("86"):
                compact = compact[2:]
            return compact if len(compact) >= 7 else ""
        if compact.startswith("+86") and compact[3:].isdigit():  # +86 138 1234 5678
            return compact[3:] if len(compact) >= 10 else ""
        if len(compact) == 11 and compact[3:7] == "****" and (compact[:3] + compact[7:]).isdigit():
            return f"{compact[:3]}*{compact[7:]}"  # 138****5678
    cleaned = _MASK.sub("*", _PHONE_NOISE.sub("", cleaned))
    if cleaned.startswith("+86"):
        cleaned = cleaned[3:]
    elif cleaned.startswith("0086"):
        cleaned = cleaned[4:]
    elif len(cleaned) == 13 and cleaned.startswith("86"):
        cleaned = cleaned[2:]
    if not _PHONE_CHARS.fullmatch(cleaned) or len(cleaned) - cleaned.count("*") < 7:
        return ""
    return cleaned


def phone_matches(listed: str, registered: str | None) -> bool:
    """A listed (maybe masked) number agrees with a registered whole one: visible digits before and after the mask."""
    if not listed or not registered:
        return False
    if "*" not in listed:
        return listed == registered
    head, _, tail = listed.partition("*")
    tail = tail.lstrip("*")
    if "*" in tail:
        return False
    return len(registered) >= len(head) + len(tail) and registered.startswith(head) and registered.endswith(tail)


def id_key(value: object) -> str:
    """An ID number as it can be compared: upper-case X, mask as "*"; a masked one keeps its visible ends.

    "140109194906250019", "140109********0019", "0019" (the last 4), "250019" (the last 6).
    """
    cleaned = text(value)
    if cleaned.isascii() and cleaned.isdigit():  # whole or partial, written plainly
        return cleaned if len(cleaned) >= 4 else ""
    cleaned = _ID_MASK.sub("*", _SPACES.sub("", cleaned).upper())
    if not _ID_CHARS.fullmatch(cleaned) or len(cleaned) - cleaned.count("*") < 4:
        return ""
    return cleaned


def id_matches(listed: str, registered: str | None) -> bool:
    """Whole numbers are equal; 4 or 6 characters are the end of the number; a masked one agrees at both ends."""
    if not listed or not registered:
        return False
    registered = registered.upper()
    if "*" in listed:
        head, _, tail = listed.partition("*")
        return registered.startswith(head) and registered.endswith(tail)
    if len(listed) in (4, 6):
        return registered.endswith(listed)
    return listed == registered


def date_parts(value: object) -> tuple[int, int, int | None] | None:
    """ "1948-03-12", "1948/3/12", "1948.3.12", "1948年3月12日", "19480312", an Excel date -> (1948, 3, 12);
    "1948.03", "1948年3月", "194803" (出生年月) -> (1948, 3, None); None when it is not written as a date.
    Whether the day exists (1948-02-30) is for the caller to say."""
    cleaned = _TIME.sub("", text(value))
    found = _DATE.fullmatch(cleaned) or _COMPACT_DATE.fullmatch(cleaned)
    if found is None:
        return None
    year, month, day = found.groups()
    return int(year), int(month), int(day) if day else None


def sex_key(value: object) -> str:
    """ "男" / "M" / "male" -> "M"; "女" / "F" -> "F"; anything else "". ID numbers are not used to guess it."""
    cleaned = text(value).lower()
    if cleaned in ("男", "m", "male", "1"):
        return "M"
    if cleaned in ("女", "f", "female", "2"):
        return "F"
    return ""
