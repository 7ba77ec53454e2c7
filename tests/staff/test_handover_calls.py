"""Calls a grid worker made while a grid was theirs, sent after the admin handed it to a colleague (issue 16, a
stranger's walk: refused as not_allowed, shown on the phone as 未被接受 with no reason, and seen by nobody, only kept in
sync_rejection). Decision 0034: they land, and reach whoever holds the grid now; what is still refused is said."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from server.access.masks import mask_phone
from server.access.scope import CurrentUser
from server.accounts.tables import GridCover, GridHandover, User
from server.demo.seed import COMMUNITY_ID, GRID_IDS, demo_uuid
from server.places.tables import Resident
from server.register.tables import CheckIn, ElderProfile, FollowUp
from server.settings import Settings
from server.staff.handover import hand_over_grid
from server.sync.tables import SyncRejection
from tests.conftest import browser, csrf, log_in

CHEN = "13800000003"  # 陈瑞云, grid 3
FENG = "13800000004"  # 风桦, grid 4
ADMIN_PHONE = "13800000000"
GRID_3 = GRID_IDS[2]
ADMIN = CurrentUser(demo_uuid("user", ADMIN_PHONE), COMMUNITY_ID, "王磊", ADMIN_PHONE, "admin", None, None)


@pytest.fixture
async def grid_3():
    """Grid 3's round, with no calls, cards, cover or hand-overs of its own; put back afterwards."""
    rows = await ElderProfile.select(
        ElderProfile.resident,
        ElderProfile.resident.name.as_alias("name"),
        ElderProfile.resident.household.building.grid.as_alias("grid"),
    ).where(ElderProfile.in_round.eq(True))
    people = [(row["resident"], row["name"]) for row in rows if row["grid"] == GRID_3]
    assert len(people) >= 3
    authors = [row["id"] for row in await User.select(User.id).where(User.phone.is_in([CHEN, FENG]))]

    async def clear() -> None:
        ids = [resident for resident, _ in people]
        await CheckIn.delete().where(CheckIn.resident.is_in(ids))
        await FollowUp.delete().where(FollowUp.resident.is_in(ids))
        await GridCover.delete().where(GridCover.grid == GRID_3)
        await GridHandover.delete().where(GridHandover.grid == GRID_3)
        await SyncRejection.delete().where(SyncRejection.user.is_in(authors))

    await clear()
    yield people
    await clear()


async def send(client, calls: list[tuple[uuid.UUID, str, datetime, str]], sent_at: datetime | None = None) -> list:
    """One batch from a phone, its clock right: each call (who, outcome, when it was made, what they need)."""
    day = Settings().today().isoformat()
    batch = {
        "writes": [
            {
                "id": str(uuid.uuid4()),
                "kind": "checkin.outcome",
                "device_time": made.isoformat(),
                "payload": {"resident_id": str(resident), "outcome": outcome, "day": day, "need": need},
            }
            for resident, outcome, made, need in calls
        ],
        "sent_at": (sent_at or datetime.now(UTC)).isoformat(),
    }
    answer = await client.post(
        "/api/v1/sync", content=msgspec.json.encode(batch), headers={**csrf(client), "content-type": "application/json"}
    )
    assert answer.status_code == 200, answer.text
    return [(a["status"], a.get("reason")) for a in answer.json()["answers"]]


