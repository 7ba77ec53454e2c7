"""The limits of an uploaded list, and the one error that says a file is past one (or unusable in another way).

Each limit bounds the memory and time a list may cost the server (docs/decisions/0018): the file's size is checked
first; an .xlsx's parts and their declared sizes before anything is unpacked; rows, columns and text while the
sheet streams, so that reading stops at the first cell past a limit. A list of 100,000 people with 15 columns, or
of 30,000 with 50, stays within every one; the worst file within them costs the server ~150 MB while it is read.
"""

from __future__ import annotations

MB = 1024 * 1024

MAX_BYTES = 20 * MB  # the file as uploaded: a 100,000-row list is 5 to 15 MB as .xlsx or .csv
MAX_ROWS = 100_000  # people in one list
MAX_LINE = MAX_ROWS + 1_000  # no cell below this line: titles, headers and blank lines above and between people
MAX_COLUMNS = 100  # no cell right of this column
MAX_CELLS = 1_500_000  # cells holding something: 100,000 rows of 15 columns
MAX_TEXT = 15_000_000  # characters in all those cells together (a list's cells average under 10)
MAX_CELL_CHARS = 32_767  # characters in one cell: Excel's own limit
# An .xlsx is a zip of XML parts: at most this many parts, unpacking to at most this much all together (as the zip
# declares each part's size: a part that holds more than it declares fails its check when read).
MAX_PARTS = 1_000
MAX_UNPACKED = 256 * MB
# A part that unpacks to more than this many times its packed size is refused before it is unpacked (past
# RATIO_CHECKED_FROM bytes): a spreadsheet's XML packs 8 to 20 times (a 100,000-row list 8, 60,000 rows of bordered
# empty cells 15, 100,000 rows of set heights 18), the hostile files that took 7-24 s to refuse 280 to 1,030 times.
MAX_RATIO = 100
RATIO_CHECKED_FROM = 1 * MB
MAX_STYLES = 65_000  # cell formats in a workbook (Excel allows 64,000)
# The work one .xlsx may cost, however its parts are arranged (a workbook may list one sheet part a thousand times,
# or fill a sheet with empty cells): each part is read at most once, and all parts read together may unpack to at
# most MAX_READ bytes, hold at most MAX_ELEMENTS XML elements, and MAX_CELLS_SEEN cells, empty ones included (and each
# row a merged range covers). The largest list within the limits above (100,000 rows of 15 columns, its text in a
# shared table) is ~90 MB of XML, 6 million elements and 1.5 million cells: a file past these costs no more than it.
MAX_READ = 160 * MB
MAX_ELEMENTS = 10_000_000
MAX_CELLS_SEEN = 2 * MAX_CELLS
# What expat may hold unparsed at once: a tag, comment or processing instruction not closed yet. expat 2.5.0 (this
# Python's) parses such a token again from its start at each new chunk of 64 KB, so its cost grows as its square: a
# 5 MB file holding one tag of 150 MB kept a reader busy 300 s (2/4/8 MB took 0.05/0.16/0.59 s of CPU). Text is
# handed over as it comes and never held: a cell's 32,767 characters, even written at 10 bytes each
# (`&#1114111;`, 328 KB), would fit. A sheet's tags hold cell references, numbers and lists of ranges (a
# conditional format over scattered cells): a few KB. Refused past 1 MB, one costs ~0.01 s to hold; 160 of them
# (MAX_READ) ~2 s, less than the largest honest list.
MAX_HELD = 1 * MB


class ImportProblem(Exception):
    """The file as a whole cannot be read. `code` picks the message shown to the person; `detail` fills it in."""

    def __init__(self, code: str, **detail: object) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail
