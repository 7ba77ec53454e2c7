"""Files people download: spreadsheets of a sweep, the register or a reconciliation. One way to make them, safe
whatever a cell holds.

Names and notes reach these files from anyone with a join code, and from uploaded lists. A spreadsheet must show
them, never run them: in .xlsx every text is a text cell (openpyxl makes a string that starts with "=" a formula,
and "#N/A" an error value); in .csv, where a cell has no type, a text that starts with = + - @ tab or carriage return
gets a leading apostrophe, as OWASP advises for CSV injection. Numbers stay numbers, negative ones too: only text is
neutralised, so a basement floor (-1) is still -1. Characters that XML forbids are dropped, texts are cut to what
Excel holds, and sheet titles are made valid (Excel forbids [ ] : * ? / \\, blank titles and more than 31
characters; every title in a workbook differs).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

from litestar.response import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from server.text import clean_text as without_format

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What XML 1.0 cannot carry (an .xlsx is XML; openpyxl refuses these with an error): control characters other than
# tab, line feed and carriage return, and the two non-characters.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CONTROL = re.compile("[\x00-\x1f\x7f]")
CELL_MAX = 32_767  # characters in one Excel cell
TITLE_MAX = 31  # characters in a sheet title, counted as Excel does (UTF-16 units)
# Spreadsheets read a text starting with one of these as a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Forbidden in sheet titles and file names: the full-width form of each reads the same and is allowed.
_FULL_WIDTH = str.maketrans(
    {
        "/": "／",
        "\\": "＼",
        ":": "：",
        "*": "＊",
        "?": "？",
        "[": "［",
        "]": "］",
        '"': "＂",
        "<": "＜",
        ">": "＞",
        "|": "｜",
    }
)
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"


def attachment(body: bytes, filename: str, media_type: str = XLSX) -> Response:
    """A download with its (Chinese) file name kept: RFC 5987 encoding, which every current browser reads."""
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(safe_filename(filename), safe='')}"},
    )


def safe_filename(name: str) -> str:
    """A file name every system takes: a sweep called 12/7扫楼 downloads as 12／7扫楼.xlsx, not as a folder."""
    text = _CONTROL.sub(" ", name).translate(_FULL_WIDTH).strip().strip(".")
    return text[:150] or "export"


_LIST_EXTENSION = re.compile(r"\.(xlsx|xlsm|xls|csv|txt)$", re.IGNORECASE)


def list_name(filename: str) -> str:
    """A list's name without its file's extension: 11月24日名单.csv is 11月24日名单 when it names a sweep or a
    download (a revisit sweep of it downloaded as 复查：11月24日名单.csv.csv). A name with no such extension (a person
    sweep's, 12.7名单) is kept whole."""
    return _LIST_EXTENSION.sub("", filename.strip()) or filename


def sheet_title(title: str, taken: Iterable[str] = ()) -> str:
    """A sheet title Excel opens: forbidden characters in their full-width form, no apostrophe at either end, not
    blank, not Excel's reserved "History", at most 31 characters, and unlike every title in `taken` (Excel
    compares them ignoring case)."""
    text = re.sub(r"\s+", " ", _CONTROL.sub(" ", title)).translate(_FULL_WIDTH).strip().strip("'").strip()
    if not text or text.casefold() == "history":
        text = f"{text or 'Sheet'} 1"
    used = {t.casefold() for t in taken}
    candidate, n = _cut(text, TITLE_MAX), 1
    while candidate.casefold() in used:
        n += 1
        suffix = f" ({n})"
        candidate = _cut(text, TITLE_MAX - len(suffix)) + suffix
    return candidate


def _cut(text: str, units: int) -> str:
    """At most `units` UTF-16 code units (how Excel counts), never half a character; no apostrophe at the end."""
    while len(text.encode("utf-16-le")) // 2 > units:
        text = text[:-1]
    return text.rstrip().rstrip("'")


_LINE_SEPARATORS = str.maketrans({"\u2028": "\n", "\u2029": "\n", "\x85": "\n"})


def clean_text(value: object) -> str:
    """A value as text an .xlsx can hold: characters XML forbids dropped, cut to Excel's limit. Cleaned as a note
    is where text comes in (server/text.py), for text stored before that was done: a bidi override in a name would
    reorder the rest of its row in a .csv read as text, and the cells after it in some viewers; U+2028 would end a
    row's line in a text viewer but not in a spreadsheet."""
    return _NOT_XML.sub("", without_format(str(value)).translate(_LINE_SEPARATORS))[:CELL_MAX]


def csv_cell(value: object) -> object:
    """A value for a .csv: a text that a spreadsheet would read as a formula starts with an apostrophe (OWASP);
    numbers are left alone; times are written as the community's clock gave them (the caller converts)."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    text = clean_text(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _xlsx_cell(sheet, value: object) -> object:
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime | date):
        if isinstance(value, datetime) and value.tzinfo is not None:
            raise ValueError("give spreadsheet times on the community's clock, without a time zone")
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT
        return cell
    text = clean_text(value)
    cell = WriteOnlyCell(sheet, text)
    # openpyxl made a text starting with "=" a formula (and "#N/A" an error): it is a text, always.
    cell.data_type = "s"
    if text.startswith(FORMULA_START):
        cell.quotePrefix = True  # and stays one if someone edits the cell in Excel
    return cell


def xlsx(sheets: Iterable[tuple[str, Iterable[Sequence]]]) -> bytes:
    """A workbook of (sheet title, rows) pairs; openpyxl's write-only mode keeps memory flat for long sheets. Text
    cells are text, times are Excel times (on the community's clock: the caller converts), titles are made valid."""
    book = Workbook(write_only=True)
    taken: list[str] = []
    for title, rows in sheets:
        sheet = book.create_sheet(sheet_title(title, taken))
        taken.append(sheet.title)
        for row in rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: Iterable[Sequence]) -> bytes:
    """CSV in UTF-8 with a BOM, so that Excel opens the Chinese correctly; every cell through csv_cell."""
    out = io.StringIO()
    # Every text quoted: a spreadsheet set to split on ";" or "|" (Excel in many locales) keeps "a;=HYPERLINK(..)"
    # one text cell, where unquoted it split it and read the second part as a formula (issue 15). Numbers stay bare.
    csv.writer(out, quoting=csv.QUOTE_NONNUMERIC).writerows([csv_cell(value) for value in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode()
