"""An .xlsx read in streaming mode, within the limits of server.imports.limits, or refused with a reason.

An .xlsx is a zip of XML parts. Before anything is unpacked, the zip's directory: at most MAX_PARTS parts, their
declared sizes at most MAX_UNPACKED together (zipfile never unpacks more than a part declares: a part holding more
fails its CRC check), compressed as Excel does, none packed past MAX_RATIO (a bomb of repeated cells). Then each
part that is read streams through expat 64 KB at a time:
- a DTD is refused where it starts. An .xlsx never has one, and a DTD is how XML attacks: entities that read the
  server's files (XXE) or grow a few bytes into gigabytes ("billion laughs");
- cells are counted as they come, and the first one past a limit stops the reading;
- the work of the whole file is counted too (limits.MAX_READ, MAX_ELEMENTS, MAX_CELLS_SEEN), and each part is read
  at most once, however often the workbook lists it.
What is kept is the first sheet's values, as text, one row at a time packed into one string (cells joined by NUL,
which no XML holds): 4 bytes a character at worst and one object a row, where a list of cells cost ~60 bytes more a
cell. A file refused at its last cell thus never held its rows as objects (1.5 million cells of emoji took 200 MB).
Formats only say which numbers are dates.

Why not openpyxl's reader: it builds a whole row before looking at it (a row of two million cells took 6 GB),
keeps every row's formatting, forgets merged cells in its read-only mode, and took 5 times as long over a
100,000-row list. Its helpers still turn Excel's numbers into dates as openpyxl always did.
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from array import array
from collections.abc import Callable
from xml.parsers import expat

from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel, from_ISO8601

from server.imports.limits import (
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_CELLS_SEEN,
    MAX_COLUMNS,
    MAX_ELEMENTS,
    MAX_HELD,
    MAX_LINE,
    MAX_PARTS,
    MAX_RATIO,
    MAX_READ,
    MAX_STYLES,
    MAX_TEXT,
    MAX_UNPACKED,
    RATIO_CHECKED_FROM,
    ImportProblem,
)
from server.imports.normalize import cell as read_cell

CHUNK = 64 * 1024
SEP = "\x00"  # between the cells of a packed row: XML 1.0 cannot hold it, so no cell does
_END = struct.Struct("<4s4H2LH")  # the zip's end record: where its directory is, how large, how many parts
_END_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
MAX_DIRECTORY = 1024 * 1024  # a directory of MAX_PARTS parts with long names is ~100 KB
_UNREADABLE = (
    zipfile.BadZipFile,  # also a part that holds more than it declares (CRC)
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    KeyError,
    ValueError,  # also UnicodeDecodeError, and a number or reference that is none
    IndexError,  # a shared string that is not there
    NotImplementedError,  # a compression zipfile does not know
    RuntimeError,  # an encrypted part
    OverflowError,
    expat.ExpatError,
    struct.error,
)


def read_xlsx(data: bytes) -> tuple[list[str], list[str], str]:
    """The first sheet holding something: its rows of text, each packed (SEP between cells; row n at position n - 1),
    notes ("merged"), its name."""
    try:
        archive = _open_archive(data)
        with archive:
            return _Workbook(archive).first_sheet_with_data()
    except _UNREADABLE:
        raise ImportProblem("not_a_spreadsheet") from None


def _open_archive(data: bytes) -> zipfile.ZipFile:
    """The zip, once its directory is known to be small and its parts to unpack within MAX_UNPACKED."""
    end = len(data) - _END.size
    if end < 0:
        raise ImportProblem("not_a_spreadsheet")
    if data[end : end + 4] != _END_SIGNATURE:  # as zipfile looks for it: at the very end, else before a comment
        end = data.rfind(_END_SIGNATURE, max(0, len(data) - 65536 - _END.size))
    if end < 0:
        raise ImportProblem("not_a_spreadsheet")
    _, _, _, _, parts, directory, _, _ = _END.unpack_from(data, end)
    if end >= 20 and data[end - 20 : end - 16] == _ZIP64_LOCATOR:
        raise ImportProblem("unpacked_too_large")  # only zips of over 65,535 parts or 4 GB need the zip64 record
    if parts > MAX_PARTS or directory > MAX_DIRECTORY:  # a directory past 1 MB is one of very many parts
        raise ImportProblem("too_many_parts", limit=MAX_PARTS)
    archive = zipfile.ZipFile(io.BytesIO(data))
    infos = archive.infolist()
    if len(infos) > MAX_PARTS:
        archive.close()
        raise ImportProblem("too_many_parts", limit=MAX_PARTS)
    if sum(info.file_size for info in infos) > MAX_UNPACKED:
        archive.close()
        raise ImportProblem("unpacked_too_large")
    if any(info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for info in infos):
        archive.close()
        raise ImportProblem("not_a_spreadsheet")
    if any(
        info.file_size > RATIO_CHECKED_FROM and info.file_size > MAX_RATIO * min(info.compress_size, len(data))
        for info in infos
    ):
        archive.close()
        # A bomb of empty or repeated cells: refused before it is unpacked, and said so (a stranger's review of
        # issue 15: it read "too big or too complex", the words of a reader out of memory).
        raise ImportProblem("packed_too_tightly")
    return archive


def _refuse_dtd(*_: object) -> None:
    raise ImportProblem("unsafe_xml")


def _too_much_work() -> ImportProblem:
    return ImportProblem("too_much_work", cells=MAX_CELLS_SEEN)


class _Work:
    """What reading one file has cost so far, against the limits of the whole file: bytes unpacked and parsed, XML
    elements, cells seen (empty ones too). The sheet and the shared strings count their own elements (the hot path);
    the small parts' are counted by `_stream`."""

    def __init__(self) -> None:
        self.read = 0
        self.elements = 0
        self.cells = 0
        self.parts: set[str] = set()  # read already: a part is read once, however often it is listed

    def counting(self, start: Callable[[str, dict[str, str]], None]) -> Callable[[str, dict[str, str]], None]:
        def counted(tag: str, attrs: dict[str, str]) -> None:
            self.elements += 1
            if self.elements > MAX_ELEMENTS:
                raise _too_much_work()
            start(tag, attrs)

        return counted


