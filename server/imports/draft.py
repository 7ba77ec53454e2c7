"""An upload between its preview and its saving, with the rows checked field by field.

Nothing is stored before a person confirms: the preview page carries the table it was made from (compressed, in a
hidden field), and the confirming request brings it back. The draft is signed with a key made from the server's
secret: one the server did not make is refused before it is unpacked (a crafted draft of 85 KB unpacked to 689 MB of
lists before it was refused). The server still reads it again as untrusted input, exactly as it read the file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import zlib
from collections.abc import Callable
from itertools import compress, repeat
from operator import attrgetter, itemgetter, not_
from typing import TypeVar

import msgspec

from server.imports import columns
from server.imports.limits import MB
from server.imports.matching import Listed
from server.imports.normalize import (
    building_number,
    date_parts,
    door_from_parts,
    door_key,
    door_numbers,
    id_key,
    name_key,
    phone_key,
    sex_key,
    text,
)
from server.imports.reader import MAX_ROWS, ImportProblem, Table, read_table
from server.settings import get_settings
from server.text import has_letter

T = TypeVar("T")

# A draft of a list at every limit of the reader (server.imports.limits) is JSON of less than this.
MAX_DRAFT = 64 * MB


class Draft(msgspec.Struct, kw_only=True):
    """A table as a preview carries it: column by column, each row once (a row repeated in full is only noted, with
    the line it repeats). Column by column, a 100,000-row list is read back and normalised a third faster: each
    field's cells come back as one list, side by side in memory (bench/matching.py)."""

    filename: str
    sheet: str = ""
    headers: list[str]
    header_line: int
    blank_rows: int = 0
    notes: list[str] = []
    above: list[str] = []  # the first lines above the header (reader.Table.above)
    lines: list[int]  # each row's line as the spreadsheet program shows it
    columns: list[list[str]]  # one per header, a cell per line
    duplicates: list[tuple[int, int]] = []  # a repeated row's line, and the line of the row it repeats
    # When a person last saw a preview of it (ISO, UTC; signed with the rest): a register import's save sets aside
    # a row whose fields were changed here since, rather than write over what that preview never showed.
    checked_at: str = ""

    @property
    def row_count(self) -> int:
        return len(self.lines) + len(self.duplicates)


def draft_of(table: Table, filename: str) -> Draft:
    # Some browsers send the whole path ("C:\\Users\\...\\名单.xlsx"): the name alone is the title.
    # A file's name is text as a cell's is ("名单\u202excsl.csv" would read "名单lsx.csv").
    filename = text(filename.replace("\\", "/").rsplit("/", 1)[-1])
    cells = [row.cells for row in table.rows if row.duplicate_of is None]
    return Draft(
        filename=filename[:128] or "list",
        sheet=table.sheet,
        headers=table.headers,
        header_line=table.header_line,
        blank_rows=table.blank_rows,
        notes=table.notes,
        above=table.above,
        lines=[row.line for row in table.rows if row.duplicate_of is None],
        columns=[list(map(itemgetter(i), cells)) for i in range(len(table.headers))],
        duplicates=[(row.line, row.duplicate_of) for row in table.rows if row.duplicate_of is not None],
    )


def read_upload(data: bytes, filename: str) -> Draft:
    """Raises ImportProblem (empty, too large, not a spreadsheet, ...) with nothing stored."""
    return draft_of(read_table(data, filename), filename or "list")


def read_packed(data: bytes, filename: str) -> bytes:
    """read_upload in a child process (server.offload): the draft comes back as msgpack, which crosses the pipe and
    is read back in a fifth of the time of a pickle of the same cells (decision 0018)."""
    return msgspec.msgpack.encode(read_upload(data, filename))


def decode_packed(token: str) -> bytes:
    """decode, in a child process: the draft as msgpack."""
    return msgspec.msgpack.encode(decode(token))


def unpack(raw: bytes) -> Draft:
    """A draft a child read (read_packed, decode_packed): a trusted one, checked there."""
    return msgspec.msgpack.decode(raw, type=Draft)


