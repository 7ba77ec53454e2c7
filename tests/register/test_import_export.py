"""The register's own export imports back (issue 16, a stranger's walk: every row of an export failed with
紧急联系人1没有电话, since the export wrote a person's contacts in one cell and the import read it as a name)."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from server.demo.seed import STORY_RESIDENT_IDS
from server.places.tables import Resident
from server.register.tables import Contact, ElderProfile
from tests.conftest import browser, log_in
from tests.register.test_import import ADMIN, WORKER, confirm, problems, stat, upload
from tests.register.test_import_changes import planned

HOU = STORY_RESIDENT_IDS["侯秀兰"]


def sheet_of(data: bytes) -> list[list]:
    return [list(r) for r in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]


def book_of(rows: list[list]) -> bytes:
    book = Workbook()
    for values in rows:
        book.active.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def register_state() -> list:
    """Everything an import may write, to compare before and after."""
    profiles = await ElderProfile.select().order_by(ElderProfile.id)
    contacts = await Contact.select().order_by(Contact.id)
    births = await Resident.select(Resident.id, Resident.birth_date).order_by(Resident.id)
    return [profiles, contacts, births]


@pytest.mark.parametrize(
    ("who", "locale", "unmasked"),
    [(WORKER, "zh_CN", False), (WORKER, "en", False), (ADMIN, "zh_CN", True)],
    ids=["worker-zh", "worker-en", "admin-unmasked"],
)
async def test_the_register_s_own_export_imports_back_with_nothing_to_change(app, who, locale, unmasked):
    async with browser(app) as client:
        await log_in(client, who)
        client.cookies.set("gc_lang", locale)
        exported = await client.get("/register/export.xlsx" + ("?unmasked=true" if unmasked else ""))
        assert exported.status_code == 200
        rows = sheet_of(exported.content)
        assert len(rows) > 5 and any(r[0] == "侯秀兰" for r in rows) == (who == WORKER or unmasked)
        before = await register_state()
        page = await upload(client, exported.content, name="export.xlsx")
        assert page.status_code == 200, page.text
        assert stat(page.text, "pv-to-fix") == 0, problems(page.text)[:5]
        assert stat(page.text, "pv-created") == 0 and stat(page.text, "pv-updated") == 0, [
            text for text in planned(page.text).values() if "→" in text
        ][:5]
        assert 'data-testid="nothing-to-save"' in page.text
        assert 'data-testid="planned-row"' not in page.text  # none listed as changing
        # Every column of the export is one the import knows: none is left unread.
        assert '<option value="" selected>' not in page.text
        assert await register_state() == before


async def test_an_export_edited_in_one_cell_changes_just_that(app):
    async with browser(app) as client:
        await log_in(client, WORKER)
        assert 'data-testid="export-comes-back"' in (await client.get("/register/import")).text  # said there
        rows = sheet_of((await client.get("/register/export.xlsx")).content)
        header = rows[1]  # under the line saying when the file was exported
        hou = next(r for r in rows if r[0] == "侯秀兰")
        hou[header.index("兴趣爱好")] = "养花、打太极"
        contacts_before = await Contact.select().where(Contact.profile == HOU).order_by(Contact.position)
        born_before = (await Resident.select(Resident.birth_date).where(Resident.id == HOU).first())["birth_date"]
        assert contacts_before and born_before
        page = await upload(client, book_of(rows), name="export.xlsx")
        assert stat(page.text, "pv-to-fix") == 0, problems(page.text)[:5]
        assert stat(page.text, "pv-updated") == 1 and stat(page.text, "pv-created") == 0
        assert list(planned(page.text)) == ["侯秀兰"]  # the one row changing, and only it listed
        said = planned(page.text)["侯秀兰"]
        assert "兴趣爱好：" in said and "→ 养花、打太极" in said and said.count("→") == 1, said
        saved = await confirm(client, page.text)
        assert saved.status_code == 303, saved.text
    profile = await ElderProfile.objects().get(ElderProfile.id == HOU)
    assert profile.interests == "养花、打太极"
    # The masked numbers kept the numbers the register has, and the contacts their ids; the birth date stays.
    assert await Contact.select().where(Contact.profile == HOU).order_by(Contact.position) == contacts_before
    assert (await Resident.select(Resident.birth_date).where(Resident.id == HOU).first())["birth_date"] == born_before


async def test_a_masked_number_that_is_none_of_the_person_s_contacts_is_a_problem_of_its_row(app):
    async with browser(app) as client:
        await log_in(client, WORKER)
        rows = sheet_of((await client.get("/register/export.xlsx")).content)
        header = rows[1]  # under the line saying when the file was exported
        hou = next(r for r in rows if r[0] == "侯秀兰")
        phone = header.index("紧急联系人1：电话")
        assert "****" in hou[phone]
        hou[phone] = hou[phone][:3] + "****0000" if not hou[phone].endswith("0000") else hou[phone][:3] + "****1111"
        before = await register_state()
        page = await upload(client, book_of(rows), name="export.xlsx")
        assert stat(page.text, "pv-to-fix") == 1
        said = [p for p in problems(page.text) if "侯秀兰" in p]
        assert said and "紧急联系人1" in said[0] and hou[phone] in said[0], said
        assert (await confirm(client, page.text)).status_code == 400
        assert await register_state() == before


async def test_chinese_punctuation_in_a_note_is_kept_and_comes_back_unchanged(app):
    """A register's words keep their full-width punctuation (，：（）！): only names, doors, phones and ID numbers are
    folded to compare (a stranger's walk of issue 16: every note came back with ASCII commas, and the next export
    of the same register read as a change of every note)."""
    written = "爱听戏（京剧），周三下午：去公园！"
    async with browser(app) as client:
        await log_in(client, WORKER)
        rows = sheet_of((await client.get("/register/export.xlsx")).content)
        header = rows[1]
        hou = next(r for r in rows if r[0] == "侯秀兰")
        hou[header.index("兴趣爱好")] = written
        page = await upload(client, book_of(rows), name="export.xlsx")
        assert stat(page.text, "pv-updated") == 1, problems(page.text)[:5]
        assert "→ " + written in planned(page.text)["侯秀兰"]
        assert (await confirm(client, page.text)).status_code == 303
        profile = await ElderProfile.objects().get(ElderProfile.id == HOU)
        assert profile.interests == written
        # Exported again and imported: nothing changes.
        again = await client.get("/register/export.xlsx")
        assert any(written in str(cell or "") for row in sheet_of(again.content) for cell in row)
        page = await upload(client, again.content, name="export.xlsx")
        assert stat(page.text, "pv-updated") == 0 and 'data-testid="nothing-to-save"' in page.text, planned(page.text)
