"""The upload side of every import page (a reconciliation's list, the register): one multipart form carries the
file, or the draft its preview page carried back, and the person's column choices. server.imports reads it."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from server.i18n import translate
from server.imports import draft as drafts
from server.imports.reader import MAX_BYTES, ImportProblem

# The form may carry a file just under the limit plus the other fields: the reader, not the server, says "too large".
MAX_REQUEST = MAX_BYTES + 2 * 1024 * 1024
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
    """The uploaded file, or else the draft a preview page carried back."""
    upload = data.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        content = await upload.read(MAX_BYTES)  # never more than the limit into memory; the reader says too large
        return drafts.read_upload(content, upload.filename)
    token = data.get("draft")
    if isinstance(token, str) and token:
        return drafts.decode(token)
    raise ImportProblem("empty")


def problem_text(request: Request, problem: ImportProblem) -> str:
    texts = {
        "too_large": translate(request, "The file is too large. Lists must be smaller than %(mb)s MB.", mb=50),
        "empty": translate(request, "The file is empty."),
        "old_excel": translate(request, "This is an old Excel file (.xls). Save it as .xlsx in Excel and try again."),
        "not_a_spreadsheet": translate(request, "This file is not a spreadsheet. Choose an .xlsx or .csv file."),
        "no_rows": translate(request, "The file has a header but no people under it."),
        "too_many_rows": translate(request, "The list has more than 100,000 rows. Split it by building."),
        "draft_damaged": translate(request, "The list could not be read back. Upload the file again."),
    }
    return texts.get(problem.code) or translate(request, "That did not work. Go back and try again.")
