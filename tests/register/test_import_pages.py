"""A preview of a large list shows every row it would change or set aside, a page at a time (issue 16: 1,762 rows to
look at, ~115 shown and "还有 1647 行" that could not be opened)."""

from __future__ import annotations

import re
from datetime import date

from server.register import import_pages
from tests.conftest import browser, log_in
from tests.register.files import csv_register, people_of_building, row
from tests.register.test_import import ADMIN, form, stat, upload

PAGE = import_pages.PAGE


def lines(page: str, testid: str) -> list[int]:
    """The file's line of each row listed, as the row says it (第 12 行)."""
    return [int(n) for n in re.findall(rf'data-testid="{testid}"[^>]*>.*?第 (\d+) 行', page, re.S)]


def draft_of(page: str) -> str:
    return re.search(r'name="draft" value="([^"]*)"', page).group(1)


def next_place(page: str, target: str) -> str | None:
    found = re.search(rf'name="([a-z_]+)" value="(\d+)"\s+hx-post="[^"]+" [^>]*data-testid="{target}-next"', page)
    return found and (found.group(1), found.group(2))


async def more(client, draft: str, **fields):
    """What the paging buttons send: the preview's form (its draft, no file) with the list's new place."""
    return await client.post(
        "/register/import/preview",
        data=form(client, draft=draft, **fields),
        files={"none": ("", b"", "application/octet-stream")},
    )


async def big_list() -> tuple[bytes, set[int], set[int]]:
    """More rows that change a profile than a page shows, and more rows of people not in the register."""
    people: list[dict] = []
    for building in range(30, 42):
        people += await people_of_building(building, limit=40)
        if len(people) >= PAGE + 30:
            break
    people = people[: PAGE + 30]
    strangers = [
        {"name": f"查无此人{n}", "sex": "F", "birth_date": date(1940, 1, 1), "door": "30-1-101", "alone": True}
        for n in range(PAGE + 20)
    ]
    rows = [row(n, p, 慢性病="糖尿病") for n, p in enumerate(people + strangers, start=1)]
    changing = set(range(2, 2 + len(people)))  # the file's line of each row: the header is line 1
    unknown = set(range(2 + len(people), 2 + len(people) + len(strangers)))
    return csv_register(rows), changing, unknown


async def test_every_row_a_large_preview_would_change_or_set_aside_can_be_opened_page_by_page(app):
    data, changing, unknown = await big_list()
    async with browser(app) as client:
        await log_in(client, ADMIN)
        first = await upload(client, data, name="台账.csv")
        assert first.status_code == 200, first.text
        assert stat(first.text, "pv-created") + stat(first.text, "pv-updated") == len(changing)
        seen = {}
        for testid, target, wanted in (("problem", "problems", unknown), ("planned-row", "planned", changing)):
            page, shown = first.text, []
            while True:
                on_page = lines(page, testid)
                assert 0 < len(on_page) <= PAGE
                shown += on_page
                asked = next_place(page, target)
                if asked is None:
                    break
                page = (await more(client, draft_of(first.text), **{asked[0]: asked[1]})).text
            assert len(shown) == len(set(shown)), "a row shown twice"
            seen[target] = set(shown)
            assert wanted <= seen[target], f"{len(wanted - seen[target])} rows of {target} cannot be opened"


async def test_with_htmx_a_page_of_one_list_comes_alone_and_keeps_the_other_list_where_it_was(app):
    data, changing, _ = await big_list()
    async with browser(app) as client:
        await log_in(client, ADMIN)
        first = await upload(client, data, name="台账.csv")
        headers = {"HX-Request": "true", "HX-Target": "planned"}
        draft = draft_of(first.text)
        fields = form(client, draft=draft, change_from=str(PAGE), look_from_kept=str(PAGE))
        part = await client.post(
            "/register/import/preview", data=fields, files={"none": ("", b"", "")}, headers=headers
        )
        assert part.status_code == 200
        assert "<html" not in part.text and 'data-testid="problem"' not in part.text
        assert set(lines(part.text, "planned-row")) == set(sorted(changing)[PAGE:])
        assert 'name="change_from_kept" value="100"' in part.text
        # A whole page asked for later (no JavaScript, or 'check again') shows each list where it was kept.
        whole = await more(client, draft, change_from_kept=str(PAGE), look_from_kept=str(PAGE))
        assert set(lines(whole.text, "planned-row")) == set(sorted(changing)[PAGE:])
        assert min(lines(whole.text, "problem")) > min(lines(first.text, "problem"))
