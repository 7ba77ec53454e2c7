"""From the bytes of an uploaded file to a table of text cells, or a clear reason why not.

.xlsx in streaming mode (server.imports.xlsx: merged cells are filled with their top-left value, as a person reads
them); .csv in UTF-8, UTF-8 with a BOM, UTF-16 with a BOM or without, GBK (read as GB18030, its superset) or Big5
(when GBK would read it as rare characters). Both within the
limits of server.imports.limits, checked as the file is read. The header row is found among the first rows by the
field names it holds: lists often start with a title ("11月24日核酸检测名单") and a blank line.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from server.imports import columns
from server.imports.limits import (
    MAX_BYTES,
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_LINE,
    MAX_ROWS,
    MAX_TEXT,
    ImportProblem,
)
from server.imports.normalize import cell as read_cell
from server.imports.xlsx import SEP, read_xlsx

__all__ = ["MAX_BYTES", "MAX_ROWS", "ImportProblem", "Row", "Table", "read_table", "table_from_lines"]

ABOVE_LINES, ABOVE_CHARS = 3, 200  # what is kept of the lines above the header
HEADER_SEARCH_ROWS = 30  # the header row is looked for among this many first non-blank rows
MIN_HEADER_FIELDS = 2
# A row of a .csv longer than this is refused before the csv module splits it: its cells would all be in memory at
# once (a 20 MB line of commas is ten million of them). 100 columns of 10,000 characters fit.
MAX_ROW_CHARS = 1_000_000
_NEWLINE = re.compile(r"\r\n?|\n")


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
    # The first lines above the header, cells joined, cut short: a title, or the register export's line saying
    # when it was made (server.register.changes).
    above: list[str] = field(default_factory=list)

    @property
    def duplicates(self) -> list[Row]:
        return [row for row in self.rows if row.duplicate_of is not None]


def read_table(data: bytes, filename: str = "") -> Table:
    """Read an .xlsx or .csv upload. Raises ImportProblem with a code for every way a file can be unusable."""
    if len(data) >= MAX_BYTES:  # the caller reads at most MAX_BYTES: a file of that size may be longer
        raise ImportProblem("too_large", limit_mb=MAX_BYTES // (1024 * 1024))
    if not data.strip():
        raise ImportProblem("empty")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportProblem("old_excel")  # .xls (Excel 97-2003): openpyxl reads only .xlsx
    if data.startswith(b"PK\x03\x04"):
        lines, notes, sheet = read_xlsx(data)
    else:
        lines, notes, sheet = _csv_lines(data), [], ""
    return table_from_lines(lines, notes, sheet)


def table_from_lines(lines: list[str], notes: list[str] | None = None, sheet: str = "") -> Table:
    """Header detection, blank and duplicate rows, from packed rows (SEP between cells; line numbers are positions
    + 1). Rows become lists of cells only once the file is known to be within every limit: one refused holds none."""
    notes = list(notes or [])
    filled = [(number, packed) for number, packed in enumerate(lines, start=1) if packed.strip(SEP)]
    if not filled:
        raise ImportProblem("empty")
    header_line, headers = _find_header(filled)
    if header_line != filled[0][0]:
        notes.append("header_not_first")
    width = len(headers)

    def people() -> Iterator[tuple[int, list[str]]]:
        for number, packed in enumerate(lines[header_line:], start=header_line + 1):
            if not packed:
                continue
            cells = packed.split(SEP)
            cells = (cells + [""] * width)[:width] if len(cells) != width else cells
            if any(cells) and cells != headers:  # blank, or a header repeated on each printed page
                yield number, cells

    if sum(1 for _ in people()) > MAX_ROWS:  # counted before the rows are made: one at a time
        raise ImportProblem("too_many_rows", limit=MAX_ROWS)
    rows: list[Row] = []
    seen: dict[tuple[str, ...], int] = {}
    for number, cells in people():
        row = Row(line=number, cells=cells)
        key = tuple(cells)
        if key in seen:
            row.duplicate_of = seen[key]
        else:
            seen[key] = number
        rows.append(row)
    if not rows:
        raise ImportProblem("no_rows")
    # Trailing blank rows (a sheet formatted far down) are no news; blank rows between people are.
    last = rows[-1].line
    blank = sum(1 for number in range(header_line + 1, last) if not lines[number - 1].strip(SEP))
    return Table(
        headers=headers,
        rows=rows,
        header_line=header_line,
        mapping=columns.detect(headers),
        blank_rows=blank,
        sheet=sheet,
        notes=notes,
        above=[
            " ".join(packed.split(SEP)).strip()[:ABOVE_CHARS] for n, packed in filled[:ABOVE_LINES] if n < header_line
        ],
    )


def _find_header(packed: list[tuple[int, str]]) -> tuple[int, list[str]]:
    filled = [(number, line.split(SEP)) for number, line in packed[: HEADER_SEARCH_ROWS + 1]]
    best, best_score = 0, 0
    for position, (_, cells) in enumerate(filled[:HEADER_SEARCH_ROWS]):
        found = columns.score(cells)
        if found > best_score:
            best, best_score = position, found
    if best_score < MIN_HEADER_FIELDS:
        # No row names two known fields: the first row with two or more cells is the header, mapped by a person.
        rows = ((n, line.split(SEP)) for n, line in packed)
        best_line, best_cells = next(((n, c) for n, c in rows if sum(bool(x) for x in c) >= 2), filled[0])
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


def _csv_lines(data: bytes) -> list[str]:
    """Rows packed as .xlsx rows are (SEP between cells: a .csv holding one is refused)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 with its byte order mark: Excel's "Unicode text" and WPS's UTF-16 CSV (a stranger's walk of
        # issue 15: told it was not a spreadsheet). Every other character is a NUL in its bytes, none in its text.
        try:
            decoded = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportProblem("unknown_encoding") from None
        if "\x00" in decoded:
            raise ImportProblem("not_a_spreadsheet")
    elif b"\x00" in data:
        decoded = _utf16_unmarked(data)  # UTF-16 some programs save without its mark (a stranger's walk of issue 15)
        if decoded is None:
            raise ImportProblem("not_a_spreadsheet")  # a binary file (a picture, a PDF's stream)
    else:
        decoded = _decode(data)
    if decoded[:4096].lstrip().startswith(("%PDF", "<!DOCTYPE", "<html", "<?xml")):
        raise ImportProblem("not_a_spreadsheet")
    try:
        dialect = csv.Sniffer().sniff(decoded[:4096], delimiters=",\t;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    source = _PhysicalLines(decoded, delimiter)
    lines: list[str] = []
    cells = characters = 0
    wide = False  # a row of two or more cells: one column of free text is not a list of people
    try:
        for number, raw in enumerate(csv.reader(source, delimiter=delimiter), start=1):
            # Excel's own limit a cell, as an .xlsx's cells have it (a 40,000-character name came back whole in
            # the preview); only a row that long can hold such a cell, so most rows cost no look.
            if source.row_chars > MAX_CELL_CHARS and max(map(len, raw), default=0) > MAX_CELL_CHARS:
                raise ImportProblem("cell_too_long", limit=MAX_CELL_CHARS)
            source.row_chars = 0
            line = [read_cell(value) for value in raw]
            while line and not line[-1]:
                line.pop()  # a row padded with empty cells to the sheet's width (or a line of commas)
            if not line:
                if number <= MAX_LINE:
                    lines.append("")
                continue
            if number > MAX_LINE:
                raise ImportProblem("too_many_rows", limit=MAX_LINE)
            if len(line) > MAX_COLUMNS:
                raise ImportProblem("too_many_columns", limit=MAX_COLUMNS)
            cells += sum(1 for cell in line if cell)
            characters += sum(map(len, line))
            if cells > MAX_CELLS or characters > MAX_TEXT:
                raise ImportProblem("too_much_text", cells=MAX_CELLS, characters=MAX_TEXT)
            wide = wide or sum(1 for cell in line if cell) >= 2
            lines.append(SEP.join(line))
    except csv.Error as error:
        if "field larger than field limit" in str(error):  # a quoted cell of 131,072 characters and more
            raise ImportProblem("cell_too_long", limit=MAX_CELL_CHARS) from None
        raise ImportProblem("not_a_spreadsheet") from None
    if not wide:
        raise ImportProblem("not_a_spreadsheet")  # one column of free text is not a list of people
    return lines


class _PhysicalLines:
    """The text's lines one at a time, for csv.reader (a copy of the whole text split in lines would cost ten times
    its size); refuses a row (one or more lines: a quoted cell may hold line breaks) past MAX_ROW_CHARS."""

    def __init__(self, decoded: str, delimiter: str = ",") -> None:
        self.text = decoded
        self.delimiter = delimiter
        self.position = 0
        self.row_chars = 0  # set back to 0 by the reader after each row

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        start = self.position
        if start >= len(self.text):
            raise StopIteration
        found = _NEWLINE.search(self.text, start)
        self.position = found.end() if found else len(self.text)
        self.row_chars += self.position - start
        if self.row_chars > MAX_ROW_CHARS:
            # The limit the row passed, said as it is: too many cells, or else text too long for a row (a 20 MB
            # line of one cell was told it had more than 100 columns).
            row_start = self.position - self.row_chars
            if self.text.count(self.delimiter, row_start, self.position) >= MAX_COLUMNS:
                raise ImportProblem("too_many_columns", limit=MAX_COLUMNS)
            raise ImportProblem("row_too_long", limit=MAX_ROW_CHARS)
        return self.text[start : self.position]


def _utf16_unmarked(data: bytes) -> str | None:
    """Text in UTF-16 without its byte order mark, little or big endian, or None: lines of text, with no control
    character a picture's or a program's bytes would give."""
    if len(data) % 2:
        return None
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            decoded = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = decoded[:65536]
        if "\n" in sample and not any(
            unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") and c not in "\t\r\n" for c in sample
        ):
            return decoded
    return None


# Big5 (a list saved in Hong Kong or Taiwan) is read without error as GBK, into other characters. In GBK a common
# character's second byte is 0xA1 or above (GB2312's area); a Big5 text's are a third to a half below it, and GBK
# reads those as rare characters. Past this share of rare ones, a text that is also valid Big5 is read as Big5.
_BIG5_SHARE = 0.2


def _big5_read_as_gbk(data: bytes, decoded: str) -> bool:
    wide = [c.encode("gb18030") for c in decoded[:20000] if ord(c) > 0x7F]
    wide = [b for b in wide if len(b) == 2]
    if len(wide) < 4 or sum(1 for b in wide if b[1] < 0xA1) < _BIG5_SHARE * len(wide):
        return False
    try:
        data.decode("big5")
    except UnicodeDecodeError:
        return False
    return True


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        decoded = data.decode("gb18030")  # GBK and GB2312 lists, as Excel in China saves them
        return data.decode("big5") if _big5_read_as_gbk(data, decoded) else decoded
    except UnicodeDecodeError:
        # Text, but in neither: "not a spreadsheet" sent people looking for another file when saving it again
        # as CSV UTF-8 was all it needed.
        raise ImportProblem("unknown_encoding") from None
