"""From the bytes of an uploaded file to a table of text cells, or a clear reason why not.

.xlsx through openpyxl (merged cells are filled with their top-left value, as a person reads them); .csv in UTF-8,
UTF-8 with a BOM or GBK (read as GB18030, its superset). The header row is found among the first rows by the
field names it holds: lists often start with a title ("11月24日核酸检测名单") and a blank line.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

from server.imports import columns
from server.imports.normalize import text

MAX_BYTES = 50 * 1024 * 1024  # a file of 50 MB or more is refused before it is parsed
MAX_ROWS = 100_000
HEADER_SEARCH_ROWS = 30  # the header row is looked for among this many first non-blank rows
MIN_HEADER_FIELDS = 2


class ImportProblem(Exception):
    """The file as a whole cannot be read. `code` picks the message shown to the person; `detail` fills it in."""

    def __init__(self, code: str, **detail: object) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(slots=True)
class Row:
    line: int  # the row's number as the spreadsheet program shows it (1-based), for messages
    cells: list[str]
    duplicate_of: int | None = None  # the line of an earlier row with the very same cells


@dataclass(slots=True)
class Table:
    headers: list[str]
    rows: list[Row]
    header_line: int
    mapping: dict[int, str]  # column index -> field, as detected
    blank_rows: int = 0
    sheet: str = ""
    notes: list[str] = field(default_factory=list)  # codes of things worth saying: "header_not_first", "merged"

    @property
    def duplicates(self) -> list[Row]:
        return [row for row in self.rows if row.duplicate_of is not None]


def read_table(data: bytes, filename: str = "") -> Table:
    """Read an .xlsx or .csv upload. Raises ImportProblem with a code for every way a file can be unusable."""
    if len(data) >= MAX_BYTES:
        raise ImportProblem("too_large", limit_mb=MAX_BYTES // (1024 * 1024))
    if not data.strip():
        raise ImportProblem("empty")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportProblem("old_excel")  # .xls (Excel 97-2003): openpyxl reads only .xlsx
    if data.startswith(b"PK\x03\x04"):
        lines, notes, sheet = _xlsx_lines(data)
    else:
        lines, notes, sheet = _csv_lines(data), [], ""
    return table_from_lines(lines, notes, sheet)


def table_from_lines(lines: list[list[str]], notes: list[str] | None = None, sheet: str = "") -> Table:
    """Header detection, blank and duplicate rows, from rows of cells (line numbers are positions + 1)."""
    notes = list(notes or [])
    filled = [(number, cells) for number, cells in enumerate(lines, start=1) if any(cells)]
    if not filled:
        raise ImportProblem("empty")
    header_line, headers = _find_header(filled)
    if header_line != filled[0][0]:
        notes.append("header_not_first")
    width = len(headers)
    rows: list[Row] = []
    seen: dict[tuple[str, ...], int] = {}
    for number, cells in enumerate(lines[header_line:], start=header_line + 1):
        cells = (cells + [""] * width)[:width] if len(cells) != width else cells
        if not any(cells):
            continue
        if cells == headers:
            continue  # a header repeated on each printed page
        row = Row(line=number, cells=cells)
        key = tuple(cells)
        if key in seen:
            row.duplicate_of = seen[key]
        else:
            seen[key] = number
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise ImportProblem("too_many_rows", limit=MAX_ROWS)
    if not rows:
        raise ImportProblem("no_rows")
    # Trailing blank rows (a sheet formatted far down) are no news; blank rows between people are.
    last = rows[-1].line
    blank = sum(1 for number in range(header_line + 1, last) if not any(lines[number - 1]))
    return Table(
        headers=headers,
        rows=rows,
        header_line=header_line,
        mapping=columns.detect(headers),
        blank_rows=blank,
        sheet=sheet,
        notes=notes,
    )


def _find_header(filled: list[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    best, best_score = 0, 0
    for position, (_, cells) in enumerate(filled[:HEADER_SEARCH_ROWS]):
        found = columns.score(cells)
        if found > best_score:
            best, best_score = position, found
    if best_score < MIN_HEADER_FIELDS:
        # No row names two known fields: the first row with two or more cells is the header, mapped by a person.
        best_line, best_cells = next(((n, c) for n, c in filled if sum(bool(x) for x in c) >= 2), filled[0])
        return best_line, _trim(best_cells)
    best_line, best_cells = filled[best]
    # A header over two rows: 紧急联系人 merged over 姓名 | 关系 | 电话 reads 紧急联系人姓名, 紧急联系人关系, ...
    for upper, lower in ((best - 1, best), (best, best + 1)):
        if upper < 0 or lower >= len(filled) or filled[lower][0] != filled[upper][0] + 1:
            continue
        combined = _two_row_header(filled[upper][1], filled[lower][1])
        if combined is not None and columns.score(combined) > best_score:
            best_line, best_cells, best_score = filled[lower][0], combined, columns.score(combined)
    return best_line, _trim(best_cells)


def _two_row_header(upper: list[str], lower: list[str]) -> list[str] | None:
    """The two rows as one header, if the upper one groups columns of the lower one: a merged title (filled into
    each of its cells) over two or more different sub-headers. A title over the whole table is no group."""
    width = max(len(upper), len(lower))
    upper, lower = upper + [""] * (width - len(upper)), lower + [""] * (width - len(lower))
    if len({cell for cell in upper if cell}) < 2:
        return None
    grouped = any(
        upper[i] and upper[i] == upper[i + 1] and lower[i] and lower[i + 1] and lower[i] != lower[i + 1]
        for i in range(width - 1)
    )
    if not grouped:
        return None
    return [u + d if u and d and u != d else d or u for u, d in zip(upper, lower, strict=True)]


def _trim(cells: list[str]) -> list[str]:
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _xlsx_lines(data: bytes) -> tuple[list[list[str]], list[str], str]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # Not read-only: merged ranges are only known to a fully loaded sheet. data_only: values, not formulas.
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise ImportProblem("not_a_spreadsheet") from None
    sheet = _first_sheet_with_data(workbook)
    notes = []
    values = [[text(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    merged = list(sheet.merged_cells.ranges)
    if merged:
        notes.append("merged")
    for cell_range in merged:
        top = values[cell_range.min_row - 1][cell_range.min_col - 1] if cell_range.min_row <= len(values) else ""
        for r in range(cell_range.min_row, min(cell_range.max_row, len(values)) + 1):
            line = values[r - 1]
            for c in range(cell_range.min_col, cell_range.max_col + 1):
                if c <= len(line):
                    line[c - 1] = top
    title = sheet.title
    workbook.close()
    return values, notes, title


def _first_sheet_with_data(workbook):
    for sheet in workbook.worksheets:
        if sheet.max_row > 1 or sheet.max_column > 1 or sheet.cell(1, 1).value is not None:
            return sheet
    return workbook.worksheets[0]


def _csv_lines(data: bytes) -> list[list[str]]:
    sample = data[:4096]
    if b"\x00" in sample:
        raise ImportProblem("not_a_spreadsheet")  # a binary file (a picture, a PDF's stream, UTF-16 text)
    decoded = _decode(data)
    if decoded.lstrip().startswith(("%PDF", "<!DOCTYPE", "<html", "<?xml")):
        raise ImportProblem("not_a_spreadsheet")
    try:
        dialect = csv.Sniffer().sniff(decoded[:4096], delimiters=",\t;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(decoded, newline=""), delimiter=delimiter)
    try:
        lines = [[text(cell) for cell in line] for line in reader]
    except csv.Error:
        raise ImportProblem("not_a_spreadsheet") from None
    if not any(len([c for c in line if c]) >= 2 for line in lines):
        raise ImportProblem("not_a_spreadsheet")  # one column of free text is not a list of people
    return lines


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # GBK and GB2312 lists, as Excel in China saves them
    except UnicodeDecodeError:
        raise ImportProblem("not_a_spreadsheet") from None
