"""Hostile files, made here byte by byte: what a crafted upload looks like (issue 15). Used by the tests and by
bench/uploads.py. Each starts from a real workbook (openpyxl's) and swaps one part for the hostile one, so that
everything else about it is an ordinary .xlsx.
"""

from __future__ import annotations

import gc
import io
import random
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

from openpyxl import Workbook
from PIL import Image

SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
HEAD = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet ' + MAIN + b"><sheetData>"
TAIL = b"</sheetData></worksheet>"
MB = 1024 * 1024


def memory_growth(function: Callable[[], object]) -> tuple[object, float]:
    """What `function()` returned or raised, and how far this process's resident memory peaked above where it was
    before, in MB (Linux starts the peak again on request)."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    before = _memory("VmRSS")
    try:
        outcome: object = function()
    except Exception as exc:  # noqa: BLE001 (the caller asserts what it expected)
        outcome = exc
    return outcome, (_memory("VmHWM") - before) / MB


def _memory(field: str) -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) * 1024


def workbook(rows: Iterable[list] = (["姓名", "住址"], ["张国强", "2-1-301"])) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_part(name: str, chunks: Iterable[bytes], base: bytes | None = None, extra: dict[str, bytes] | None = None):
    """`base` (an ordinary workbook) with part `name` made of `chunks` (streamed: a 100 MiB part is never whole in
    memory here either), and any `extra` parts added."""
    source = zipfile.ZipFile(io.BytesIO(base or workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        written = False
        for info in source.infolist():
            if info.filename == name:
                with archive.open(name, "w", force_zip64=True) as part:
                    for chunk in chunks:
                        part.write(chunk)
                written = True
            else:
                archive.writestr(info, source.read(info.filename))
        if not written:
            with archive.open(name, "w", force_zip64=True) as part:
                for chunk in chunks:
                    part.write(chunk)
        for extra_name, data in (extra or {}).items():
            archive.writestr(extra_name, data)
    return out.getvalue()


def _repeated(unit: bytes, total: int, head: bytes = HEAD, tail: bytes = TAIL) -> Iterable[bytes]:
    yield head
    block = unit * max(1, (256 * 1024) // len(unit))
    for _ in range(total // len(block)):
        yield block
    yield tail


def rows_bomb(mib: int = 100) -> bytes:
    """~300 KB that unpacks to `mib` MiB of rows of two short cells: millions of rows."""
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c><c t="inlineStr"><is><t>y</t></is></c></row>'
    return with_part(SHEET, _repeated(row, mib * MB))


def many_rows(rows: int = 150_000) -> bytes:
    """Rows of two cells of varied text, packed as a spreadsheet packs (~5 times, within limits.MAX_RATIO): a list
    read until its row past limits.MAX_LINE, which takes seconds."""

    def chunks() -> Iterable[bytes]:
        yield HEAD
        for start in range(0, rows, 10_000):
            yield b"".join(
                b'<row><c t="inlineStr"><is><t>%x</t></is></c><c t="inlineStr"><is><t>%d</t></is></c></row>'
                % (n * 2654435761 % 2**32, n * 40503 % 65521)
                for n in range(start, min(rows, start + 10_000))
            )
        yield TAIL

    return with_part(SHEET, chunks())


def declared_bomb(mib: int = 300) -> bytes:
    """A sheet whose zip entry declares `mib` MiB unpacked: refused from the zip's directory, before unpacking."""
    return _declaring(with_part(SHEET, [HEAD, TAIL]), mib * MB)


def wide_row(cells: int = 2_000_000) -> bytes:
    """One row of two million cells (a 2 MB file of wide rows took openpyxl past 6 GB)."""
    return with_part(SHEET, _repeated(b'<c t="inlineStr"><is><t>x</t></is></c>', cells * 38, HEAD + b"<row>"))


def far_cell(reference: str = "XFD1048576") -> bytes:
    """A list of one person, and one more value at `reference`: at the sheet's far corner, a sheet of a million rows
    or 16,384 columns, nearly all blank."""
    cell = f'<row><c r="{reference}" t="inlineStr"><is><t>x</t></is></c></row>'.encode()
    return with_part(SHEET, [HEAD, _inline_rows([["姓名", "住址"], ["张国强", "2-1-301"]]), cell, TAIL])


def _inline_rows(rows: list[list[str]]) -> bytes:
    return b"".join(
        b'<row r="%d">' % n
        + b"".join(f'<c t="inlineStr"><is><t>{value}</t></is></c>'.encode() for value in row)
        + b"</row>"
        for n, row in enumerate(rows, start=1)
    )