def _stream(
    archive: zipfile.ZipFile,
    work: _Work,
    name: str,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
    characters: Callable[[str], None] | None = None,
    *,
    counts_elements: bool = False,
) -> None:
    """Parse one part as it unpacks. The handlers get element names as written: `local` drops a prefix."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.StartElementHandler = start if counts_elements else work.counting(start)
    if end is not None:
        parser.EndElementHandler = end
    if characters is not None:
        parser.CharacterDataHandler = characters
    work.parts.add(name)
    if work.read + archive.getinfo(name).file_size > MAX_READ:
        raise _too_much_work()  # refused where its reading would have been, before it starts
    fed = 0
    with archive.open(name) as part:
        while chunk := part.read(CHUNK):
            work.read += len(chunk)
            if work.read > MAX_READ:
                raise _too_much_work()
            parser.Parse(chunk, False)
            fed += len(chunk)
            # expat stopped where its last event began (-1 before any): what follows is a token not yet closed,
            # which it parses again from its start with each chunk (limits.MAX_HELD). Not "bytes since the last
            # '>'": an attribute's value or a comment may hold '>' and still be one token.
            if fed - max(parser.CurrentByteIndex, 0) > MAX_HELD:
                raise ImportProblem("tag_too_long", limit=MAX_HELD)
    parser.Parse(b"", True)


def local(tag: str) -> str:
    """ "x:row" -> "row": Excel writes no prefix on a sheet's elements, some programs do."""
    return tag[tag.find(":") + 1 :]


