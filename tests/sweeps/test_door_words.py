"""Issue 14, item 8: the coordinator sees who said what at a door where volunteers disagree, and when."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from server.demo.seed import demo_uuid
from tests.conftest import browser, log_in
from tests.sweeps.helpers import claim
from tests.sweeps.test_routes import DOOR, VOLUNTEER, WORKER, make_sweep, tick
from tests.sweeps.test_sync_ticks import send
from tests.sweeps.test_team import join, make_code

ZONE = ZoneInfo("Asia/Shanghai")  # the community's clock (GRIDCARE_TIMEZONE's default)
OTHER_WORKER = "13800000001"  # grid 1: building 2 is not theirs
ADMIN = "13800000000"


def guest_phone() -> str:
    return f"155{uuid.uuid4().int % 10**8:08d}"


def sync_tick(sweep_id: str, outcome: str, device_time: datetime, **extra) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "kind": "sweep.tick",
        "device_time": device_time.isoformat(),
        "payload": {"sweep_id": sweep_id, "household_id": str(DOOR), "outcome": outcome, **extra},
    }


async def two_guests_disagree(
    app, name: str, first: str = "赵志愿", second: str = "钱志愿", second_outcome: str = "refused", **said
) -> dict:
    """A sweep of building 2 by its grid worker; two volunteers who joined with its code record door 2-1-301: the
    first says it is done, from a phone that had no signal for three hours; the second, now, that they refused (or
    `second_outcome`)."""
    async with browser(app) as coordinator:
        sweep_id = await make_sweep(coordinator, name)
        code = await make_code(coordinator, sweep_id)
    now = datetime.now(UTC).replace(microsecond=0)
    offline_at = now - timedelta(hours=3)
    notes = {
        "first_note": said.get("first_note", "孙子开的门，说都做了"),
        "second_note": said.get("second_note", "隔着门说不用登记"),
    }
    for who, outcome, at, note, extra in (
        (first, "done", offline_at, notes["first_note"], {}),
        (second, second_outcome, now, notes["second_note"], said.get("second_extra", {})),
    ):
        async with browser(app) as phone:
            assert (await join(phone, code, name=who, phone=guest_phone())).status_code == 303
            await claim(phone, sweep_id, release=True)  # the first lets go; the second takes the unit over
            [answer] = await send(phone, sync_tick(sweep_id, outcome, at, note=note, **extra))
            assert answer["status"] == "accepted", answer
    return {"sweep_id": sweep_id, "offline_at": offline_at, "now": now, **notes}


def local(moment: datetime) -> str:
    """As the pages show a time of today (server.web.templating.local_time)."""
    shown = moment.astimezone(ZONE)
    return shown.strftime("%H:%M") if shown.date() == datetime.now(ZONE).date() else shown.strftime("%m-%d %H:%M")


def section(page: str, testid: str) -> str:
    return page.split(f'data-testid="{testid}"', 1)[1].split("</section>", 1)[0]


async def test_the_coordinator_sees_who_said_what_at_a_door_and_when(app, client):
    story = await two_guests_disagree(app, "说法不一")
    sweep_id = story["sweep_id"]
    await log_in(client, WORKER)
    progress = await client.get(f"/sweeps/{sweep_id}")
    door_url = f"/sweeps/{sweep_id}/doors/{DOOR}"
    assert f'href="{door_url}"' in section(progress.text, "sweep-attention")  # "Doors to look at" leads there

    page = await client.get(door_url)
    assert page.status_code == 200
    state = section(page.text, "door-state")
    assert "2-1-301" in state and "已完成" in state
    assert re.search(r'data-testid="door-conflict">.*志愿者说法不一：已完成 / 拒绝', state)
    assert f'href="/sweeps/{sweep_id}/buildings/{demo_uuid("building", "2")}/units/1/floors/3#d-{DOOR}"' in state
    words = section(page.text, "door-words").split('data-testid="door-word"')[1:]
    assert len(words) == 2
    first, second = words  # in the order they reached the server
    assert "赵志愿" in first and "志愿者" in first and "已完成" in first and story["first_note"] in first
    # Recorded three hours ago without signal: both times, so the coordinator knows which came first at the door.
    assert f"登记于 {local(story['offline_at'])}" in first and "才传到" in first
    assert "钱志愿" in second and "拒绝" in second and story["second_note"] in second
    assert "才传到" not in second  # sent at once: one time is enough
    assert "门的状态按这条" in first and "门的状态按这条" not in second  # done outranks refused


async def test_the_coordinators_word_settles_the_door_and_the_page_says_so(app, client):
    story = await two_guests_disagree(app, "定论")
    sweep_id = story["sweep_id"]
    await log_in(client, WORKER)
    assert (await tick(client, sweep_id, "refused", note="打电话问过：不让进")).status_code == 303
    page = await client.get(f"/sweeps/{sweep_id}/doors/{DOOR}")
    assert 'data-testid="door-conflict"' not in page.text
    assert "拒绝" in section(page.text, "door-state")
    words = section(page.text, "door-words").split('data-testid="door-word"')[1:]
    assert len(words) == 3 and "李雪敏" in words[2] and "网格员" in words[2] and "打电话问过：不让进" in words[2]
    assert all('data-testid="word-settled"' in word for word in words[:2])
    assert 'data-testid="word-settled"' not in words[2]


async def test_a_door_page_is_for_its_coordinators_only(app, client):
    story = await two_guests_disagree(app, "谁能看")
    url = f"/sweeps/{story['sweep_id']}/doors/{DOOR}"
    await log_in(client, ADMIN)
    assert (await client.get(url)).status_code == 200
    await log_in(client, OTHER_WORKER)  # building 2 is not in their grid
    assert (await client.get(url)).status_code == 404
    await log_in(client, VOLUNTEER)  # volunteers see doors, not who said what
    await claim(client, story["sweep_id"])
    assert (await client.get(url)).status_code == 404
    await log_in(client, WORKER)
    other_building = f"/sweeps/{story['sweep_id']}/doors/{demo_uuid('household', '3-1-101')}"
    assert (await client.get(other_building)).status_code == 404  # a door that is not in the sweep
    nobody_yet = await client.get(f"/sweeps/{story['sweep_id']}/doors/{demo_uuid('household', '2-1-302')}")
    assert nobody_yet.status_code == 200 and "还没有人登记这户" in nobody_yet.text


async def test_a_person_sweep_door_shows_who_recorded_each_person(client):
    from server.places.tables import Resident
    from tests.sweeps.test_routes import make_person_sweep

    sweep_id = await make_person_sweep(client, "每人", unit_ids=[str(demo_uuid("unit", "2-1"))])
    people = await Resident.select(Resident.id, Resident.name).where(
        (Resident.household == DOOR) & (Resident.status == "living")
    )
    zhang = next(p for p in people if p["name"] == "张国强")
    assert (await tick(client, sweep_id, "tested", resident_id=str(zhang["id"]), note="在阳台上")).status_code == 303
    page = await client.get(f"/sweeps/{sweep_id}/doors/{DOOR}")
    persons = section(page.text, "door-people").split('data-testid="door-person"')[1:]
    assert len(persons) == len(people)
    zhang_row = next(p for p in persons if "张**" in p and "已检测" in p)
    assert "李雪敏" in zhang_row and "在阳台上" in zhang_row and "张国强" not in page.text
    assert sum("还没登记" in p for p in persons) == len(people) - 1


async def test_a_whole_floors_nobody_home_is_named_and_said_to_be_set_aside(app, client):
    """A door recorded on its own keeps its answer over the floor's nobody-home (decision 0020); the coordinator
    sees both, and which one counts."""
    story = await two_guests_disagree(app, "整层与单户", second_outcome="nobody_home", second_extra={"bulk": True})
    await log_in(client, WORKER)
    page = await client.get(f"/sweeps/{story['sweep_id']}/doors/{DOOR}")
    assert page.status_code == 200
    words = section(page.text, "door-words")
    assert "赵志愿" in words and "钱志愿" in words
    floor_word = words.split("钱志愿", 1)[1].split("</li>", 1)[0]
    assert "整层一起登记的" in floor_word and "不算：这户单独登记过。" in floor_word
    assert "不算" not in words.split("赵志愿", 1)[1].split("</li>", 1)[0]  # the door's own word stands
    assert "已完成" in section(page.text, "door-state")