def encode(draft: Draft) -> str:
    return pack(msgspec.json.encode(draft))


def pack(raw: bytes) -> str:
    """JSON of a draft, compressed and signed, as the page carries it."""
    packed = base64.urlsafe_b64encode(zlib.compress(raw, 6))
    return (packed + b"." + _signature(packed)).decode()


def _signature(packed: bytes) -> bytes:
    key = hashlib.sha256(b"gridcare draft\0" + get_settings().secret_key.encode()).digest()
    return base64.urlsafe_b64encode(hmac.digest(key, packed, "sha256")).rstrip(b"=")


def decode(token: str) -> Draft:
    """The draft a preview page carried: refused if the server did not sign it, or damaged; a signed one can never
    unpack past MAX_DRAFT."""
    packed, _, signature = token.encode().rpartition(b".")
    if not packed or not hmac.compare_digest(signature, _signature(packed)):
        raise ImportProblem("draft_damaged")
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base64.urlsafe_b64decode(packed), MAX_DRAFT)
        if inflater.unconsumed_tail:
            raise ImportProblem("draft_damaged")
        draft = msgspec.json.decode(raw, type=Draft)
    except (binascii.Error, zlib.error, msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError):
        raise ImportProblem("draft_damaged") from None
    if draft.row_count > MAX_ROWS:  # the same limits as a file, for a draft made by hand
        raise ImportProblem("too_many_rows", limit=MAX_ROWS)
    if len(draft.columns) != len(draft.headers) or any(len(column) != len(draft.lines) for column in draft.columns):
        raise ImportProblem("draft_damaged")
    return draft


class Column(msgspec.Struct, kw_only=True):
    """A column as a preview's mapping step shows it: its header, the field it holds, a value from the first row."""

    index: int
    header: str
    field: str | None
    sample: str = ""


def _cut(cell: str, most: int = 40) -> str:
    """A cell as an example of its column: the first characters of a long one (a 40,000-character name)."""
    return cell if len(cell) <= most else cell[:most] + "…"


def columns_of(draft: Draft, mapping: dict[int, str]) -> list[Column]:
    return [
        Column(index=i, header=h, field=mapping.get(i), sample=_cut(column[0]) if column else "")
        for i, (h, column) in enumerate(zip(draft.headers, draft.columns, strict=True))
    ]


class Fields(Listed, gc=False):
    """A row read through the mapping: what matching needs (a Listed row), and what a person is shown about it;
    `problems` are codes a person should see."""

    door_text: str = ""
    problems: tuple[str, ...] = ()


class _Door(msgspec.Struct, gc=False):
    """Where a row says the person lives. A Struct the garbage collector need not track, not a tuple: 100,000
    tuples alive at once cost a full collection (a fifth of a second) in the middle of reading a list."""

    door: str | None  # "2-1-301", None if the row gives no whole door
    text: str  # as written
    building: int | None
    unreadable: bool


def _door(cells: tuple[str, str, str, str]) -> _Door:
    """From building, unit, room and address cells (each may be "")."""
    building, unit, room, address = cells
    if not (building or unit or room):
        return _address_door(address)
    parts = [text(building), text(unit), text(room)]
    door_text = " ".join(p for p in parts if p)
    if not door_text:
        return _address_door(address)
    door = door_from_parts(*parts)
    if door is None and address:
        door = door_key(address)
    number = building_number(parts[0]) if parts[0] else None
    if number is None and door:
        number = int(door.split("-", 1)[0])
    return _Door(door, door_text[:128], number, door is None and number is None)


def _address_door(address: str) -> _Door:
    door_text = text(address)
    parts = door_numbers(door_text)
    if parts is None:
        # "2号楼" alone is no door but says the building: a name is then looked for there (not an unreadable cell).
        number = building_number(door_text) if door_text else None
        return _Door(None, door_text[:128], number, bool(door_text) and number is None)
    return _Door("-".join(parts), door_text[:128], int(parts[0]), False)


