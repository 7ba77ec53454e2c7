"""Emergency contacts through the register import, as a stranger broke them (issue 16, stranger 8b): a masked number
of one relative given to another, and a short number taken for a phone. Both databases, a real upload."""

from __future__ import annotations

from server.register.tables import Contact, ElderProfile
from tests.conftest import browser, log_in
from tests.register.test_import import WORKER, confirm, problems, upload
from tests.register.test_import_words import building_2

HEADER = (
    "姓名,住址,紧急联系人1：姓名,紧急联系人1：关系,紧急联系人1：电话,紧急联系人1：住在哪里,"
    "紧急联系人2：姓名,紧急联系人2：关系,紧急联系人2：电话,紧急联系人2：住在哪里\n"
)
NEPHEW = {"name": "王建军", "relation": "侄子", "phone": "13900009504", "lives": "晋中"}
DAUGHTER = {"name": "王小红", "relation": "女儿", "phone": "13800008000", "lives": "本小区"}


async def with_two_contacts() -> dict:
    """Someone of building 2 with a profile, whose contacts are now the nephew and the daughter."""
    people = {p["id"]: p for p in await building_2() if p["status"] == "living"}
    profiled = await ElderProfile.select(ElderProfile.id).where(ElderProfile.resident.is_in(list(people)))
    someone = people[profiled[0]["id"]]
    await Contact.delete().where(Contact.profile == someone["id"])
    await Contact.insert(*[Contact(profile=someone["id"], position=n, **c) for n, c in enumerate((NEPHEW, DAUGHTER))])
    return someone


def row(person: dict, first: tuple[str, ...], second: tuple[str, ...] = ("", "", "", "")) -> str:
    b, u, r = person["door"].split("-")
    return ",".join((person["name"], f"{b}号楼{u}单元{r}室", *first, *second)) + "\n"


async def contacts_of(person: dict) -> list[tuple[str, str, str, str]]:
    found = await Contact.select().where(Contact.profile == person["id"]).order_by(Contact.position)
    return [(c["name"], c["relation"], c["phone"], c["lives"]) for c in found]


async def test_a_number_too_short_to_dial_is_refused_as_the_form_refuses_it(app):
    someone = await with_two_contacts()
    before = await contacts_of(someone)
    async with browser(app) as client:
        await log_in(client, WORKER)
        for short in ("139 0681", "12", "1390681234", "23900009504"):
            page = await upload(client, (HEADER + row(someone, ("王建军", "侄子", short, ""))).encode(), name="a.csv")
            said = [p for p in problems(page.text) if someone["name"] in p]
            assert said and "位数不够" in said[0], (short, problems(page.text))
            await confirm(client, page.text)
        # What can be dialled is taken: a mobile, a landline with its area code.
        for good in ("139 0000 9505", "0351-7654321", "010 87654321"):
            page = await upload(client, (HEADER + row(someone, ("王建军", "侄子", good, ""))).encode(), name="a.csv")
            assert problems(page.text) == [], (good, problems(page.text))
    assert await contacts_of(someone) == before