async def hand_over(admin, to_phone: str) -> None:
    to = await User.objects().get(User.phone == to_phone)
    done = await admin.post(
        f"/grids/{GRID_3}/handover",
        data={"_csrf_token": csrf(admin)["x-csrftoken"], "to_user": str(to.id), "confirm": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303


async def test_calls_made_before_a_handover_land_and_reach_whoever_holds_the_grid_now(app, grid_3):
    (unwell, unwell_name), (needs, needs_name), (later, _) = grid_3[:3]
    async with browser(app) as chen, browser(app) as feng, browser(app) as admin:
        for client, phone in ((chen, CHEN), (feng, FENG), (admin, ADMIN_PHONE)):
            await log_in(client, phone)
        made = datetime.now(UTC) - timedelta(seconds=20)  # in a stairwell without signal, 20 s before the hand-over
        await hand_over(admin, FENG)
        # Her phone finds signal: both calls were hers to make, and land (on main: not_allowed, both).
        answers = await send(chen, [(unwell, "unwell", made, ""), (needs, "needs", made, "帮忙买降压药")])
        assert answers == [("accepted", None), ("accepted", None)]
        stored = await CheckIn.select(CheckIn.outcome, CheckIn.caller.phone.as_alias("by")).where(
            CheckIn.resident.is_in([unwell, needs])
        )
        assert sorted((row["outcome"], row["by"]) for row in stored) == [("needs", CHEN), ("unwell", CHEN)]
        # They reach 风桦, who holds the grid now: his home page's "needs you now" and his round say them.
        now = (await feng.get("/now", headers={"HX-Request": "true"})).text
        assert needs_name in now.split('data-testid="now-needs"')[1].split("</li>")[0]
        assert unwell_name in now.split('data-testid="now-unwell"')[1].split("</li>")[0]
        round_page = (await feng.get("/round")).text
        row = round_page.split(f'id="c-{needs}"')[1].split("</li>")[0]
        assert "需要帮忙" in row

        # A call she made after the hand-over is not hers to record: refused, with a reason the phone can say.
        [answer] = await send(chen, [(later, "no_answer", datetime.now(UTC) + timedelta(seconds=1), "")])
        assert answer == ("rejected", "handed_over")
        assert not await CheckIn.exists().where(CheckIn.resident == later)
        assert await SyncRejection.exists().where(SyncRejection.reason == "handed_over")


async def refused_count(client) -> int:
    """The count of refused writes nobody has dealt with on the home page's "needs you now" (0: not shown)."""
    now = (await client.get("/now", headers={"HX-Request": "true"})).text
    found = re.search(r'data-testid="now-refused">\s*<span class="row-title"><span class="count[^"]*">(\d+)<', now)
    return int(found.group(1)) if found else 0


async def _worker(phone: str) -> CurrentUser:
    from server.accounts.services import answered_for

    row = await User.objects().get(User.phone == phone)
    grids = await answered_for(row.id, row.grid)
    return CurrentUser(row.id, COMMUNITY_ID, row.name, phone, "grid_worker", row.grid, None, grid_ids=grids)


async def _call(user: CurrentUser, resident: uuid.UUID, made: datetime, now: datetime):
    from server.sync.services import Batch, Write, ingest

    payload = {"resident_id": str(resident), "outcome": "ok", "day": Settings().today().isoformat()}
    write = Write(
        id=uuid.uuid4(), kind="checkin.outcome", device_time=made, payload=msgspec.Raw(msgspec.json.encode(payload))
    )
    [answer] = (await ingest(user, Batch(writes=[write], sent_at=now), now)).answers
    return answer.status, answer.reason


async def test_a_call_is_taken_only_if_made_while_the_grid_was_theirs_and_sent_within_three_days(grid_3):
    people = [resident for resident, _ in grid_3]
    now = datetime.now(UTC)
    feng = await User.objects().get(User.phone == FENG)
    chen = await User.objects().get(User.phone == CHEN)
    # 风桦 covered grid 3 from ten minutes ago to five minutes ago; 陈瑞云 has it back.
    await hand_over_grid(ADMIN, GRID_3, feng.id, now - timedelta(minutes=10))
    await hand_over_grid(ADMIN, GRID_3, chen.id, now - timedelta(minutes=5))
    covering = await _worker(FENG)
    assert GRID_3 not in covering.grid_ids
    assert await _call(covering, people[0], now - timedelta(minutes=7), now) == ("accepted", None)
    # Before he took it, and after he gave it back, the grid was not his.
    assert await _call(covering, people[1], now - timedelta(minutes=12), now) == ("rejected", "handed_over")
    assert await _call(covering, people[1], now - timedelta(minutes=3), now) == ("rejected", "handed_over")
    # Someone who never held it: as before.
    other = await _worker("13800000001")
    assert await _call(other, people[1], now - timedelta(minutes=7), now) == ("rejected", "not_allowed")

    # Handed to him four days ago: her calls made before that, sent only now, are no longer taken on her phone's word.
    await GridHandover.delete().where(GridHandover.grid == GRID_3)
    await GridCover.delete().where(GridCover.grid == GRID_3)
    await hand_over_grid(ADMIN, GRID_3, feng.id, now - timedelta(days=4))
    own = await _worker(CHEN)
    assert GRID_3 not in own.grid_ids
    assert await _call(own, people[2], now - timedelta(days=4, minutes=5), now) == ("rejected", "handed_over")
    # Handed over two days ago: taken.
    await GridHandover.update({GridHandover.at: now - timedelta(days=2)}).where(GridHandover.grid == GRID_3)
    assert await _call(own, people[2], now - timedelta(days=2, minutes=5), now) == ("accepted", None)


async def test_what_is_still_refused_is_said_and_seen_by_whoever_can_act_on_it(app, grid_3):
    """On main a refused write was only 未被接受: 1 on the phone, and a row in sync_rejection that nobody saw."""
    (resident, name), *_ = grid_3
    feng_phone = (await User.objects().get(User.phone == FENG)).phone
    async with browser(app) as chen, browser(app) as feng, browser(app) as admin, browser(app) as other:
        for client, phone in ((chen, CHEN), (feng, FENG), (admin, ADMIN_PHONE), (other, "13800000001")):
            await log_in(client, phone)
        await hand_over(admin, FENG)
        before = await refused_count(admin)  # other tests' phones had writes refused too
        [answer] = await send(chen, [(resident, "needs", datetime.now(UTC) + timedelta(seconds=1), "想买点降压药")])
        assert answer == ("rejected", "handed_over")
        write_id = (await SyncRejection.objects().get(SyncRejection.reason == "handed_over")).write_id

        # Her phone's 未被接受 links here: what, why, what to do, and one tap to call whoever holds the grid now.
        mine = (await chen.get("/refused")).text
        item = mine.split('data-testid="refused"')[1]
        assert f"给{name}" in item and "需要帮忙" in item and "想买点降压药" in item
        assert "网格已经转交给了同事" in item and "这个网格现在由风桦负责" in item
        assert f'href="tel:{feng_phone}"' in item and f'data-forget-write="{write_id}"' in item

        # The admin is told on the home page, and sees who recorded it; 风桦, who holds the grid now, sees it too.
        assert await refused_count(admin) == before + 1
        listed = (await admin.get("/refused")).text
        assert "陈瑞云 记于" in listed and f"给{name}" in listed
        his = (await feng.get("/refused")).text
        assert f"给{name}" in his
        # 风桦 holds the grid: he is told to call the person himself, not to tell himself (a stranger's re-walk).
        his_item = his.split(f"给{name}", 1)[1].split('data-testid="refused-settle"', 1)[0]
        assert "这位老人现在归您的网格：请打电话给这位老人" in his_item and "这个网格现在由风桦负责" not in his_item
        assert 'data-testid="refused-call"' not in his_item
        # ... with the person one tap away and their profile (he was told to call and given no number).
        # Masked, seen whole on a tap that is logged, as on the round (a stranger's walk: the whole number was in
        # the page, unlogged).
        phone = (await Resident.objects().get(Resident.id == resident)).phone
        assert phone and 'data-testid="refused-call-resident"' in his_item and phone not in his
        assert f'href="/residents/{resident}/phone"' in his_item and mask_phone(phone) in his_item
        assert f'href="/residents/{resident}/profile" data-testid="refused-profile"' in his_item
        assert 'data-testid="refused-call-resident"' not in mine and 'data-testid="refused-profile"' not in mine
        # The home's card says what it leads to, which is not "pass it on" for him (a stranger's walk).
        assert "看看原因和该怎么办" in (await feng.get("/")).text
        # Another grid's worker does not: not theirs, and a resident's need is not for everyone.
        assert f"给{name}" not in (await other.get("/refused")).text
        rejection = (await SyncRejection.objects().get(SyncRejection.write_id == write_id)).id
        token = {"_csrf_token": csrf(other)["x-csrftoken"]}
        assert (await other.post(f"/refused/{rejection}/settle", data=token)).status_code == 404

        # Passed on, the admin says so: no longer counted, still listed, with who dealt with it.
        token = {"_csrf_token": csrf(admin)["x-csrftoken"]}
        done = await admin.post(f"/refused/{rejection}/settle", data=token, follow_redirects=False)
        assert done.status_code == 303
        assert await refused_count(admin) == before
        assert "已处理：王磊" in (await chen.get("/refused")).text
