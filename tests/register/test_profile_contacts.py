"""Editing a profile that has emergency contacts (issue 16, defect 1): the numbers stay masked on the form, and the
form sent back as shown saves; a new number replaces one, a cleared number removes its contact."""

from __future__ import annotations

import html as html_lib
import re
import uuid
from html.parser import HTMLParser

from server.audit.tables import AuditEntry
from server.places.tables import Resident
from server.register.tables import Contact, ElderProfile
from tests.conftest import browser, log_in
from tests.register.test_routes import GUO, GUO_WORKER, HOU, HOU_WORKER


class _Form(HTMLParser):
    """The fields of the profile form as a browser sends them: in page order, checked boxes only."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("data-testid") == "profile-form":
            self._in_form = True
        if not self._in_form or "name" not in a:
            return
        if tag == "input":
            if a.get("type") in ("radio", "checkbox") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields.append((a["name"], ""))

    def handle_data(self, data):
        if self._textarea is not None:
            name, value = self.fields[-1]
            self.fields[-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        if tag == "form":
            self._in_form = False


def fields_of(html: str) -> list[tuple[str, str]]:
    parser = _Form()
    parser.feed(html)
    return parser.fields


def sent(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    """As httpx takes a form: each name's values in page order."""
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return data


def blocks(html: str) -> int:
    return html.count('data-testid="contact-block"')


def replace(fields: list[tuple[str, str]], name: str, n: int, value: str) -> list[tuple[str, str]]:
    """The n-th field of that name set to value."""
    seen, out = -1, []
    for key, old in fields:
        if key == name:
            seen += 1
            if seen == n:
                old = value
        out.append((key, old))
    return out


async def a_resident_with_contacts(*phones: str) -> uuid.UUID:
    """A profile of GUO_WORKER's grid other than 郭德胜's, given these contacts (the seed gives one each)."""
    grid = (await Resident.select(Resident.household.building.grid.as_alias("grid")).where(Resident.id == GUO))[0]
    rows = await ElderProfile.select(ElderProfile.id).where(
        (ElderProfile.resident.household.building.grid == grid["grid"]) & (ElderProfile.id != GUO)
    )
    resident = rows[-1]["id"]
    await Contact.delete().where(Contact.profile == resident)
    await Contact.insert(
        *[
            Contact(profile=resident, position=n, name=f"联系人{n}", relation="女儿", phone=phone, lives="太原")
            for n, phone in enumerate(phones)
        ]
    )
    return resident


async def stored(resident: uuid.UUID) -> list[tuple[str, str]]:
    rows = (
        await Contact.select(Contact.name, Contact.phone).where(Contact.profile == resident).order_by(Contact.position)
    )
    return [(r["name"], r["phone"]) for r in rows]


async def test_a_profile_with_contacts_saves_unchanged_without_showing_their_numbers(app):
    resident = await a_resident_with_contacts("13912345678", "13687654321")
    async with browser(app) as client:
        await log_in(client, GUO_WORKER)
        edit = await client.get(f"/residents/{resident}/profile/edit")
        assert edit.status_code == 200
        assert "13912345678" not in edit.text and "13687654321" not in edit.text  # masked on the form too
        assert "139****5678" in edit.text and "None" not in edit.text
        assert blocks(edit.text) == 4  # two contacts and two blank blocks
        saved = await client.post(
            f"/residents/{resident}/profile", data=sent(fields_of(edit.text)), follow_redirects=False
        )
        assert saved.status_code == 303, re.findall(r'data-testid="error-[^"]*">([^<]*)', saved.text)
    assert await stored(resident) == [("联系人0", "13912345678"), ("联系人1", "13687654321")]
    # Opening the form reveals no number: no phone.view was logged for these contacts.
    ids = [str(c["id"]) for c in await Contact.select(Contact.id).where(Contact.profile == resident)]
    assert not await AuditEntry.exists().where((AuditEntry.action == "phone.view") & AuditEntry.target_id.is_in(ids))


async def test_a_form_shown_again_does_not_grow_blank_blocks(app):
    resident = await a_resident_with_contacts("13912345678")
    async with browser(app) as client:
        await log_in(client, GUO_WORKER)
        page = await client.get(f"/residents/{resident}/profile/edit")
        assert blocks(page.text) == 3
        for _ in range(3):  # a bad birth date: the form comes back, as many times as it is sent
            data = replace(fields_of(page.text), "birth_date", 0, "1948-02-30")
            page = await client.post(f"/residents/{resident}/profile", data=sent(data), follow_redirects=False)
            assert page.status_code == 400 and 'data-testid="error-birth_date"' in page.text
            assert blocks(page.text) == 3
            assert "139****5678" in page.text and "13912345678" not in page.text
    assert await stored(resident) == [("联系人0", "13912345678")]


