"""An upload between its preview and its saving, with the rows checked field by field.

Nothing is stored before a person confirms: the preview page carries the table it was made from (compressed, in a
hidden field), and the confirming request brings it back. The server reads it again as untrusted input, exactly as
it read the file, so a tampered draft can do nothing a crafted file could not.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass

import msgspec

from server.imports import columns
from server.imports.normalize import (
    building_number,
    door_from_parts,
    door_key,
    id_key,
    name_key,
    phone_key,
    sex_key,
    text,
)
from server.imports.reader import MAX_BYTES, MAX_ROWS, ImportProblem, Table, read_table


class DraftRow(msgspec.Struct, array_like=True):
    line: int
    cells: list[str]
    duplicate_of: int | None = None


class Draft(msgspec.Struct, kw_only=True):
    filename: str
    sheet: str = ""
    headers: list[str]
    header_line: int
    blank_rows: int = 0
    notes: list[str] = []
    rows: list[DraftRow]


def draft_of(table: Table, filename: str) -> Draft:
    # Some browsers send the whole path ("C:\\Users\\...\\名单.xlsx"): the name alone is the title.
    filename = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return Draft(
        filename=filename[:128],
        sheet=table.sheet,
        headers=table.headers,
        header_line=table.header_line,
        blank_rows=table.blank_rows,
        notes=table.notes,
        rows=[DraftRow(row.line, row.cells, row.duplicate_of) for row in table.rows],
    )


def read_upload(data: bytes, filename: str) -> Draft:
    """Raises ImportProblem (empty, too large, not a spreadsheet, ...) with nothing stored."""
    return draft_of(read_table(data, filename), filename or "list")


def encode(draft: Draft) -> str:
    return base64.urlsafe_b64encode(zlib.compress(msgspec.json.encode(draft), 6)).decode()


def decode(token: str) -> Draft:
    """The draft a preview page carried; a damaged one is refused, and one can never unpack past the size limit."""
    try:
        packed = base64.urlsafe_b64decode(token.encode())
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_BYTES)
        if inflater.unconsumed_tail:
            raise ImportProblem("too_large", limit_mb=MAX_BYTES // (1024 * 1024))
        draft = msgspec.json.decode(raw, type=Draft)
    except (binascii.Error, zlib.error, msgspec.DecodeError, msgspec.ValidationError, ValueError):
        raise ImportProblem("draft_damaged") from None
    if len(draft.rows) > MAX_ROWS:  # the same limits as a file, for a draft made by hand
        raise ImportProblem("too_many_rows", limit=MAX_ROWS)
    return draft


class Column(msgspec.Struct, kw_only=True):
    """A column as a preview's mapping step shows it: its header, the field it holds, a value from the first row."""

    index: int
    header: str
    field: str | None
    sample: str = ""


def columns_of(draft: Draft, mapping: dict[int, str]) -> list[Column]:
    samples = draft.rows[0].cells if draft.rows else []
    return [
        Column(index=i, header=h, field=mapping.get(i), sample=samples[i] if i < len(samples) else "")
        for i, h in enumerate(draft.headers)
    ]


@dataclass(slots=True)
class Fields:
    """A row read through the mapping, normalised for matching; `problems` are codes a person should see."""

    line: int
    name: str = ""
    sex: str = ""
    phone: str = ""
    id_number: str = ""
    door: str | None = None
    door_text: str = ""
    building: int | None = None
    problems: tuple[str, ...] = ()


def read_fields(row: DraftRow, mapping: dict[int, str]) -> Fields:
    values = {field: text(row.cells[index]) if index < len(row.cells) else "" for index, field in mapping.items()}
    problems = []
    phone = phone_key(values.get("phone", ""))
    if values.get("phone") and not phone:
        problems.append("phone_unreadable")
    id_number = id_key(values.get("id_number", ""))
    if values.get("id_number") and not id_number:
        problems.append("id_unreadable")
    parts = [values.get(f, "") for f in ("building", "unit", "room")]
    door_text = " ".join(p for p in parts if p) or values.get("address", "")
    door = door_from_parts(*parts) if any(parts) else None
    if door is None and values.get("address"):
        door = door_key(values["address"])
    building = building_number(values["building"]) if values.get("building") else None
    if building is None and door:
        building = int(door.split("-")[0])
    if door_text and door is None and building is None:
        problems.append("door_unreadable")
    name = name_key(values.get("name", ""))
    if not (name or phone or id_number):
        problems.append("cannot_identify")
    return Fields(
        line=row.line,
        name=name,
        sex=sex_key(values.get("sex", "")),
        phone=phone,
        id_number=id_number,
        door=door,
        door_text=door_text[:128],
        building=building,
        problems=tuple(problems),
    )


def mapping_for(
    draft: Draft, choices: dict[int, str] | None = None, fields: tuple[str, ...] = columns.FIELDS
) -> dict[int, str]:
    return columns.apply_choices(draft.headers, choices or {}, fields)
