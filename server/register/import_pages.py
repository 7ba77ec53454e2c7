"""The preview's two long lists, a page at a time: the rows to look at and the rows saving changes.

A 5,000-row list had 1,762 rows to look at; the page showed the first ~115 and "还有 1647 行", which nobody could
open, so a worker could not check what the import would change or set aside before saving (issue 16). Each list is
now shown PAGE rows at a time and every page can be opened: the preview form posts its draft back with the list's
place (`look_from`, `change_from`), with htmx only that list is swapped, and the page stays small at any size.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Any

from server.register.importing import Planned, Preview, RowProblem

PAGE = 100  # rows of a list on one page: ~30 kB of HTML, about as much as a phone scrolls through at once

LOOK = "look_from"
CHANGE = "change_from"
SAVED = "from"  # the saved page's query parameters: links, since nothing is posted there
DONE = "done"


@dataclass(slots=True)
class ListPage:
    """`items` from `start` (0-based) of `total`; the field that asks for another place of this list."""

    field: str
    items: list
    start: int
    total: int

    @property
    def end(self) -> int:
        return self.start + len(self.items)

    @property
    def previous(self) -> int | None:
        return max(0, self.start - PAGE) if self.start > 0 else None

    @property
    def next(self) -> int | None:
        return self.end if self.end < self.total else None

    @property
    def next_count(self) -> int:
        return min(PAGE, self.total - self.end)

    @property
    def paged(self) -> bool:
        return self.total > PAGE


def place(data: dict[str, Any], field: str) -> int:
    """The list's place the form asked for: a paging button's, else where the page kept it (0, the first page, is a
    place too); anything that is not a small number is the first page."""
    value = data.get(field, data.get(field + "_kept", ""))
    value = value[0] if isinstance(value, list) and value else value
    text = str(value).strip()
    return int(text) if text.isdigit() and len(text) < 9 else 0


def _page(field: str, items: list, start: int) -> ListPage:
    # A place past the end (the mapping was changed and the list got shorter): its last page.
    start = min(start, max(0, (len(items) - 1) // PAGE * PAGE))
    start -= start % PAGE
    return ListPage(field, items[start : start + PAGE], start, len(items))


def rows_to_look_at(preview: Preview, start: int) -> ListPage:
    """Each row with a problem once, its problems together (a row is fixed once), in the file's order; the rows set
    aside (⚠, not applied: each a decision of the worker's) first. A stranger's walk of issue 16: the 2 rows the top
    said were not applied sat on pages 15 and 46 of a 5,000-row list, among 4,906 rows of people not in her register."""
    by_line = sorted(preview.problems, key=lambda p: p.line)
    groups: list[tuple[int, list[RowProblem]]] = [(line, list(g)) for line, g in groupby(by_line, lambda p: p.line)]
    groups.sort(key=lambda group: not any(p.set_aside for p in group[1]))  # stable: the file's order within each
    return _page(LOOK, groups, start)


def changing(preview: Preview, start: int) -> ListPage:
    """Only the rows that change something: those already as in the file are counted, not listed."""
    rows: list[Planned] = [r for r in preview.planned if r.action != "same"]
    return _page(CHANGE, rows, start)


def not_imported(rows: list[dict], start: int) -> ListPage:
    """The rows a saved import did not apply, each row once with its reasons (the saved page showed 200 and "还有 N
    行" that could not be opened)."""
    by_line = sorted(rows, key=lambda p: p["line"])
    return _page(SAVED, [(line, list(g)) for line, g in groupby(by_line, lambda p: p["line"])], start)


def saved_rows(applied: list[dict], start: int) -> ListPage:
    """The people a saved import created or updated, with what it changed, a page at a time."""
    return _page(DONE, applied, start)