async def test_a_new_number_replaces_a_cleared_one_removes_and_a_half_edited_mask_is_refused(app):
    resident = await a_resident_with_contacts("13912345678", "13687654321")
    async with browser(app) as client:
        await log_in(client, GUO_WORKER)
        edit = await client.get(f"/residents/{resident}/profile/edit")
        assert edit.text.count('data-testid="phone-help"') == 2  # each stored number says what leaving it does
        fields = fields_of(edit.text)
        half = replace(fields, "contact_phone", 0, "139****0000")
        refused = await client.post(f"/residents/{resident}/profile", data=sent(half), follow_redirects=False)
        assert refused.status_code == 400 and 'data-testid="error-contacts.0.phone"' in refused.text
        assert await stored(resident) == [("联系人0", "13912345678"), ("联系人1", "13687654321")]
        changed = replace(replace(fields, "contact_phone", 0, "+86 135 0000 1111"), "contact_phone", 1, "")
        saved = await client.post(f"/residents/{resident}/profile", data=sent(changed), follow_redirects=False)
        assert saved.status_code == 303
        assert await stored(resident) == [("联系人0", "13500001111")]
        # A new contact typed into a blank block is added next to the one kept.
        edit = await client.get(f"/residents/{resident}/profile/edit")
        added = replace(fields_of(edit.text), "contact_name", 1, "王邻居")
        added = replace(added, "contact_phone", 1, "13300002222")
        saved = await client.post(f"/residents/{resident}/profile", data=sent(added), follow_redirects=False)
        assert saved.status_code == 303
    assert await stored(resident) == [("联系人0", "13500001111"), ("王邻居", "13300002222")]


def _form_fields(html: str) -> list[tuple[str, str]]:
    """The profile form as a browser would send it untouched: hidden and text inputs, checked boxes, textareas."""
    form = html.split('data-testid="profile-form"', 1)[1].split("</form>", 1)[0]
    fields = []
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if not name or (kind and kind.group(1) in ("radio", "checkbox") and "checked" not in tag):
            continue
        value = re.search(r'value="([^"]*)"', tag)
        fields.append((name.group(1), html_lib.unescape(value.group(1)) if value else ""))
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        fields.append((name, html_lib.unescape(value)))
    return fields


def _with(fields: list[tuple[str, str]], **changes) -> dict[str, list[str]]:
    """As httpx sends a form: each name with its values in order (contact blocks repeat their names)."""
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(changes.get(name, value))
    return data


async def test_saving_again_after_a_conflict_keeps_what_the_other_person_saved(app):
    """A stranger's walk of issue 16: A changed the best time to call and saved; B changed only the interests, got
    the conflict warning, saved again: the best time went back to its old value (B's form still held it)."""
    async with browser(app) as a, browser(app) as b:
        await log_in(a, HOU_WORKER)
        await log_in(b, "13800000000")  # the admin
        drawn_a = _form_fields((await a.get(f"/residents/{HOU}/profile/edit")).text)
        drawn_b = _form_fields((await b.get(f"/residents/{HOU}/profile/edit")).text)
        before = await ElderProfile.objects().get(ElderProfile.id == HOU)
        contacts = await Contact.count().where(Contact.profile == HOU)
        first = await a.post(
            f"/residents/{HOU}/profile", data=_with(drawn_a, best_time="晚饭前，六点左右"), follow_redirects=False
        )
        assert first.status_code == 303
        late = await b.post(f"/residents/{HOU}/profile", data=_with(drawn_b, interests="养花、听戏"))
        assert late.status_code == 409
        again = _form_fields(late.text)
        assert dict(again)["best_time"] == "晚饭前，六点左右" and dict(again)["interests"] == "养花、听戏"
        saved = await b.post(f"/residents/{HOU}/profile", data=_with(again), follow_redirects=False)
        assert saved.status_code == 303, saved.text[:500]
    after = await ElderProfile.objects().get(ElderProfile.id == HOU)
    assert (after.best_time, after.interests) == ("晚饭前，六点左右", "养花、听戏")
    assert contacts and await Contact.count().where(Contact.profile == HOU) == contacts  # no contact lost or doubled
    await ElderProfile.update(
        {ElderProfile.best_time: before.best_time, ElderProfile.interests: before.interests}
    ).where(ElderProfile.id == HOU)


async def test_a_contact_longer_than_it_can_be_stored_is_refused_in_place_not_cut(app):
    """A stranger's walk of issue 16: a relative's 40-character name was cut at 32 without a word."""
    resident = await a_resident_with_contacts("13912345678")
    long_name = "欧阳" + "娜" * 38
    async with browser(app) as client:
        await log_in(client, GUO_WORKER)
        edit = await client.get(f"/residents/{resident}/profile/edit")
        data = replace(fields_of(edit.text), "contact_name", 0, long_name)
        page = await client.post(f"/residents/{resident}/profile", data=sent(data), follow_redirects=False)
        assert page.status_code == 400
        assert re.search(r'data-testid="error-contacts\.0\.name"[^>]*>[^<]*太长了', page.text), page.text[:2000]
        data = replace(fields_of(edit.text), "contact_lives", 0, "太原" * 40)
        page = await client.post(f"/residents/{resident}/profile", data=sent(data), follow_redirects=False)
        assert page.status_code == 400 and 'data-testid="error-contacts.0.lives"' in page.text
    assert await stored(resident) == [("联系人0", "13912345678")]
