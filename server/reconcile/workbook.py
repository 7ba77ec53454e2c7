"""A reconciliation's result as .xlsx, in the reader's language: the missing with their reasons, the counts, people on
the list only, rows to decide, and who was not expected. Phone numbers masked. Names and doors come from an uploaded
list: downloads.xlsx writes them as text, never as formulas."""

from __future__ import annotations

from litestar import Request

from server.i18n import translate
from server.reconcile import schemas
from server.web import downloads


def reason_text(request: Request, reason: str) -> str:
    return {
        "away": translate(request, "Away"),
        "hospital": translate(request, "In hospital"),
        "refused": translate(request, "Refused"),
        "will_come": translate(request, "Will come"),
    }.get(reason, "")


def result_workbook(request: Request, result: schemas.Result) -> bytes:
    missing: list[list] = []
    missing.append(
        [
            translate(request, "Full name"),
            translate(request, "Door"),
            translate(request, "Age"),
            translate(request, "Phone"),
            translate(request, "Reason"),
        ]
    )
    for p in result.missing:
        # Masked, as the register's export: a whole number is shown only on a tap that is logged, one at a time.
        missing.append([p.name, p.door, p.age, p.phone_masked or "", reason_text(request, p.reason)])
    counts: list[list] = []
    counts.append(
        [
            translate(request, "Where"),
            translate(request, "Expected"),
            translate(request, "On the list"),
            translate(request, "Missing"),
            translate(request, "To confirm"),
        ]
    )
    for group in (result.grids, result.buildings, result.households):
        for c in group:
            counts.append([c.name, c.expected, c.present, c.missing, c.waiting])
    only: list[list] = []
    only.append(
        [
            translate(request, "Row"),
            translate(request, "Full name"),
            translate(request, "Door"),
            translate(request, "Phone"),
            translate(request, "Decision"),
        ]
    )
    for r in result.list_only:
        only.append(
            [
                r.line,
                r.name,
                r.door or r.door_text,
                r.phone_masked or "",
                translate(request, "Added") if r.decision == "added" else "",
            ]
        )
    open_rows: list[list] = []
    open_rows.append(
        [
            translate(request, "Row"),
            translate(request, "Full name"),
            translate(request, "Door"),
            translate(request, "Could be"),
        ]
    )
    for r in result.ambiguous:
        open_rows.append([r.line, r.name, r.door or r.door_text, "; ".join(f"{c.name} {c.door}" for c in r.candidates)])
    away: list[list] = []
    away.append(
        [
            translate(request, "Full name"),
            translate(request, "Door"),
            translate(request, "Status"),
            translate(request, "On the list"),
        ]
    )
    for p in result.not_expected:
        status = translate(request, "Away") if p.status == "away" else translate(request, "Moved out")
        away.append([p.name, p.door, status, translate(request, "yes") if p.line else ""])
    return downloads.xlsx(
        [
            (translate(request, "Missing"), missing),
            (translate(request, "Counts"), counts),
            (translate(request, "On the list only"), only),
            (translate(request, "To decide"), open_rows),
            (translate(request, "Not expected"), away),
        ]
    )
