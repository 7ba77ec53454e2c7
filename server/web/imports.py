"""The upload side of every import page (a reconciliation's list, the register): one multipart form carries the
file, or the draft its preview page carried back, and the person's column choices. server.imports reads it."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from server import offload
from server.i18n import translate
from server.imports import draft as drafts
from server.imports import limits
from server.imports.limits import MAX_BYTES, MB, ImportProblem
from server.imports.reader import MAX_ROW_CHARS
from server.offload import Busy, ChildFailed, ChildTimedOut, off_loop

# The form may carry a file just under the limit plus the other fields: the reader, not the server, says "too large".
# A preview's draft comes back in a field of its own: a list at every limit of the reader packs into less than this.
MAX_REQUEST = MAX_BYTES + 32 * MB
LIST_OPT = {"list_mb": MAX_BYTES // MB}  # a body past MAX_REQUEST is answered with the file's limit (web.pages)
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


def values(data: dict[str, Any], key: str) -> list:
    value = data.get(key, [])
    return value if isinstance(value, list) else [value]


def column_choices(data: dict[str, Any], fields: tuple[str, ...]) -> dict[int, str]:
    """The mapping step's selects: one `column` value per column, in order ("" = ignore)."""
    if "column" not in data:
        return {}
    return {index: str(value) if value in fields else "" for index, value in enumerate(values(data, "column"))}


async def read_draft(data: dict[str, Any]) -> drafts.Draft:
    """The uploaded file, or else the draft a preview page carried back: read in a child process (server.offload)."""
    upload = data.get("file")
    if isinstance(upload, list):  # two files or more under one name (a crafted form: the page's takes one)
        raise ImportProblem("one_file")
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            # Read once a reader is free, and never more than the limit into memory: the reader says too large.
            packed = await off_loop(drafts.read_packed, upload.filename, read=lambda: upload.read(MAX_BYTES))
            return drafts.unpack(packed)
        token = data.get("draft")
        if isinstance(token, str) and token:
            return drafts.unpack(await off_loop(drafts.decode_packed, token))
    except ChildTimedOut:  # killed past its time: said as such, not as memory
        raise ImportProblem("too_slow") from None
    except ChildFailed:  # past the child's memory, or it died: nothing was stored
        raise ImportProblem("too_complex") from None
    except Busy as busy:  # no reader came free in time: nothing was read
        raise ImportProblem("busy_you" if busy.whose == "person" else "busy") from None
    raise ImportProblem("empty")


def problem_status(problem: ImportProblem) -> int:
    """400 for a file that cannot be read; 503 when the server was too busy to read it (it may be sent again)."""
    return 503 if problem.code in ("busy", "busy_you") else 400


def busy_text(request: Request, own: bool = False) -> str:
    """No reader came free in time (server.offload.Busy): the person's own other upload, or other people's."""
    if own:
        return translate(
            request, "Your other file is still being read. Wait until it is done, then send this one again."
        )
    return translate(
        request, "The server is busy reading other people's files. Nothing was saved: send it again in a minute."
    )