def with_strings(chunks: Iterable[bytes]) -> bytes:
    """An ordinary workbook with a shared-string table made of `chunks` (openpyxl writes none of its own)."""
    base = workbook()
    rels = zipfile.ZipFile(io.BytesIO(base)).read("xl/_rels/workbook.xml.rels")
    rels = rels.replace(
        b"</Relationships>",
        b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    return with_part(STRINGS, chunks, with_part("xl/_rels/workbook.xml.rels", [rels], base))


def strings_bomb(count: int = 5_000_000) -> bytes:
    """A shared-string table of millions of distinct strings, none used by a cell."""

    def chunks() -> Iterable[bytes]:
        yield b'<?xml version="1.0" encoding="UTF-8"?><sst ' + MAIN + b">"
        for start in range(0, count, 10_000):
            yield b"".join(b"<si><t>%d</t></si>" % n for n in range(start, min(count, start + 10_000)))
        yield b"</sst>"

    return with_strings(chunks())


def long_cell(characters: int = 50 * MB) -> bytes:
    """One cell of 50 million characters."""
    return with_part(
        SHEET,
        _repeated(b"x" * 1024, characters, HEAD + b'<row><c t="inlineStr"><is><t>', b"</t></is></c></row>" + TAIL),
    )


def varied(size: int, alphabet: bytes = b"abcdefghijklmno>") -> Iterable[bytes]:
    """`size` bytes of random letters of `alphabet` (16 of them), in blocks: text that packs 2 times, not 1,000, so
    that a file made of it passes the check of packing (limits.MAX_RATIO) as a crafted one would."""
    chance = random.Random(15)
    table = bytes(alphabet[n % len(alphabet)] for n in range(256))
    for start in range(0, size, 256 * 1024):
        yield chance.randbytes(min(256 * 1024, size - start)).translate(table)


def long_tag(mib: int = 2, opening: bytes = b'x="', closing: bytes = b'"') -> bytes:
    """One cell whose start tag holds `mib` MiB: an attribute's value by default, with a '>' in every 16 bytes, or
    a comment or processing instruction (`opening`, `closing`). expat 2.5.0 parses a token not closed yet again from
    its start at each chunk, so its cost grows as its square (the stranger's big_attribute.xlsx: 150 MB in a 5 MB
    file kept a reader busy 300 s)."""
    head = HEAD + b'<row r="1"><c r="A1" t="inlineStr" ' + opening
    tail = closing + b"><is><t>x</t></is></c></row>" + TAIL
    return with_part(SHEET, [head, *varied(mib * MB), tail])


def sheet_listed(times: int = 20, mib: int = 4) -> bytes:
    """A few KB: a workbook listing one sheet part `times` times, the part `mib` MiB of empty cells in one row (the
    stranger's mk_sheets.py: each listing was read again, 17 s of CPU for 20)."""
    base = workbook()
    book = zipfile.ZipFile(io.BytesIO(base)).read("xl/workbook.xml")
    listed = re.sub(rb"<sheet [^>]*/>", lambda found: found.group(0) * times, book, count=1)
    return with_part(
        SHEET,
        _repeated(b"<c/>", mib * MB, HEAD + b"<row>", b"</row>" + TAIL),
        with_part("xl/workbook.xml", [listed], base),
    )


def empty_cells(count: int) -> bytes:
    """One row of `count` empty cells: nothing to keep, but each is an element to look at (one16.xlsx)."""
    return with_part(SHEET, _repeated(b"<c/>", count * 4 + 256 * 1024, HEAD + b"<row>", b"</row>" + TAIL))


def junk_elements(count: int, unit: bytes = b"<x/>") -> bytes:
    """A sheet of `count` elements no sheet has."""
    return with_part(SHEET, [HEAD, unit * count, TAIL])


def blank_space(mib: int) -> bytes:
    """A sheet of `mib` MiB of spaces between its elements: few elements, many bytes to unpack and parse."""
    return with_part(SHEET, _repeated(b" " * 1024, mib * MB))


def emoji_cells(rows: int = 15_000, columns: int = 100, extra: bool = True) -> bytes:
    """Every cell ten emoji (4 bytes a character in memory): 1.5 million cells and 15 million characters, the limits
    exactly, and one cell more if `extra` (the stranger's mk_mem.py: refused at that last cell, after the reader had
    held all the others as 200 MB of objects)."""
    cell = ('<c t="inlineStr"><is><t>%s</t></is></c>' % ("\U0001f600" * 10)).encode()
    row = b"<row>" + cell * columns + b"</row>"

    def chunks() -> Iterable[bytes]:
        yield HEAD
        for _ in range(rows):
            yield row
        if extra:
            yield b"<row>" + cell + b"</row>"
        yield TAIL

    return with_part(SHEET, chunks())


def wide_emoji_rows(rows: int = 101_000) -> bytes:
    """Rows of 15 cells of ten emoji each in columns CH to CV, packed as a spreadsheet packs (~30 times): within every
    limit but that of cells and characters, passed at the 100,001st row (the stranger's mk_mem2.py, mem_wide.xlsx)."""

    def name(column: int) -> str:
        letters = ""
        while column:
            column, rest = divmod(column - 1, 26)
            letters = chr(65 + rest) + letters
        return letters

    cell = "\U0001f600" * 10
    columns = [name(c) for c in range(86, 101)]

    def chunks() -> Iterable[bytes]:
        yield HEAD
        for start in range(1, rows + 1, 1_000):
            yield "".join(
                "<row>" + "".join(f'<c r="{c}{r}" t="inlineStr"><is><t>{cell}</t></is></c>' for c in columns) + "</row>"
                for r in range(start, min(rows + 1, start + 1_000))
            ).encode()
        yield TAIL

    return with_part(SHEET, chunks())


def many_parts(count: int = 100_000) -> bytes:
    """A zip of 100,000 empty parts: its directory alone is megabytes of entries to read."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for n in range(count):
            archive.writestr(f"x/{n}", b"")
    return out.getvalue()


def lying_sizes() -> bytes:
    """A sheet of 20 MiB whose zip entry declares 1 KB: zipfile stops where the entry says, and the check fails."""
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c><c t="inlineStr"><is><t>y</t></is></c></row>'
    return _declaring(with_part(SHEET, _repeated(row, 20 * MB)), 1024)


def _declaring(data: bytes, size: int) -> bytes:
    """`data` with the sheet's uncompressed size in the zip's directory set to `size` (what zipfile trusts)."""
    patched = bytearray(data)
    position = patched.find(b"PK\x01\x02")
    while position >= 0:
        name_length = struct.unpack_from("<H", patched, position + 28)[0]
        if bytes(patched[position + 46 : position + 46 + name_length]) == SHEET.encode():
            struct.pack_into("<L", patched, position + 24, size)
        position = patched.find(b"PK\x01\x02", position + 46)
    return bytes(patched)


XXE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b"<worksheet " + MAIN + b'><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>address</t></is></c></row></sheetData></worksheet>'
)
LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10) for n in range(1, 10))
    + b"]>\n<worksheet "
    + MAIN
    + b'><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
)


def xxe() -> bytes:
    """A sheet whose cell is an external entity: the server's /etc/passwd, if entities were resolved."""
    return with_part(SHEET, [XXE])


def billion_laughs() -> bytes:
    """Nine levels of ten entities: a billion "lol"s from 1 KB, if entities were expanded."""
    return with_part(SHEET, [LAUGHS])


def laughs_in_strings() -> bytes:
    """The same laughs in the shared strings, the part read before any sheet."""
    return with_strings([LAUGHS.replace(b"worksheet", b"sst")])


# Pictures --------------------------------------------------------------------------------------------------------


def png_bomb(side: int = 20_000) -> bytes:
    """A PNG of side x side pixels (400 million for 20,000), one colour: ~400 KB that decodes to gigabytes."""
    row = b"\x00" + b"\x00" * side  # filter byte, then one grey byte per pixel
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def jpeg(width: int, height: int, progressive: bool = False, orientation: int = 1) -> bytes:
    """A photo of one colour (a small file however large), progressive or not, turned by its EXIF orientation."""
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.new("RGB", (width, height), (200, 180, 160)).save(
        out, "JPEG", quality=70, progressive=progressive, exif=exif.tobytes()
    )
    return out.getvalue()


def png(width: int, height: int, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), "white").save(out, "PNG")
    return out.getvalue()


def jpeg_scans(scans: int, width: int = 64, height: int = 64) -> bytes:
    """A progressive JPEG with `scans` scans in all: its own 10, then empty refinements of its first colour's DC
    (each a pass over every block). The stranger's genpic.py: 20,000 of them at 4400 x 4400, 334 KB, took 104-128 s
    to decode and was accepted."""
    data = jpeg(width, height, progressive=True)
    refinement = b"\xff\xda" + struct.pack(">H", 8) + bytes([1, 1, 0x00, 0, 0, 0x10]) + b"\x00"
    end = data.rfind(b"\xff\xd9")
    return data[:end] + refinement * (scans - 10) + data[end:]
