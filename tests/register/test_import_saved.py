"""The page after an import is saved names each row not imported, with its reason as the preview said it (issue 16,
a stranger's walk: it said "2 行没有导入" and named no row)."""

from __future__ import annotations

import re

from tests.conftest import browser, log_in
from tests.register.test_import import ADMIN, WORKER, confirm, stat, upload
from tests.register.test_import_words import HEADER, building_2, line


def not_imported(page: str) -> list[str]:
    return [
        " ".join(re.sub(r"<[^>]+>", " ", item).split())
        for item in re.findall(r'data-testid="not-imported">(.*?)</li>', page, re.S)
    ]


async def test_the_saved_page_lists_each_row_not_imported_with_its_reason(app):
    living = [p for p in await building_2() if p["status"] == "living" and p["birth_date"] and p["id_number"]]
    wrong, good = living[40], living[41]
    born = wrong["birth_date"].replace(year=wrong["birth_date"].year - 3, day=1).isoformat()
    strangers = [f"不在册{n:02d},,2号楼1单元{n + 101}室,,,,,,\n" for n in range(12)]
    data = HEADER + line(wrong, born=born) + line(good, interests="剪纸") + "".join(strangers)
    async with browser(app) as client:
        await log_in(client, WORKER)
        page = await upload(client, data.encode(), name="台账.csv", skip_unknown="1")
        assert stat(page.text, "pv-to-fix") == 0
        saved = await confirm(client, page.text, skip_unknown="1")
        assert saved.status_code == 303, saved.text
        location = saved.headers["location"]
        assert re.fullmatch(r"/register/import/saved/[0-9a-f-]{36}", location), location
        done = await client.get(location)
        assert done.status_code == 200
        rows = not_imported(done.text)
        assert len(rows) == 13, rows  # the row set aside and the 12 left out; not the row saved
        said = next(r for r in rows if wrong["name"] in r)
        assert "第 2 行" in said and wrong["door"] in said and born in said and "不导入" in said, said
        assert not any(good["name"] in r for r in rows)
        assert any("第 4 行" in r and "不在册00" in r and "不在你的台账里" in r for r in rows), rows
        assert "13 行没有导入" in done.text
        # Ten open, the rest folded behind their count.
        folded = done.text.split('data-testid="more-not-imported"', 1)[1]
        assert len(not_imported(folded)) == 3 and "还有 3 行" in folded
    async with browser(app) as other:  # the result is the importer's own
        await log_in(other, ADMIN)
        assert (await other.get(location)).status_code == 404


async def test_every_row_not_imported_can_be_opened_page_by_page(app):
    """A stranger's walk of issue 16: the saved page stopped at 200 rows and "还有 N 行" could not be opened."""
    good = next(p for p in await building_2() if p["status"] == "living" and p["birth_date"] and p["id_number"])
    strangers = [f"不在册{n:03d},,2号楼1单元{n + 101}室,,,,,,\n" for n in range(230)]
    data = HEADER + line(good, interests="剪纸") + "".join(strangers)
    async with browser(app) as client:
        await log_in(client, WORKER)
        page = await upload(client, data.encode(), name="台账.csv", skip_unknown="1")
        assert 'data-testid="export-headless"' not in page.text  # a list typed by hand is not an export
        saved = await confirm(client, page.text, skip_unknown="1")
        location = saved.headers["location"]
        seen, url = [], location
        while url:
            done = await client.get(url)
            assert done.status_code == 200 and "230 行没有导入" in done.text
            seen += not_imported(done.text)
            found = re.search(r'href="(\?from=\d+)#not-imported-rows" data-testid="not-imported-next"', done.text)
            url = location + found.group(1) if found else None
        assert len(seen) == 230 and len(set(seen)) == 230
        assert [int(re.search(r"不在册(\d+)", r).group(1)) for r in seen] == list(range(230))
        # A place past the end, or not a number, is a page that exists.
        assert len(not_imported((await client.get(location + "?from=99999")).text)) == 30
        assert len(not_imported((await client.get(location + "?from=abc")).text)) == 100


def saved_rows(page: str) -> list[str]:
    return re.findall(r'data-testid="saved-row">(.*?)</li>\s*(?=<li|</ul>)', page, re.S)


async def test_the_saved_page_names_each_person_saved_and_what_changed(app):
    """A stranger's walk of issue 16: the page said "1 人更新" and named nobody."""
    living = [p for p in await building_2() if p["status"] == "living" and p["birth_date"] and p["id_number"]]
    first, second = living[42], living[43]
    data = HEADER + line(first, interests="剪纸和太极") + line(second, interests="养鸟听戏")
    async with browser(app) as client:
        await log_in(client, WORKER)
        page = await upload(client, data.encode(), name="台账.csv")
        saved = await confirm(client, page.text)
        assert saved.status_code == 303, saved.text
        done = (await client.get(saved.headers["location"])).text
        rows = saved_rows(done)
        assert len(rows) == 2, done
        said = " ".join(re.sub(r"<[^>]+>", " ", rows[0]).split())
        assert first["name"] in said and first["door"] in said and "第 2 行" in said, said
        assert "剪纸和太极" in said and "→" in said, said  # the field changed, old -> new
        assert f'href="/residents/{first["id"]}/profile"' in rows[0]
        assert "养鸟听戏" in rows[1] and "保存了 2 人" in done
        assert 'data-testid="not-imported-rows"' not in done
