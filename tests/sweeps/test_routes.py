"""Sweep pages through HTTP: create one, tick doors floor by floor, follow the progress."""

from __future__ import annotations

import re
import uuid

from server.demo.seed import STORY_RESIDENT_IDS, demo_uuid
from server.places.tables import Resident
from server.sweeps.tables import Sweep, SweepTick
from tests.conftest import log_in
from tests.sweeps.helpers import claim

WORKER = "13800000002"  # 李雪敏, grid 2: building 2 (108 households)
VOLUNTEER = "13900000003"
BUILDING_2 = str(demo_uuid("building", "2"))
DOOR = demo_uuid("household", "2-1-301")


async def make_sweep(client, name: str, *buildings: str) -> str:
    await log_in(client, WORKER)
    answer = await client.post(
        "/sweeps/",
        data={
            "_csrf_token": client.cookies["gc_csrf"],
            "name": name,
            "day": "2022-11-24",
            "purpose": "是否每人都做了核酸",
            "building_ids": list(buildings or [BUILDING_2]),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].rsplit("/", 1)[1]


def floor_url(sweep_id: str, floor: int = 3) -> str:
    return f"/sweeps/{sweep_id}/buildings/{BUILDING_2}/units/1/floors/{floor}"


async def tick(client, sweep_id: str, outcome: str, tick_id: str | None = None, **extra):
    data = {
        "_csrf_token": client.cookies["gc_csrf"],
        "tick_id": tick_id or str(uuid.uuid4()),
        "household_id": str(DOOR),
        "outcome": outcome,
        "back": floor_url(sweep_id),
        **extra,
    }
    return await client.post(f"/sweeps/{sweep_id}/ticks", data=data, follow_redirects=False)


async def test_a_grid_worker_creates_a_sweep_and_sees_its_progress(client):
    sweep_id = await make_sweep(client, "11月24日核酸扫楼")
    page = await client.get(f"/sweeps/{sweep_id}")
    assert page.status_code == 200 and "11月24日核酸扫楼" in page.text
    assert "已完成 0 / 共 108" in page.text and "还有 108 户没有上门" in page.text
    home = await client.get("/")
    assert "11月24日核酸扫楼" in home.text and 'data-testid="sweep-row"' in home.text


async def test_a_sweep_without_buildings_or_of_another_grid_is_refused_in_place(client):
    await log_in(client, WORKER)
    before = await Sweep.count()
    token = client.cookies["gc_csrf"]
    empty = await client.post("/sweeps/", data={"_csrf_token": token, "name": "x", "day": "2022-11-24"})
    assert empty.status_code == 400 and "至少选择一栋楼" in empty.text and 'value="x"' in empty.text
    foreign = await client.post(
        "/sweeps/",
        data={"_csrf_token": token, "name": "x", "day": "2022-11-24", "building_ids": str(demo_uuid("building", "1"))},
    )
    assert foreign.status_code == 400 and "您自己网格" in foreign.text
    bad_day = await client.post(
        "/sweeps/", data={"_csrf_token": token, "name": "x", "day": "24/11", "building_ids": BUILDING_2}
    )
    assert bad_day.status_code == 400
    assert await Sweep.count() == before


async def test_the_door_screen_shows_doors_not_people(client):
    sweep_id = await make_sweep(client, "privacy")
    await log_in(client, VOLUNTEER)
    page = await client.get(floor_url(sweep_id))
    assert page.status_code == 200 and "2-1-301" in re.sub(r"<[^>]+>", "", page.text)  # the plate says 301
    assert "张**" in page.text and "张国强" not in page.text
    zhang = await Resident.select(Resident.phone).where(Resident.id == STORY_RESIDENT_IDS["张国强"]).first()
    assert zhang["phone"] not in page.text and "tel:" not in page.text
    assert not re.search(r"\d+岁", page.text)  # no ages
    assert "5人" in page.text  # household size: 张大爷, his wife, son, daughter-in-law, grandson


async def test_the_door_screen_reaches_any_floor_and_the_next_one_to_sweep(client):
    """Issue 14: every floor of the unit in the picker (the claimed ones first, with the doors left on each), and
    the nearest claimed floor with a door still open one tap away; nothing claims the floors done while one is open."""
    sweep_id = await make_sweep(client, "floors")
    await log_in(client, VOLUNTEER)
    await claim(client, sweep_id, floors=(3, 5))
    page = (await client.get(floor_url(sweep_id, 4))).text
    picker = page.split('data-testid="floor-picker-sheet"', 1)[1].split("</details>", 1)[0]
    assert re.findall(r'href="(\d+)"', picker) == ["5", "4", "3"] + [str(f) for f in range(18, 5, -1)] + ["2", "1"]
    assert "你认领的楼层" in picker and picker.count("剩3") == 18 and 'aria-current="page"' in picker
    assert re.search(r'data-testid="next-floor">下个没扫的：3层', page)  # nearest, the lower of two
    for door in ("2-1-301", "2-1-302", "2-1-303", "2-1-501", "2-1-502", "2-1-503"):
        assert (await tick(client, sweep_id, "done", household_id=str(demo_uuid("household", door)))).status_code == 303
    page = (await client.get(floor_url(sweep_id, 4))).text
    assert "下个没扫的" not in page and "每层都有结果了" not in page  # floor 4 itself is still open
    picker = page.split('data-testid="floor-picker-sheet"', 1)[1].split("</details>", 1)[0]
    assert re.search(r'class="floor-tile done" href="3"><b>3</b>✓', picker)
    for door in ("2-1-401", "2-1-402", "2-1-403"):
        assert (
            await tick(client, sweep_id, "vacant", household_id=str(demo_uuid("household", door)))
        ).status_code == 303
    assert 'data-testid="next-floor">每层都有结果了' in (await client.get(floor_url(sweep_id, 4))).text


async def test_the_door_screen_goes_brotli_compressed_to_a_phone_that_asks(client):
    """A weak signal: a floor of 12 doors is ~50 KB of HTML; brotli (asked for by every browser over https) sends a
    fifth less than gzip, which stays for the others (decision 0020)."""
    sweep_id = await make_sweep(client, "bytes")
    sizes = {}
    for encoding in ("gzip, deflate, br", "gzip"):
        async with client.stream("GET", floor_url(sweep_id), headers={"accept-encoding": encoding}) as answer:
            sizes[answer.headers["content-encoding"]] = len(b"".join([chunk async for chunk in answer.aiter_raw()]))
    assert set(sizes) == {"br", "gzip"} and sizes["br"] < sizes["gzip"]


async def test_ticking_a_door_from_the_page_is_stored_once(client):
    sweep_id = await make_sweep(client, "ticks")
    await log_in(client, VOLUNTEER)
    await claim(client, sweep_id)
    tick_id = str(uuid.uuid4())
    first = await tick(client, sweep_id, "done", tick_id)
    assert first.status_code == 303 and first.headers["location"] == floor_url(sweep_id) + f"#d-{DOOR}"
    again = await tick(client, sweep_id, "done", tick_id)  # a double tap, or the form sent again
    assert again.status_code == 303
    assert await SweepTick.count().where(SweepTick.sweep == uuid.UUID(sweep_id)) == 1
    page = await client.get(floor_url(sweep_id))
    assert "door-done" in page.text
    progress = await client.get(f"/sweeps/{sweep_id}")
    assert "已完成 1 / 共 108" in progress.text
    floors = progress.text.split('data-testid="sweep-floors"', 1)[1].split("</ul>", 1)[0]
    # Floor 3 of unit 1: one of its three doors visited, and done.
    assert re.search(r"3层</strong>\s*<span class=\"floor-figures\">.*1/3 到访.*1 完成", floors)
    assert floors.index("18层") < floors.index("1层<")  # top floor first


async def test_a_second_different_tap_from_the_same_page_is_recorded_not_refused(client):
    """Issue 14, defect 6, without JavaScript: 已完成 then 无人应答 tapped on one page before its redirect came back
    (both forms carry the page's token). Both are stored, in order; the same answer sent twice is stored once."""
    sweep_id = await make_sweep(client, "two taps")
    await log_in(client, VOLUNTEER)
    await claim(client, sweep_id)
    page_token = str(uuid.uuid4())
    for outcome in ("done", "nobody_home", "nobody_home"):
        answer = await tick(client, sweep_id, outcome, page_token)
        assert answer.status_code == 303, answer.text
    ticks = await SweepTick.select(SweepTick.outcome).where(SweepTick.sweep == uuid.UUID(sweep_id))
    assert [t["outcome"] for t in ticks] == ["done", "nobody_home"]
    assert "1户要再访" in (await client.get(f"/sweeps/{sweep_id}")).text  # the last tap is the door's answer


async def test_the_door_screen_says_the_last_tick_it_shows_of_each_door(client):
    """Issue 14: the phone lays the ticks it sent over a page older than them (a page drawn before they arrived, or
    its copy on the phone), and only over such a page: each door says the server's seq of its last tick."""
    sweep_id = await make_sweep(client, "seq on the page")
    await log_in(client, VOLUNTEER)
    await claim(client, sweep_id)

    def seqs(page) -> dict[str, int]:
        return {door: int(seq) for door, seq in re.findall(r'id="d-([0-9a-f-]+)"[^>]*data-outbox-seq="(\d+)"', page)}

    before = seqs((await client.get(floor_url(sweep_id))).text)
    assert len(before) == 3 and set(before.values()) == {0}
    for outcome in ("done", "refused"):
        assert (await tick(client, sweep_id, outcome)).status_code == 303
    last = max(t["seq"] for t in await SweepTick.select(SweepTick.seq).where(SweepTick.sweep == uuid.UUID(sweep_id)))
    after = seqs((await client.get(floor_url(sweep_id))).text)
    assert after[str(DOOR)] == last
    assert [seq for door, seq in after.items() if door != str(DOOR)] == [0, 0]


async def test_needs_help_asks_what_help(client):
    sweep_id = await make_sweep(client, "help")
    await log_in(client, VOLUNTEER)
    await claim(client, sweep_id)
    refused = await tick(client, sweep_id, "needs_help")
    assert refused.status_code == 400 and "请写下需要什么帮助" in refused.text
    assert await SweepTick.count().where(SweepTick.sweep == uuid.UUID(sweep_id)) == 0
    asked = await tick(client, sweep_id, "needs_help", help_needed="家里没菜了")
    assert asked.status_code == 303
    progress = await client.get(f"/sweeps/{sweep_id}")
    assert "1户需要帮助" in progress.text


async def test_a_volunteer_cannot_create_sweeps(client):
    await log_in(client, VOLUNTEER)
    assert (await client.get("/sweeps/new")).status_code == 403
    answer = await client.post(
        "/sweeps/",
        data={"_csrf_token": client.cookies["gc_csrf"], "name": "x", "day": "2022-11-24", "building_ids": BUILDING_2},
    )
    assert answer.status_code == 403


async def test_the_coordinator_sees_who_is_sweeping_and_when_they_last_synced(client):
    sweep_id = await make_sweep(client, "volunteers")
    await log_in(client, VOLUNTEER)
    await claim(client, sweep_id)
    assert (await tick(client, sweep_id, "done")).status_code == 303
    volunteer_view = await client.get(f"/sweeps/{sweep_id}")
    assert 'data-testid="sweep-volunteers"' not in volunteer_view.text  # volunteers do not list each other
    await log_in(client, WORKER)
    page = await client.get(f"/sweeps/{sweep_id}")
    section = page.text.split('data-testid="sweep-volunteers"', 1)[1]
    assert "记录了 1 条" in section and "最后同步" in section
    assert 'hx-trigger="every 15s' in page.text  # the progress refreshes itself


def _floor_form(page: str, sweep_id: str) -> tuple[str, list[str], str]:
    """The whole floor's "nobody home" form of a floor page: its text (tags dropped), doors and token."""
    form = page.split('action="/sweeps/' + sweep_id + '/floor-ticks"', 1)[1].split("</form>", 1)[0]
    doors = re.findall(r'name="household_id" value="([0-9a-f-]+)"', form)
    token = re.search(r'name="form_token" value="([0-9a-f-]+)"', form).group(1)
    return re.sub(r"<[^>]+>", "", form), doors, token


async def test_whole_floor_nobody_home_is_one_tick_per_door_after_a_confirm_naming_them(client):
    sweep_id = await make_sweep(client, "floor")
    await log_in(client, VOLUNTEER)
    await claim(client, sweep_id)
    text, doors, token = _floor_form((await client.get(floor_url(sweep_id))).text, sweep_id)
    assert len(doors) == 3 and "整层无人应答（3 户）" in text
    assert "301" in text and "302" in text and "303" in text and "确认：这 3 户无人应答" in text  # the confirm step
    data = {
        "_csrf_token": client.cookies["gc_csrf"],
        "form_token": token,
        "household_id": doors,
        "outcome": "nobody_home",
        "back": floor_url(sweep_id),
    }
    for _ in range(2):  # the second is a resend of the same form
        answer = await client.post(f"/sweeps/{sweep_id}/floor-ticks", data=data, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == floor_url(sweep_id)  # nothing "kept"
    ticks = await SweepTick.select(SweepTick.outcome, SweepTick.bulk).where(SweepTick.sweep == uuid.UUID(sweep_id))
    assert ticks == [{"outcome": "nobody_home", "bulk": True}] * 3
    progress = await client.get(f"/sweeps/{sweep_id}")
    assert "3户要再访" in progress.text
    page = (await client.get(floor_url(sweep_id))).text
    assert 'data-testid="floor-nobody-home"' not in page
    # The floor picker: every door visited, none done: not ✓ (all recorded), but three to go back to (issue 14).
    tile = re.search(r'<a class="floor-tile[^"]*" href="3"[^>]*>.*?</a>', page).group(0)
    assert "✓" not in tile and "visited" in tile and "再访3" in tile and "每户都去过" in tile
    assert "剩3" in re.search(r'<a class="floor-tile[^"]*" href="4"[^>]*>.*?</a>', page).group(0)


async def test_a_stale_whole_floor_nobody_home_leaves_a_door_recorded_since_as_it_is(client):
    """Issue 14, defect 2: the page was drawn with three doors open; 301 was ticked done since (another tab, the
    phone's outbox); the old form sent now records nobody home at 302 and 303 only, and says so."""
    sweep_id = await make_sweep(client, "stale floor")
    await log_in(client, VOLUNTEER)
    await claim(client, sweep_id)
    _, doors, token = _floor_form((await client.get(floor_url(sweep_id))).text, sweep_id)
    assert str(DOOR) in doors
    assert (await tick(client, sweep_id, "done")).status_code == 303
    answer = await client.post(
        f"/sweeps/{sweep_id}/floor-ticks",
        data={
            "_csrf_token": client.cookies["gc_csrf"],
            "form_token": token,
            "household_id": doors,
            "outcome": "nobody_home",
            "back": floor_url(sweep_id),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    progress = await client.get(f"/sweeps/{sweep_id}")
    assert "已完成 1 / 共 108" in progress.text and "2户要再访" in progress.text
    ticks = await SweepTick.select(SweepTick.household, SweepTick.outcome).where(SweepTick.sweep == uuid.UUID(sweep_id))
    assert sorted((str(t["household"]), t["outcome"]) for t in ticks) == sorted(
        [(str(DOOR), "done")] + [(door, "nobody_home") for door in doors if door != str(DOOR)]
    )
    assert answer.headers["location"] == floor_url(sweep_id) + f"?kept={DOOR}"
    page = await client.get(answer.headers["location"])
    assert re.search(r'data-testid="floor-kept">[^<]*2-1-301', page.text)  # named: it kept its answer
    assert re.search(rf'class="door-row door-done[^"]*" id="d-{DOOR}"', page.text)


async def test_the_results_export_as_csv_and_xlsx_for_coordinators_only(client):
    import csv
    import io

    from openpyxl import load_workbook

    from server.audit.tables import AuditEntry

    sweep_id = await make_sweep(client, "导出")
    await log_in(client, VOLUNTEER)
    await claim(client, sweep_id)
    await tick(client, sweep_id, "needs_help", help_needed="需要降压药")
    assert (await client.get(f"/sweeps/{sweep_id}/export/csv")).status_code == 404  # volunteers do not export
    await log_in(client, WORKER)
    before = await AuditEntry.count().where(AuditEntry.action == "sweep.export")
    answer = await client.get(f"/sweeps/{sweep_id}/export/csv")
    assert answer.status_code == 200 and answer.content.startswith("\ufeff".encode())
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["楼栋", "单元", "楼层", "门牌"] and len(rows) == 1 + 108
    zhang = next(r for r in rows if r[3] == "2-1-301")
    assert zhang[5] == "需要帮助" and zhang[10] == "需要降压药" and zhang[4] == "5"
    assert sum(r[5] == "未上门" for r in rows) == 107
    sheet = load_workbook(io.BytesIO((await client.get(f"/sweeps/{sweep_id}/export/xlsx")).content)).active
    assert sheet.max_row == 1 + 108 and sheet["A1"].value == "楼栋"
    assert await AuditEntry.count().where(AuditEntry.action == "sweep.export") == before + 2
    assert (await client.get(f"/sweeps/{sweep_id}/export/pdf")).status_code == 404


async def test_the_coordinator_sees_a_conflict_and_settles_it_by_recording_the_door(client):
    sweep_id = await make_sweep(client, "conflict")
    for phone, outcome in ((VOLUNTEER, "done"), ("13900000005", "refused")):
        await log_in(client, phone)
        await claim(client, sweep_id, release=True)  # the first lets go; the second takes the unit over
        assert (await tick(client, sweep_id, outcome)).status_code == 303
    await log_in(client, WORKER)
    page = await client.get(f"/sweeps/{sweep_id}")
    attention = page.text.split('data-testid="sweep-attention"', 1)[1].split("</section>", 1)[0]
    assert "2-1-301" in attention and "志愿者说法不一" in attention and "1处说法不一" in page.text
    floors = page.text.split('data-testid="sweep-floors"', 1)[1].split("</ul>", 1)[0]
    assert "1处说法不一" in floors.split(">3层</strong>", 1)[1].split("</a>", 1)[0]  # in words, not only in red
    assert (await tick(client, sweep_id, "done")).status_code == 303  # 李雪敏 called them: they were tested
    page = await client.get(f"/sweeps/{sweep_id}")
    assert 'data-testid="sweep-attention"' not in page.text and "说法不一" not in page.text


async def make_person_sweep(client, name: str, **extra) -> str:
    await log_in(client, WORKER)
    answer = await client.post(
        "/sweeps/",
        data={
            "_csrf_token": client.cookies["gc_csrf"],
            "name": name,
            "day": "2022-11-24",
            "subject": "persons",
            **extra,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].rsplit("/", 1)[1]


async def test_a_person_sweep_counts_a_door_done_when_each_person_has_an_outcome(client):
    sweep_id = await make_person_sweep(client, "每人核酸", unit_ids=[str(demo_uuid("unit", "2-1"))])
    page = await client.get(floor_url(sweep_id))
    zhang_row = page.text.split('id="d-' + str(DOOR), 1)[1].split('<li class="door-row', 1)[0]
    people = re.findall(r'name="resident_id" value="([0-9a-f-]+)"', zhang_row)
    assert len(people) == 5 and "张**" in zhang_row and "张国强" not in zhang_row
    assert 'value="done"' not in zhang_row  # the door is done by its people, not by one tap
    for person in people[:4]:
        assert (await tick(client, sweep_id, "tested", resident_id=person)).status_code == 303
    progress = await client.get(f"/sweeps/{sweep_id}")
    assert "已完成 0 / 共" in progress.text and "1 户还有人没登记" in progress.text
    assert (await tick(client, sweep_id, "away", resident_id=people[4])).status_code == 303
    progress = await client.get(f"/sweeps/{sweep_id}")
    assert "已完成 1 / 共" in progress.text and "还有人没登记" not in progress.text
    # A person of another household, or a door-level "done", is refused in words and changes nothing.
    stranger = await Resident.select(Resident.id).where(Resident.household == demo_uuid("household", "2-1-302"))
    refused = await tick(client, sweep_id, "tested", resident_id=str(stranger[0]["id"]))
    assert refused.status_code == 400
    assert (await tick(client, sweep_id, "done")).status_code == 400


async def test_a_sweep_of_single_units_covers_only_those_units(client):
    sweep_id = await make_person_sweep(client, "单元", unit_ids=[str(demo_uuid("unit", "2-2"))])
    page = await client.get(f"/sweeps/{sweep_id}")
    assert page.text.count('data-testid="claims"') == 1  # one unit
    assert (await client.get(floor_url(sweep_id))).status_code == 404  # unit 1 is not in it
    outside = await tick(client, sweep_id, "not_tested", resident_id=str(STORY_RESIDENT_IDS["张国强"]))
    assert outside.status_code == 400 and "不在" in outside.text


async def test_a_revisit_sweep_holds_exactly_the_doors_still_open(client):
    sweep_id = await make_sweep(client, "首访")
    assert 'data-testid="make-revisit"' not in (await client.get(f"/sweeps/{sweep_id}")).text  # nothing done yet
    assert (await tick(client, sweep_id, "done")).status_code == 303  # 2-1-301 answered
    assert "再访还没结果的 107 户" in (await client.get(f"/sweeps/{sweep_id}")).text
    other = demo_uuid("household", "2-1-302")
    assert (await tick(client, sweep_id, "nobody_home", household_id=str(other))).status_code == 303
    answer = await client.post(
        f"/sweeps/{sweep_id}/revisit", data={"_csrf_token": client.cookies["gc_csrf"]}, follow_redirects=False
    )
    assert answer.status_code == 303
    revisit_id = answer.headers["location"].rsplit("/", 1)[1]
    page = await client.get(f"/sweeps/{revisit_id}")
    assert "再访：首访" in page.text and "已完成 0 / 共 107" in page.text  # 108 doors, one done
    assert "再访扫楼：再访：首访" in (await client.get(f"/sweeps/{sweep_id}")).text
    floor = await client.get(floor_url(revisit_id))
    assert "2-1-302" in floor.text and "2-1-301" not in floor.text
    assert (await tick(client, revisit_id, "done")).status_code == 400  # 2-1-301 is not in the revisit
    assert (await tick(client, revisit_id, "done", household_id=str(other))).status_code == 303  # 2-1-302 is


async def test_a_person_sweeps_page_offers_its_coordinator_to_reconcile_it(client):
    """Issue 4, item 5: a sweep of each person is reconciled from its own page; a sweep of doors is not."""
    sweep_id = await make_person_sweep(client, "核对用", unit_ids=[str(demo_uuid("unit", "2-2"))])
    page = await client.get(f"/sweeps/{sweep_id}")
    assert f'action="/reconcile/sweeps/{sweep_id}"' in page.text and 'data-testid="reconcile-sweep"' in page.text
    answer = await client.post(
        f"/reconcile/sweeps/{sweep_id}", data={"_csrf_token": client.cookies["gc_csrf"]}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"].startswith("/reconcile/")
    doors = await make_sweep(client, "按户")
    assert 'data-testid="reconcile-sweep"' not in (await client.get(f"/sweeps/{doors}")).text
    await log_in(client, VOLUNTEER)
    assert 'data-testid="reconcile-sweep"' not in (await client.get(f"/sweeps/{sweep_id}")).text
