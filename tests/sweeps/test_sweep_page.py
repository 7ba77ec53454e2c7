"""The sweep page in field conditions (issue 14): visited apart from done, a volunteer's own floors first, a claim
form that proposes the next free floors, and a coordinator's long lists folded behind their counts."""

from __future__ import annotations

import re
import uuid

from server.demo.seed import demo_uuid
from server.sweeps.tables import Sweep, SweepClaim
from tests.conftest import browser, csrf, log_in
from tests.sweeps.helpers import claim
from tests.sweeps.test_routes import BUILDING_2, VOLUNTEER, make_sweep

ADMIN = "13800000000"
UNIT_2_1 = demo_uuid("unit", "2-1")
UNIT_2_2 = demo_uuid("unit", "2-2")


def part(page: str, testid: str, end: str = "</section>") -> str:
    """The markup of the element marked `testid`, up to its end tag (elements of this kind must not nest)."""
    assert f'data-testid="{testid}"' in page, testid
    return page.split(f'data-testid="{testid}"', 1)[1].split(end, 1)[0]


def text(markup: str) -> str:
    """What a person reads: tags out, spaces as one."""
    return " ".join(re.sub(r"<[^>]+>", " ", markup).split())


def floor_tile(page: str, floor: int, unit: int = 1) -> str:
    """The words on the tile of one floor of building 2 in the unit's list of floors."""
    href = f"/buildings/{BUILDING_2}/units/{unit}/floors/{floor}"
    units = page.split('data-testid="sweep-floors"')[unit]
    return text(units.split(href, 1)[1].split("</a>", 1)[0].split(">", 1)[1])