def _relationships(archive: zipfile.ZipFile, work: _Work, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id -> (type's last word, path of the target in the zip)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    found: dict[str, tuple[str, str]] = {}
    if rels not in archive.NameToInfo:
        return found

    def start(tag: str, attrs: dict[str, str]) -> None:
        if local(tag) == "Relationship" and attrs.get("TargetMode") != "External" and len(found) < MAX_PARTS:
            target = attrs.get("Target", "")
            path = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            found[attrs.get("Id", "")] = (attrs.get("Type", "").rsplit("/", 1)[-1], path)

    _stream(archive, work, rels, start)
    return found


class _Workbook:
    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.work = _Work()
        root = _relationships(archive, self.work, "")
        self.path = next((path for kind, path in root.values() if kind == "officeDocument"), "xl/workbook.xml")
        self.sheets: list[tuple[str, str]] = []  # (name, relationship id), in the workbook's order
        self.epoch = WINDOWS_EPOCH
        _stream(archive, self.work, self.path, self._workbook_element)
        self.parts = _relationships(archive, self.work, self.path)
        self.strings = _Strings()
        self.dates: set[int] = set()  # cell formats that show a number as a date
        self.durations: set[int] = set()  # ... as a duration ([h]:mm)
        for kind, path in self.parts.values():
            if path in self.work.parts:
                continue  # listed twice
            if kind == "sharedStrings":
                self.strings = _shared_strings(archive, self.work, path)
            elif kind == "styles":
                self.dates, self.durations = _date_styles(archive, self.work, path)

    def _workbook_element(self, tag: str, attrs: dict[str, str]) -> None:
        tag = local(tag)
        if tag == "sheet" and len(self.sheets) < MAX_PARTS:
            relation = next((v for k, v in attrs.items() if k.endswith(":id") or k == "id"), "")
            self.sheets.append((attrs.get("name", ""), relation))
        elif tag == "workbookPr" and attrs.get("date1904", "").lower() in ("1", "true"):
            self.epoch = MAC_EPOCH

    def first_sheet_with_data(self) -> tuple[list[str], list[str], str]:
        worksheets = [
            (name, self.parts[rid][1]) for name, rid in self.sheets if self.parts.get(rid, ("",))[0] == "worksheet"
        ]
        if not worksheets:
            raise ImportProblem("not_a_spreadsheet")
        for name, path in worksheets:
            if path in self.work.parts:
                continue  # a sheet listed again: read once (a workbook listing one part 20 times took 17 s)
            sheet = _Sheet(self)
            try:
                _stream(self.archive, self.work, path, sheet.start, sheet.end, sheet.characters, counts_elements=True)
            finally:
                sheet.close()
            if sheet.lines:
                return sheet.lines, ["merged"] if sheet.merged else [], name
        return [], [], worksheets[0][0]


def _shared_strings(archive: zipfile.ZipFile, work: _Work, path: str) -> _Strings:
    """Every shared string (what most text cells point to), within the limits on cells and text."""
    strings = _Strings()
    strings.elements_left = MAX_ELEMENTS - work.elements
    _stream(archive, work, path, strings.start, strings.end, strings.characters, counts_elements=True)
    work.elements = MAX_ELEMENTS - strings.elements_left
    strings.close()
    return strings


class _Strings:
    """The shared strings, packed: a block of text per 4,096 strings and where each starts. A table of a million
    distinct short strings, none of them used by a cell, would otherwise cost ~80 MB of string objects."""

    BLOCK = 4096

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.starts = array("L")
        self.pending: list[str] = []  # the strings of the block being filled
        self.offset = 0
        self.count = 0
        self.parts: list[str] = []
        self.in_item = self.keep = self.phonetic = False
        self.size = self.total = 0
        self.elements_left = MAX_ELEMENTS
        self.recent: dict[int, str] = {}  # strings already looked up: 男, 女, 2号楼 are on every other row

    def __getitem__(self, index: int) -> str:
        found = self.recent.get(index)
        if found is None:
            if not 0 <= index < self.count:
                raise IndexError(index)
            block, start = index // self.BLOCK, self.starts[index]
            end = self.starts[index + 1] if (index + 1) % self.BLOCK and index + 1 < self.count else None
            found = self.blocks[block][start:end]
            if len(self.recent) < 65_536:
                self.recent[index] = found
        return found

    def close(self) -> None:
        if self.pending:
            self.blocks.append("".join(self.pending))
            self.pending.clear()

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.elements_left -= 1
        if self.elements_left < 0:
            raise _too_much_work()
        tag = local(tag)
        if tag == "si":
            if self.count >= MAX_CELLS:
                raise ImportProblem("too_much_text", cells=MAX_CELLS, characters=MAX_TEXT)
            self.parts.clear()
            self.in_item, self.size = True, 0
        elif tag == "t":
            self.keep = self.in_item and not self.phonetic
        elif tag == "rPh":  # how Japanese text is pronounced: not part of the text
            self.phonetic = True

    def end(self, tag: str) -> None:
        tag = local(tag)
        if tag == "t":
            self.keep = False
        elif tag == "rPh":
            self.phonetic = False
        elif tag == "si":
            self.in_item = False
            item = "".join(self.parts).replace("x005F_", "")  # an escaped "_", as openpyxl reads it
            if self.count % self.BLOCK == 0:
                self.close()
                self.offset = 0
            self.starts.append(self.offset)
            self.pending.append(item)
            self.offset += len(item)
            self.count += 1

    def characters(self, data: str) -> None:
        if self.keep:
            self.size += len(data)
            self.total += len(data)
            if self.size > MAX_CELL_CHARS:
                raise ImportProblem("cell_too_long", limit=MAX_CELL_CHARS)
            if self.total > MAX_TEXT:
                raise ImportProblem("too_much_text", cells=MAX_CELLS, characters=MAX_TEXT)
            self.parts.append(data)


def _date_styles(archive: zipfile.ZipFile, work: _Work, path: str) -> tuple[set[int], set[int]]:
    """Which cell formats (by position in cellXfs) show numbers as dates, and which as durations."""
    custom: dict[int, str] = {}
    formats: list[int] = []
    where = {"cellXfs": False}

    def start(tag: str, attrs: dict[str, str]) -> None:
        tag = local(tag)
        if tag == "numFmt" and len(custom) < MAX_STYLES:
            custom[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
        elif tag == "cellXfs":
            where["cellXfs"] = True
        elif tag == "xf" and where["cellXfs"]:
            if len(formats) >= MAX_STYLES:
                raise ImportProblem("not_a_spreadsheet")
            formats.append(int(attrs.get("numFmtId", "0")))

    def end(tag: str) -> None:
        if local(tag) == "cellXfs":
            where["cellXfs"] = False

    _stream(archive, work, path, start, end)
    dates, durations = set(), set()
    for index, number in enumerate(formats):
        code = custom.get(number) or builtin_format_code(number)
        if is_date_format(code):
            dates.add(index)
        if is_timedelta_format(code):
            durations.add(index)
    return dates, durations


class _Sheet:
    """One worksheet's values as they stream: handlers for expat, and the limits checked cell by cell. The row being
    filled is a list; every other is packed (SEP between its cells)."""

    def __init__(self, book: _Workbook) -> None:
        self.book = book
        self.work = book.work
        self.elements_left = MAX_ELEMENTS - self.work.elements
        self.cells_seen = self.work.cells
        self.lines: list[str] = []  # packed rows; "" for a row with nothing
        self.current: list[str] = []  # the cells of row `open_row`, being filled
        self.open_row = 0
        self.cells = 0  # cells holding something
        self.characters_read = 0
        self.merged = False
        self.row = 0
        self.column = 0
        self.kind = "n"
        self.style = 0
        self.parts: list[str] = []
        self.size = 0
        self.keep = False  # inside the text of the current cell
        self.inline = False  # inside an inline string (<is>)
        self.phonetic = False

    def close(self) -> None:
        """The sheet is read (or refused): its last row packed, its work added to the file's."""
        self._pack()
        self.work.elements = MAX_ELEMENTS - self.elements_left
        self.work.cells = self.cells_seen

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.elements_left -= 1
        if self.elements_left < 0:
            raise _too_much_work()
        if ":" in tag:
            tag = local(tag)
        if tag == "c":
            self.cells_seen += 1
            if self.cells_seen > MAX_CELLS_SEEN:
                raise _too_much_work()
            reference = attrs.get("r")
            if reference:
                self.row, self.column = _cell(reference)
            else:
                self.column += 1
            self.kind = attrs.get("t", "n")
            style = attrs.get("s")
            self.style = int(style) if style else 0
            self.parts.clear()
            self.size = 0
        elif tag == "v":
            self.keep = self.kind != "inlineStr"
        elif tag == "t":
            self.keep = self.inline and not self.phonetic
        elif tag == "row":
            number = attrs.get("r")
            self.row = _row(number) if number else self.row + 1
            self.column = 0
        elif tag == "is":
            self.inline = True
        elif tag == "rPh":
            self.phonetic = True
        elif tag == "mergeCell":
            self._merge(attrs.get("ref", ""))

    def end(self, tag: str) -> None:
        if ":" in tag:
            tag = local(tag)
        if tag == "c":
            if self.parts:
                self._store(self._value("".join(self.parts)))
        elif tag == "v" or tag == "t":
            self.keep = False
        elif tag == "is":
            self.inline = False
        elif tag == "rPh":
            self.phonetic = False

    def characters(self, data: str) -> None:
        if self.keep:
            self.size += len(data)
            if self.size > MAX_CELL_CHARS:
                raise ImportProblem("cell_too_long", limit=MAX_CELL_CHARS)
            self.parts.append(data)

    def _value(self, raw: str) -> object:
        """The cell as openpyxl gives it with data_only (a formula's last value): str, number, date or bool."""
        kind = self.kind
        if kind == "n":
            number = float(raw) if "." in raw or "E" in raw or "e" in raw else int(raw)
            if self.style in self.book.dates:
                try:
                    return from_excel(number, self.book.epoch, timedelta=self.style in self.book.durations)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            return self.book.strings[int(raw)]
        if kind == "b":
            return bool(int(raw))
        if kind == "d":
            return from_ISO8601(raw)
        return raw  # inlineStr, str (a formula's text), e (#N/A)

    def _store(self, value: object) -> None:
        cell = read_cell(value)
        if not cell:
            return
        row, column = self.row, self.column
        if not 0 < row <= MAX_LINE:
            raise ImportProblem("too_many_rows", limit=MAX_LINE)
        if not 0 < column <= MAX_COLUMNS:
            raise ImportProblem("too_many_columns", limit=MAX_COLUMNS)
        self.cells += 1
        self.characters_read += len(cell)
        if self.cells > MAX_CELLS or self.characters_read > MAX_TEXT:
            raise ImportProblem("too_much_text", cells=MAX_CELLS, characters=MAX_TEXT)
        if row != self.open_row:
            self._open(row)
        line = self.current
        if len(line) < column:
            line.extend([""] * (column - len(line)))
        line[column - 1] = cell

    def _open(self, row: int) -> None:
        """Make `row` the row being filled: the one before is packed. Rows come in order in every file a program
        writes; a file that goes back to an earlier row unpacks it again (its cells were counted once)."""
        self._pack()
        self.open_row = row
        packed = self.lines[row - 1] if row <= len(self.lines) else ""
        self.current = packed.split(SEP) if packed else []

    def _pack(self) -> None:
        if self.open_row and self.current:
            lines = self.lines
            if len(lines) < self.open_row:
                lines.extend([""] * (self.open_row - len(lines)))
            lines[self.open_row - 1] = SEP.join(self.current)
        self.open_row, self.current = 0, []

    def _count(self, cells: int, characters: int) -> None:
        self.cells += cells
        self.characters_read += characters
        if self.cells > MAX_CELLS or self.characters_read > MAX_TEXT:
            raise ImportProblem("too_much_text", cells=MAX_CELLS, characters=MAX_TEXT)

    def _merge(self, reference: str) -> None:
        """A merged range reads as its top-left value in every cell, as a person reads it. Merged ranges come after
        the values in a sheet: all are known by now. Each cell a range covers counts as a cell read, and each row
        it covers as a cell seen (a range over empty rows fills nothing, but each row is looked at)."""
        first, _, last = reference.partition(":")
        if not first:
            return
        self._pack()
        top, left = _cell(first)
        bottom, right = _cell(last) if last else (top, left)
        self.merged = True
        self._count(1, 0)  # even a range over nothing costs some work
        lines = self.lines
        if top > len(lines) or left > MAX_COLUMNS:
            return
        self.cells_seen += max(0, min(bottom, len(lines)) - top + 1)
        if self.cells_seen > MAX_CELLS_SEEN:
            raise _too_much_work()
        first_row = lines[top - 1].split(SEP) if lines[top - 1] else []
        value = first_row[left - 1] if left <= len(first_row) else ""
        right = min(right, MAX_COLUMNS)
        for index in range(top - 1, min(bottom, len(lines))):
            line = lines[index].split(SEP) if lines[index] else []
            if value and len(line) < right:
                line.extend([""] * (right - len(line)))
            covered = min(right, len(line)) - left + 1
            if covered > 0:
                line[left - 1 : left - 1 + covered] = [value] * covered
                self._count(covered, len(value) * covered)
                lines[index] = SEP.join(line)


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_COLUMNS: dict[str, int] = {}


def _row(number: str) -> int:
    """A row's number, from 1: row 0 or -3 is in no spreadsheet (a crafted or broken file), said so rather than as a
    list too long for its rows (a stranger's third walk of issue 15)."""
    row = int(number)
    if row < 1:
        raise ImportProblem("damaged")
    return row


def _cell(reference: str) -> tuple[int, int]:
    """ "B12" -> (12, 2): row and column, both from 1."""
    digits = reference.lstrip(_LETTERS)
    letters = reference[: len(reference) - len(digits)]
    column = _COLUMNS.get(letters)
    if column is None:
        if not 0 < len(letters) <= 3:  # XFD, column 16,384, is Excel's last
            raise ValueError(reference)
        column = 0
        for letter in letters.upper():
            column = column * 26 + ord(letter) - 64
        if letters.isupper():
            _COLUMNS[letters] = column  # at most 18,278 of them
    return _row(digits), column
