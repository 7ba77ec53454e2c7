"""Emergency contacts through the register import, as a stranger broke them (issue 16, stranger 8b): a masked number
of one relative given to another, and a short number taken for a phone. Both databases, a real upload."""

from __future__ import annotations

from server.register.tables import Contact, ElderProfile
from tests.conftest import browser, log_in
from tests.register.test_import import WORKER, confirm, problems, stat, upload
from tests.register.test_import_changes import planned
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


async def test_a_masked_number_of_another_relative_is_a_problem_of_its_row_and_nothing_moves(app):
    someone = await with_two_contacts()
    before = await contacts_of(someone)
    # The nephew's row given the daughter's masked number, and a new number in contact 2.
    data = row(someone, ("王建军", "侄子", "138****8000", "晋中"), ("王小红", "女儿", "13711112222", ""))
    async with browser(app) as client:
        await log_in(client, WORKER)
        page = await upload(client, (HEADER + data).encode(), name="台账.csv")
        said = [p for p in problems(page.text) if someone["name"] in p]
        assert said and "138****8000 是王小红的号码，不是王建军的" in said[0], problems(page.text)
        assert "完整号码" in said[0], said
        assert stat(page.text, "pv-to-fix") == 1
        assert someone["name"] not in planned(page.text)
        await confirm(client, page.text)
    assert await contacts_of(someone) == before  # nothing saved: no second 王建军, the daughter where she lives


async def test_a_masked_number_keeps_the_number_of_the_contact_of_that_name_and_every_change_is_said(app):
    someone = await with_two_contacts()
    # The daughter's own masked number: hers kept; where she lives changes, and a neighbour is added.
    data = row(someone, ("王小红", "女儿", "138****8000", "晋中"), ("李大妈", "邻居", "13711112222", ""))
    async with browser(app) as client:
        await log_in(client, WORKER)
        page = await upload(client, (HEADER + data).encode(), name="台账.csv")
        assert problems(page.text) == []
        said = planned(page.text)[someone["name"]]
        assert "王小红 女儿 138****8000（本小区） → 王小红 女儿 138****8000（晋中）" in said, said
        assert "原有的联系人王建军不变" in said and "王建军、王小红" not in said, said  # 王小红 changes: not "kept"
        assert (await confirm(client, page.text)).status_code in (302, 303)
    assert await contacts_of(someone) == [
        ("王建军", "侄子", "13900009504", "晋中"),
        ("王小红", "女儿", "13800008000", "晋中"),
        ("李大妈", "邻居", "13711112222", ""),
    ]


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


async def test_a_number_changed_behind_the_same_mask_is_said_in_full(app):
    """A stranger's walk: 13999995678 typed over 13912345678 read "139****5678 → 139****5678", as if unchanged. The
    worker typed the new number in the file: the preview shows it whole."""
    someone = await with_two_contacts()
    data = row(someone, ("王小红", "女儿", "13899998000", "本小区"))
    async with browser(app) as client:
        await log_in(client, WORKER)
        page = await upload(client, (HEADER + data).encode(), name="台账.csv")
        said = planned(page.text)[someone["name"]]
        assert "王小红 女儿 138****8000（本小区） → 王小红 女儿 13899998000（本小区）" in said, said