async def nobody_home_on_floor(client, sweep_id: str, floor: int, unit: int = 1) -> None:
    """The logged-in coordinator (or holder) taps "whole floor nobody home" on the door screen."""
    url = f"/sweeps/{sweep_id}/buildings/{BUILDING_2}/units/{unit}/floors/{floor}"
    page = (await client.get(url)).text
    form = page.split(f'action="/sweeps/{sweep_id}/floor-ticks"', 1)[1].split("</form>", 1)[0]
    answer = await client.post(
        f"/sweeps/{sweep_id}/floor-ticks",
        data={
            "_csrf_token": client.cookies["gc_csrf"],
            "form_token": re.search(r'name="form_token" value="([0-9a-f-]+)"', form).group(1),
            "household_id": re.findall(r'name="household_id" value="([0-9a-f-]+)"', form),
            "outcome": "nobody_home",
            "back": url,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def claim_values(form: str) -> tuple[str, str, str]:
    """(unit id, first floor, last floor) a claim form holds as drawn."""
    return (
        re.search(r'name="unit_id" value="([0-9a-f-]+)"', form).group(1),
        re.search(r'name="floor_from"[^>]*value="(\d*)"', form).group(1),
        re.search(r'name="floor_to"[^>]*value="(\d*)"', form).group(1),
    )


async def test_a_floor_where_nobody_was_home_reads_visited_not_unclimbed(client):
    sweep_id = await make_sweep(client, "无人应答的一层")
    await nobody_home_on_floor(client, sweep_id, 3)  # 2-1-301, 302, 303: nobody opened
    page = (await client.get(f"/sweeps/{sweep_id}")).text
    assert floor_tile(page, 3) == "3层 3/3 到访 · 0 完成"  # in words: climbed, not done
    assert floor_tile(page, 4) == "4层 0/3 到访 · 0 完成"  # a floor nobody climbed reads apart from it
    whole = text(part(page, "sweep-progress"))
    assert "到访 3 户 · 已完成 0 / 共 108" in whole and "还有 105 户没有上门" in whole
    building = text(page.split('data-testid="sweep-building"', 1)[1].split("</summary>", 1)[0])
    assert "到访 3 户 · 已完成 0 / 共 108" in building
    units = page.split('data-testid="sweep-unit"')
    assert "到访 3 户 · 已完成 0 / 共 54" in text(units[1].split("</summary>", 1)[0])
    assert "到访 0 户 · 已完成 0 / 共 54" in text(units[2].split("</summary>", 1)[0])
    home = (await client.get("/")).text  # the home card's line of the sweep
    row = text(home.split("无人应答的一层", 1)[1].split("</a>", 1)[0])
    assert "到访 3 户 · 已完成 0 / 共 108" in row


async def test_a_volunteers_own_floors_come_first_one_tap_each_with_the_time_left(app):
    async with browser(app) as worker:
        sweep_id = await make_sweep(worker, "我的楼层在最上面")
        await nobody_home_on_floor(worker, sweep_id, 5)  # the attention list now has three doors
    async with browser(app) as client:
        await log_in(client, VOLUNTEER)
        await claim(client, sweep_id, floors=(4, 6))
        page = (await client.get(f"/sweeps/{sweep_id}")).text
        order = [page.index(f'data-testid="{testid}"') for testid in ("my-floors", "claim-next", "sweep-progress")]
        assert order == sorted(order) and order[0] < page.index('data-testid="sweep-attention"')
        live = page.index('id="sweep-live"')
        assert live < order[0]  # inside the part that refreshes itself, and nothing of the sweep before it
        assert 'data-testid="sweep-' not in page[live : order[0]]
        mine = part(page, "my-floors")
        links = re.findall(r'href="(/sweeps/[^"]+/floors/(\d+))"', mine)
        base = f"/sweeps/{sweep_id}/buildings/{BUILDING_2}/units/1/floors/"
        assert [(url, floor) for url, floor in links] == [(base + n, n) for n in ("4", "5", "6")]
        assert "2号楼 1单元 · 4–6 层" in text(mine)
        assert re.search(r"还剩 (1 小时 59|2 小时 0) 分", text(mine))
        assert "5层 3/3 到访 · 0 完成" in text(mine)  # the floor found all nobody home, in words
        for url, _ in links:  # one tap: each link is the door screen itself, where the holder records
            assert 'value="done"' in (await client.get(url)).text


async def test_the_claim_form_proposes_the_next_free_floors(app):
    async with browser(app) as worker:
        sweep_id = await make_sweep(worker, "下一段空楼层")
        await nobody_home_on_floor(worker, sweep_id, 4)  # floor 4 was climbed already
    async with browser(app) as first, browser(app) as second:
        await log_in(first, VOLUNTEER)
        await claim(first, sweep_id, floors=(1, 3))
        await log_in(second, "13900000002")
        page = (await second.get(f"/sweeps/{sweep_id}")).text
        # Not 1-18: floors 1-3 are held, 4 was visited; then about 24 unvisited doors (3 a floor) are proposed.
        proposal = part(page, "claim-next")
        assert claim_values(proposal) == (str(UNIT_2_1), "5", "12")
        assert "下一段空着的：2号楼 1单元 5–12 层（24 户还没人去过）" in text(proposal)
        forms = re.findall(r'<form[^>]*data-testid="claim-form".*?</form>', page, re.S)
        assert [claim_values(form) for form in forms] == [(str(UNIT_2_1), "5", "12"), (str(UNIT_2_2), "1", "8")]
        await claim(second, sweep_id, floors=(5, 12))
        page = (await second.get(f"/sweeps/{sweep_id}")).text
        proposal = part(page, "claim-next")  # the stairwell they are in, on from their floors
        assert claim_values(proposal) == (str(UNIT_2_1), "13", "18")
        assert "你已认领2号楼 1单元 5–12 层" in text(proposal)
        assert "已由" not in text(proposal)


async def test_claiming_floors_you_hold_says_that_you_hold_them(app):
    async with browser(app) as worker:
        sweep_id = await make_sweep(worker, "自己认领过的楼层")
    async with browser(app) as first, browser(app) as second:
        await log_in(first, VOLUNTEER)
        await claim(first, sweep_id, floors=(3, 5))
        again = await first.post(
            f"/sweeps/{sweep_id}/claims",
            data={**csrf_field(first), "unit_id": str(UNIT_2_1), "floor_from": 4, "floor_to": 8},
        )
        said = text(part(again.text, "form-error", "</p>"))
        assert again.status_code == 409 and "你已认领 3–5 层" in said
        assert "已由" not in said  # not their own name, read as someone else's
        assert claim_values(part(again.text, "claim-next")) == (str(UNIT_2_1), "4", "8")  # as typed, to correct
        await log_in(second, "13900000002")
        await claim(second, sweep_id, floors=(9, 10))
        # Floors 4-10 overlap both: the one who asks is told about the other person's floors.
        both = await first.post(
            f"/sweeps/{sweep_id}/claims",
            data={**csrf_field(first), "unit_id": str(UNIT_2_1), "floor_from": 4, "floor_to": 10},
        )
        assert both.status_code == 409 and "9–10 层已由" in text(part(both.text, "form-error", "</p>"))
    assert await SweepClaim.count().where(SweepClaim.sweep == uuid.UUID(sweep_id)) == 2  # nothing more held


def csrf_field(client) -> dict:
    return {"_csrf_token": csrf(client)["x-csrftoken"]}


async def test_a_coordinators_long_lists_are_folded_behind_their_counts(client):
    sweep_id = await make_sweep(client, "收起的列表")
    for floor in (3, 7):
        await nobody_home_on_floor(client, sweep_id, floor)
    page = (await client.get(f"/sweeps/{sweep_id}")).text
    attention = re.search(r"<details[^>]*data-testid=\"sweep-attention\"[^>]*>(.*?)</details>", page, re.S)
    assert attention and " open" not in attention.group(0).split(">", 1)[0]  # folded
    summary = text(attention.group(1).split("</summary>", 1)[0])
    assert summary == "需要处理的门户 6 户"  # its count, said without opening it
    assert attention.group(1).count('class="row"') == 6  # all of them inside, and a page without JavaScript
    units = re.findall(r"<details[^>]*data-testid=\"sweep-unit\"[^>]*>", page)
    assert len(units) == 2 and not any(" open" in unit for unit in units)
    building = re.search(r"<details[^>]*data-testid=\"sweep-building\"[^>]*>", page).group(0)
    assert " open" in building  # a sweep of one building shows its units (folded) at once
    volunteers = re.search(r"<details[^>]*data-testid=\"sweep-volunteers\"[^>]*>", page).group(0)
    assert " open" not in volunteers
    # After acting on a claim, the page opens at that claim's unit.
    page = (await client.get(f"/sweeps/{sweep_id}?unit={UNIT_2_2}")).text
    opened = [unit for unit in re.findall(r"<details[^>]*data-testid=\"sweep-unit\"[^>]*>", page) if " open" in unit]
    assert len(opened) == 1 and f'id="u-{UNIT_2_2}"' in opened[0]


async def test_a_sweep_of_ten_buildings_asks_the_database_as_often_as_a_sweep_of_one(app, monkeypatch):
    """The page counts floors from the doors it read once: no query per building, unit or floor."""
    buildings = [str(demo_uuid("building", str(n))) for n in range(1, 11)]
    async with browser(app) as admin:
        await log_in(admin, ADMIN)
        made = []
        for name, chosen in (("一栋楼", buildings[:1]), ("十栋楼", buildings)):
            answer = await admin.post(
                "/sweeps/",
                data={**csrf_field(admin), "name": name, "day": "2022-11-24", "building_ids": chosen},
                follow_redirects=False,
            )
            assert answer.status_code == 303, answer.text
            made.append(answer.headers["location"])
        engine = Sweep._meta.db
        counted: list[int] = []  # per page read; nothing is counted while `counting` is off
        counting_on = False
        run = type(engine).run_querystring  # on the class: PostgreSQL's engine has slots

        async def counting(self, querystring, *args, **kwargs):
            if counting_on:
                counted[-1] += 1
            return await run(self, querystring, *args, **kwargs)

        monkeypatch.setattr(type(engine), "run_querystring", counting)
        pages = []
        for url in made:
            await admin.get(url)  # the first read folds the new sweep's (no) ticks: not counted
            counted.append(0)
            counting_on = True
            pages.append((await admin.get(url)).text)
            counting_on = False
    one, ten = counted
    assert pages[1].count('data-testid="sweep-building"') == 10 and pages[1].count('class="floor') > 100
    assert one == ten and one > 0, (one, ten)
