"""A sweep's export in the reader's language: column titles and cells for .xlsx and .csv (server.web.downloads
writes them safely). The rows come from export.py."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from litestar import Request

from server.i18n import locale_of, translate
from server.sweeps.export import EXPORT_COLUMNS, Recorder
from server.web.pages import settings_of


def export_table(request: Request, rows: list[dict]) -> list[list]:
    """A header row, then one row per door."""
    zone = ZoneInfo(settings_of(request).timezone)
    return [[_title(request, c) for c in EXPORT_COLUMNS]] + [
        [_cell(request, c, row[c], zone) for c in EXPORT_COLUMNS] for row in rows
    ]


def _title(request: Request, column: str) -> str:
    titles = {
        "building": translate(request, "Building"),
        "unit": translate(request, "Unit"),
        "floor": translate(request, "Floor"),
        "door": translate(request, "Door"),
        "people": translate(request, "People"),
        "outcome": translate(request, "Outcome"),
        "conflict": translate(request, "Volunteers disagree"),
        "ticks": translate(request, "Times recorded"),
        "recorded_by": translate(request, "Recorded by"),
        "last_at": translate(request, "Last recorded at"),
        "help_needed": translate(request, "Help needed"),
        "notes": translate(request, "Notes"),
    }
    return titles[column]


def _cell(request: Request, column: str, value, zone: ZoneInfo):
    """One cell of the export in the reader's language; times on the community's clock (an Excel time in .xlsx)."""
    if column == "outcome":
        return outcome_text(request, value) if value else translate(request, "Not visited")
    if column == "conflict":
        answers = " / ".join(outcome_text(request, outcome) for outcome in value)
        return translate(request, "Disagree: %(answers)s", answers=answers) if value else ""
    if column == "recorded_by":
        return _listed(request, [_recorder_text(request, recorder, zone) for recorder in value])
    if column == "notes":
        return _listed(request, [_said(request, name, note) if name else note for name, note in value])
    if column == "last_at":
        return value.astimezone(zone).replace(tzinfo=None) if value is not None else None
    return value if value is not None else ""


def _recorder_text(request: Request, recorder: Recorder, zone: ZoneInfo) -> str:
    """张三：已完成 11-24 09:12: who, what they said last, and when by their phone."""
    said = []
    if recorder.outcome:
        said.append(outcome_text(request, recorder.outcome))
    if recorder.people:
        said.append(translate(request, "people recorded: %(num)s", num=recorder.people))
    if recorder.at is not None:
        said.append(recorder.at.astimezone(zone).strftime("%m-%d %H:%M"))
    if recorder.settled:
        said.append(translate(request, "(settled by a coordinator since)"))
    if recorder.set_aside:
        said.append(translate(request, "(whole floor, set aside: the door was recorded on its own)"))
    return _said(request, recorder.name, " ".join(said))


def _said(request: Request, name: str, what: str) -> str:
    return translate(request, "%(name)s: %(what)s", name=name, what=what)


def _listed(request: Request, items: list[str]) -> str:
    """Several people's words in one cell: 张三：已完成；李四：拒绝."""
    return ("；" if locale_of(request).startswith("zh") else "; ").join(items)


def outcome_text(request: Request, outcome: str) -> str:
    return {
        "done": translate(request, "Done"),
        "nobody_home": translate(request, "Nobody home"),
        "come_back": translate(request, "Come back later"),
        "refused": translate(request, "Refused"),
        "vacant": translate(request, "Vacant"),
        "needs_help": translate(request, "Needs help"),
        "partial": translate(request, "Some people still to record"),
    }.get(outcome, outcome)
