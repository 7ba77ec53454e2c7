"""Living alone makes an elder 一号专线, not a 38-year-old (a stranger's walk of issue 16: one joined the daily round
as 一号专线 from an import)."""

from __future__ import annotations

from datetime import date

from server.demo.seed import demo_uuid
from server.places.services import age_on
from server.places.tables import Resident
from server.register.services import auto_priority
from server.register.tables import ElderProfile
from tests.conftest import browser, log_in
from tests.register.test_import import WORKER, confirm, problems, upload
from tests.register.test_import_words import HEADER, line
from tests.register.test_profile_contacts import fields_of, replace, sent


def test_living_alone_puts_elders_on_the_priority_line_and_walking_badly_anyone():
    assert auto_priority("alone", "good", 75) and auto_priority("alone", "good", 60)
    assert not auto_priority("alone", "good", 38)
    assert auto_priority("alone", "good", None)  # the register is of elders: an unknown age is taken as one
    assert auto_priority("family", "limited", 38)
    assert not auto_priority("spouse", "good", 80)


async def young_without_profile(building: str) -> dict:
    rows = await Resident.select(
        Resident.id, Resident.name, Resident.birth_date, Resident.household.door.as_alias("door")
    ).where(
        (Resident.household.building == demo_uuid("building", building))
        & (Resident.status == "living")
        & Resident.birth_date.is_not_null()
        & Resident.id.not_in(ElderProfile.select(ElderProfile.id))
    )
    today = date.today()
    young = [r for r in rows if 20 <= (age_on(r["birth_date"], today) or 0) < 60]
    names = [r["name"] for r in rows]
    return next(r for r in young if names.count(r["name"]) == 1)


async def test_an_imported_person_under_60_is_said_and_not_put_on_the_priority_line(app):
    someone = await young_without_profile("2")
    async with browser(app) as client:
        await log_in(client, WORKER)
        page = await upload(client, (HEADER + line(someone, interests="下棋")).encode(), name="台账.csv")
        said = [p for p in problems(page.text) if someone["name"] in p]
        age = age_on(someone["birth_date"], date.today())
        assert said and f"{age} 岁，不到 60 岁" in said[0] and "✖" not in said[0], problems(page.text)
        assert (await confirm(client, page.text)).status_code == 303
    profile = await ElderProfile.objects().get(ElderProfile.id == someone["id"])
    assert profile.interests == "下棋" and not profile.priority and not profile.in_round


async def test_a_profile_form_saying_alone_for_someone_under_60_leaves_the_priority_line_off(app):
    someone = await young_without_profile("3")
    async with browser(app) as client:
        await log_in(client, "13800000005")  # grid 5: building 3
        edit = await client.get(f"/residents/{someone['id']}/profile/edit")
        assert edit.status_code == 200
        data = replace(fields_of(edit.text), "living", 0, "alone")
        saved = await client.post(f"/residents/{someone['id']}/profile", data=sent(data), follow_redirects=False)
        assert saved.status_code == 303, saved.text[:500]
    profile = await ElderProfile.objects().get(ElderProfile.id == someone["id"])
    assert profile.living == "alone" and not profile.priority
