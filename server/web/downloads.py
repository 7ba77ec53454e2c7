"""Files people download: spreadsheets of a sweep, the register or a reconciliation. One way to make them."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

from litestar.response import Response
from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(body: bytes, filename: str, media_type: str = XLSX) -> Response:
    """A download with its (Chinese) file name kept: RFC 5987 encoding, which every current browser reads."""
    return Response(
        body, media_type=media_type, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"}
    )


def xlsx(sheets: list[tuple[str, list[list]]]) -> bytes:
    """A workbook of (sheet title, rows) pairs; openpyxl's write-only mode keeps memory flat for long sheets."""
    book = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title[:31] or "sheet")  # Excel's limit on sheet titles
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list]) -> bytes:
    """CSV in UTF-8 with a BOM, so that Excel opens the Chinese correctly."""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()