def _each_once(function: Callable[[str], T], cells: list[str]) -> list[T]:
    """`function` of every cell, computed once per distinct cell: lists repeat names, sexes and dates."""
    table = {cell: function(cell) for cell in set(cells)}
    return list(map(table.__getitem__, cells))


MAX_NAME = 32  # a name as stored (Varchar(32)), as /join and /people take it


def _name(cell: str) -> str:
    """A row's name as matching compares it and a preview shows it: "" without a letter or a digit (combining marks
    alone, a dot: server/text.py), cut after MAX_NAME characters with an ellipsis (a 40,000-character cell came back
    whole in the preview) that no registered name holds, so it matches no one and the row says why."""
    name = name_key(cell)
    if len(name) > MAX_NAME:
        return name[:MAX_NAME] + "…"
    return name if name.isalnum() or has_letter(name) else ""


def _problems(name: str, phone: str, raw_phone: str, id_number: str, raw_id: str, unreadable: bool) -> tuple[str, ...]:
    return tuple(
        code
        for code, bad in (
            ("name_too_long", len(name) > MAX_NAME),
            ("phone_unreadable", not phone and text(raw_phone)),
            ("id_unreadable", not id_number and text(raw_id)),
            ("door_unreadable", unreadable),
            ("cannot_identify", not (name or phone or id_number)),
        )
        if bad
    )


def read_rows(lines: list[int], cells: list[list[str]], mapping: dict[int, str]) -> list[Fields]:
    """Every row (a Draft's lines and columns) read through the mapping and normalised, made fast for a 100,000-row
    list (bench/matching.py times it with the matching). Column by column, with no Python loop over the rows of
    its own: each field's cells are normalised by one function, each distinct value of a field whose values repeat
    (names, sexes, dates) once."""
    index = {field: i for i, field in mapping.items()}
    empty = [""] * len(lines)

    def column(field: str) -> list[str]:
        i = index.get(field)
        return empty if i is None else cells[i]

    names = _each_once(_name, column("name"))
    raw_phones, raw_ids = column("phone"), column("id_number")
    phones, id_numbers = list(map(phone_key, raw_phones)), list(map(id_key, raw_ids))
    if {"building", "unit", "room"} & index.keys():
        doors = list(map(_door, zip(*map(column, ("building", "unit", "room", "address")), strict=True)))
    else:
        doors = list(map(_address_door, column("address")))
    unreadable = list(map(attrgetter("unreadable"), doors))
    # The few rows with a problem, found without a loop over every row in Python.
    every = range(len(lines))
    no_phone, no_id = set(compress(every, map(not_, phones))), set(compress(every, map(not_, id_numbers)))
    suspects = {i for i in no_phone if raw_phones[i]} | {i for i in no_id if raw_ids[i]}
    suspects.update(compress(every, unreadable))
    suspects.update(compress(every, map(MAX_NAME.__lt__, map(len, names))))
    suspects.update(no_phone.intersection(no_id, compress(every, map(not_, names))))
    problems: list[tuple[str, ...]] = [()] * len(lines)
    for i in suspects:
        problems[i] = _problems(names[i], phones[i], raw_phones[i], id_numbers[i], raw_ids[i], unreadable[i])
    return list(
        map(
            Fields,  # positionally, which costs least: Listed's fields, then door_text and problems
            lines,
            names,
            map(attrgetter("door"), doors),
            map(attrgetter("building"), doors),
            phones,
            id_numbers,
            _each_once(sex_key, column("sex")) if "sex" in index else repeat(""),
            _each_once(date_parts, column("birth_date")) if "birth_date" in index else repeat(None),
            repeat(None),  # the key and the probes, made by Listed.__post_init__
            repeat(""),
            repeat(""),
            map(attrgetter("text"), doors),
            problems,
        )
    )


def mapping_for(
    draft: Draft, choices: dict[int, str] | None = None, fields: tuple[str, ...] = columns.FIELDS
) -> dict[int, str]:
    return columns.apply_choices(draft.headers, choices or {}, fields)
