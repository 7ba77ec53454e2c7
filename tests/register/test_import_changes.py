"""The register import says every change it makes, and never overwrites what the register or an ID number says
(issue 16, defect 2: a young man's birth date became 1945 while his ID number says 2005, and the preview said
新建档)."""

from __future__ import annotations

import re
from datetime import date

from server.demo.seed import demo_uuid
from server.places.tables import Resident
from server.register import import_rows
from server.register.tables import ElderProfile
from tests.conftest import browser, log_in
from tests.register.files import people_of_building, person, row, xlsx_register
from tests.register.test_import import WORKER, confirm, problems, stat, upload


def planned(page: str) -> dict[str, str]:
    """Each planned row's text, as it reads on the screen, by the person's name."""
    section = page.split('data-testid="planned"', 1)[1].split("</section>", 1)[0]
    out = {}
    for chunk in section.split('data-testid="planned-row">')[1:]:
        chunk = re.sub(r'<span class="visually-hidden">[^<]*</span>', "", chunk)
        name = re.search(r'<span class="row-title">(?:<bdi>)?([^<]*)<', chunk).group(1).strip()
        out[name] = " ".join(re.sub(r"<[^>]+>", " ", chunk).split())
    return out


async def a_young_man_without_a_profile() -> dict:
    """Someone of building 2 (the worker's grid) born after 2000, with an ID number, and no register entry."""
    young = await (
        Resident.select(Resident.id)
        .where(
            (Resident.household.building == demo_uuid("building", "2"))
            & (Resident.status == "living")
            & (Resident.birth_date > date(2000, 1, 1))
            & Resident.id_number.is_not_null()
        )
        .order_by(Resident.birth_date)
    )
    with_profile = {p["id"] for p in await ElderProfile.select(ElderProfile.id)}
    chosen = next(r["id"] for r in young if r["id"] not in with_profile)
    return await person(chosen)


async def test_a_birth_date_the_id_number_contradicts_is_set_aside_in_words_and_not_written(app):
    young = await a_young_man_without_a_profile()
    born = young["birth_date"]
    wrong = born.replace(year=1945) if not (born.month == 2 and born.day == 29) else date(1945, 2, 28)
    others = await people_of_building(2, limit=2, offset=20)
    rows = [row(1, young, 出生日期=wrong.isoformat())] + [row(n, p) for n, p in enumerate(others, start=2)]
    async with browser(app) as client:
        await log_in(client, WORKER)
        page = await upload(client, xlsx_register(rows))
        assert page.status_code == 200, page.text
        said = [p for p in problems(page.text) if young["name"] in p]
        assert said and wrong.isoformat() in said[0] and born.isoformat() in said[0] and "身份证" in said[0], said
        assert young["name"] not in planned(page.text)  # not 新建档: the row is not applied
        assert 'data-testid="set-aside"' in page.text
        assert stat(page.text, "pv-to-fix") == 0  # the other rows can still be saved
        saved = await confirm(client, page.text)
        assert saved.status_code == 303, saved.text
        done = await client.get(saved.headers["location"])
        assert 'data-testid="saved-set-aside"' in done.text
    after = await person(young["id"])
    assert after["birth_date"] == born
    assert not await ElderProfile.exists().where(ElderProfile.id == young["id"])


async def test_the_preview_says_each_field_a_row_changes_old_and_new(app):
    older = (await people_of_building(2, limit=1, offset=24))[0]
    async with browser(app) as client:
        await log_in(client, WORKER)
        first = await confirm(client, (await upload(client, xlsx_register([row(1, older)]))).text)
        assert first.status_code == 303
        # Now the register says 独居 (or 空巢: others live there), 行动不便, 高血压: a second file says otherwise.
        changed = row(1, older, 居住情况="与子女同住", 慢性病="糖尿病")
        page = await upload(client, xlsx_register([changed]))
        text = planned(page.text)[older["name"]]
        was = "独居" if older["alone"] else "空巢（仅与配偶）"
        assert f"居住情况：{was} → 与家人同住" in text, text
        assert "慢性病：高血压 → 糖尿病" in text, text
        assert "行动" not in text  # what does not change is not listed
        # The same person with the other sex: the register and the ID number say otherwise; set aside.
        other_sex = row(1, older, 性别="女" if older["sex"] == "M" else "男")
        page = await upload(client, xlsx_register([other_sex]))
        assert any("性别" in p and "不导入" in p for p in problems(page.text)), problems(page.text)
        assert older["name"] not in planned(page.text)


def test_an_id_number_s_birth_date_and_sex():
    assert import_rows.id_facts("140109200503010017") == (date(2005, 3, 1), "M")
    assert import_rows.id_facts("14010920050301002X") == (date(2005, 3, 1), "F")
    assert import_rows.id_facts("140109********0017") == (None, "")
    assert import_rows.id_facts("140109200502300017") == (None, "M")  # no such day: the sex still stands
    said = import_rows.contradictions(date(2005, 3, 1), "M", "140109200503010017", (1945, 3, 1), "M", "")
    assert said == [("birth_vs_id", "1945-03-01", "2005-03-01")]
    # No ID number: the register's birth date stands against the row's; 出生年月 agreeing with it is no contradiction.
    assert import_rows.contradictions(date(1945, 3, 1), "F", None, (1945, 3, None), "F", "") == []
    assert import_rows.contradictions(date(1945, 3, 1), "F", None, (1946, 3, 1), "M", "")[0][0] == "birth_differs"
    # An ID number confirming the row corrects a wrong registered birth date.
    assert import_rows.contradictions(date(1945, 1, 1), "M", "140109194503010017", (1945, 3, 1), "M", "") == []


async def test_a_row_set_aside_comes_first_among_the_rows_to_look_at(app):
    """A stranger's walk of issue 16: the rows the top said were not applied sat on pages 15 and 46 of a 5,000-row
    list, among thousands of rows of people not in her register."""
    young = await a_young_man_without_a_profile()
    born = young["birth_date"]
    wrong = born.replace(year=1945) if not (born.month == 2 and born.day == 29) else date(1945, 2, 28)
    strangers = await people_of_building(7, limit=120)  # another grid's: not in her register
    rows = [row(n, p) for n, p in enumerate(strangers, start=1)] + [row(500, young, 出生日期=wrong.isoformat())]
    async with browser(app) as client:
        await log_in(client, WORKER)
        page = await upload(client, xlsx_register(rows))
        assert stat(page.text, "pv-to-fix") == len(strangers)
        first = problems(page.text)[0]
        assert young["name"] in first and "身份证" in first, problems(page.text)[:2]