def problem_text(request: Request, problem: ImportProblem) -> str:
    """What went wrong with a file, in the person's words, with the limit it passed (server.imports.limits)."""
    texts = {
        "too_large": lambda: translate(
            request, "The file is too large. Lists must be smaller than %(mb)s MB.", mb=MAX_BYTES // MB
        ),
        "unpacked_too_large": lambda: translate(
            request,
            "The file is too large once unpacked (at most %(mb)s MB). Delete empty sheets and pictures, "
            "or save it as .csv, and try again.",
            mb=limits.MAX_UNPACKED // MB,
        ),
        "too_many_parts": lambda: translate(
            request,
            "The file holds too many parts (at most %(parts)s: sheets, pictures, styles). Delete the sheets and "
            "pictures the list does not need, or save it as .csv, and try again.",
            parts=f"{limits.MAX_PARTS:,}",
        ),
        "row_too_long": lambda: translate(
            request,
            "A line of the file is too long (at most %(characters)s characters): each person should be on a line "
            "of their own. Open it in Excel or WPS, save it as .csv again, and try again.",
            characters=f"{MAX_ROW_CHARS:,}",
        ),
        "empty": lambda: translate(request, "The file is empty."),
        "one_file": lambda: translate(request, "Send one file at a time."),
        "damaged": lambda: translate(
            request,
            "This file is damaged (a cell in a place no spreadsheet has) and was not read. Open it in Excel or "
            "WPS, save it as .xlsx and try again.",
        ),
        "old_excel": lambda: translate(
            request, "This is an old Excel file (.xls). Save it as .xlsx in Excel and try again."
        ),
        "not_a_spreadsheet": lambda: translate(
            request, "This file is not a spreadsheet. Choose an .xlsx or .csv file."
        ),
        "unknown_encoding": lambda: translate(
            request,
            "The file's text is in an encoding we cannot read. Save it as .xlsx, or as CSV UTF-8, and try again.",
        ),
        "unsafe_xml": lambda: translate(
            request,
            "This file holds something a spreadsheet never does, and was not read. "
            "Open it in Excel or WPS, save it as .xlsx and try again.",
        ),
        "no_rows": lambda: translate(request, "The file has a header but no people under it."),
        "too_many_rows": lambda: translate(
            request, "The list is too long: at most %(rows)s rows. Split it by building.", rows=f"{limits.MAX_ROWS:,}"
        ),
        "too_many_columns": lambda: translate(
            request,
            "The list is too wide: at most %(columns)s columns. Delete the columns you do not need.",
            columns=limits.MAX_COLUMNS,
        ),
        "too_much_text": lambda: translate(
            request,
            "The list holds too much: at most %(cells)s filled cells and %(characters)s characters. "
            "Split it by building.",
            cells=f"{limits.MAX_CELLS:,}",
            characters=f"{limits.MAX_TEXT:,}",
        ),
        "too_much_work": lambda: translate(
            request,
            "The file holds too many cells, even empty ones (at most %(cells)s), and was not read. "
            "Delete empty rows and columns, or save it as .csv, and try again.",
            cells=f"{limits.MAX_CELLS_SEEN:,}",
        ),
        "cell_too_long": lambda: translate(
            request,
            "A cell holds too much text: at most %(characters)s characters.",
            characters=f"{limits.MAX_CELL_CHARS:,}",
        ),
        "packed_too_tightly": lambda: translate(
            request,
            "A part of this file is packed more than %(ratio)s times (a spreadsheet packs 8 to 20), so it was not "
            "opened. Save it again from Excel or WPS, or as .csv, and try again.",
            ratio=limits.MAX_RATIO,
        ),
        "tag_too_long": lambda: translate(
            request,
            "This file holds a tag or comment longer than any spreadsheet writes (at most %(mb)s MB), and was not "
            "read. Open it in Excel or WPS, save it as .xlsx and try again.",
            mb=limits.MAX_HELD // MB,
        ),
        # The reader's child ran out of the memory one file is given: the limit it passed is that one.
        "too_complex": lambda: translate(
            request,
            "Reading this file needs more than the %(mb)s MB of memory the server gives one file. Delete empty "
            "sheets, rows and columns, or save it as .csv, and try again.",
            mb=offload.memory_limit() // MB,
        ),
        "too_slow": lambda: translate(
            request,
            "Reading this file took longer than the %(seconds)s seconds the server gives one file, and nothing was "
            "saved. Delete empty sheets, rows and columns, or save it as .csv, and try again.",
            seconds=offload.CHILD_SECONDS,
        ),
        "draft_damaged": lambda: translate(request, "The list could not be read back. Upload the file again."),
        "busy": lambda: busy_text(request),
        "busy_you": lambda: busy_text(request, own=True),
    }
    text = texts.get(problem.code)
    return text() if text else translate(request, "That did not work. Go back and try again.")
