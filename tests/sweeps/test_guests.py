"""Who a guest is: joining never hands over an identity that a phone number already has (issue 15, items 1 and 11;
docs/decisions/0019). The same phone comes back by its join cookie, another phone by the coordinator's one-time
code; a name is not changed by a join, and nobody crosses communities."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import msgspec
import pytest

from server.accounts.passwords import hash_password
from server.accounts.tables import LoginAttempt, User, UserSession
from server.demo.seed import demo_uuid
from server.places.tables import Building, Community, Grid, Subdistrict, Unit
from server.sweeps.tables import JoinRequest, Sweep, SweepArea, SweepInvite, SweepMember
from tests.conftest import browser, csrf, log_in
from tests.sweeps.test_closing import sync_tick
from tests.sweeps.test_codes import withdraw
from tests.sweeps.test_routes import make_sweep
from tests.sweeps.test_team import join, make_code

DEVICE_COOKIE = "gc_device"


def error_of(page: str) -> str:
    found = re.search(r'data-testid="form-error">(.*?)</p>', page, re.S)
    return found.group(1).strip() if found else ""


async def confirm_step(client, answer) -> str:
    """A join that needs the coordinator's one-time code: answered like a join that went through (a 303), to a step
    of its own that keeps what was typed and asks for the code. The step's page."""
    assert answer.status_code == 303 and answer.headers["location"] == "/join/confirm", answer.text
    page = await client.get("/join/confirm")
    assert page.status_code == 200 and 'name="confirm"' in page.text
    return page.text


def notice_of(page: str) -> str:
    found = re.search(r'data-testid="confirm-notice">(.*?)</p>', page, re.S)
    return found.group(1).strip() if found else ""


async def me(client) -> dict | None:
    answer = await client.get("/api/v1/me")
    return answer.json() if answer.status_code == 200 else None


async def rejoin(client, code: str):
    """The signed-out phone's own form: the new code only, as the person it joined as before."""
    await client.get("/join")
    return await client.post(
        "/join", data={"_csrf_token": csrf(client)["x-csrftoken"], "code": code, "again": "1"}, follow_redirects=False
    )


async def confirm(client, code: str, one_time: str, name: str, phone: str):
    return await client.post(
        "/join",
        data={
            "_csrf_token": csrf(client)["x-csrftoken"],
            "code": code,
            "name": name,
            "phone": phone,
            "confirm": one_time,
        },
        follow_redirects=False,
    )


async def one_time_code(coordinator, sweep_id: str, name: str) -> str:
    page = (await coordinator.get(f"/sweeps/{sweep_id}/invite")).text
    asks = re.findall(r'data-testid="rejoin-request">(.*?)</section>', page, re.S)
    mine = [ask for ask in asks if name in ask]
    assert len(mine) == 1, page
    return re.search(r'data-testid="rejoin-code">(\d{6})<', mine[0]).group(1)


async def test_a_phone_number_and_any_live_code_do_not_take_over_a_guest(app):
    async with browser(app) as worker:
        hers = await make_sweep(worker, "甲的扫楼")
        other = await make_sweep(worker, "另一次扫楼")
        her_code, other_code = await make_code(worker, hers), await make_code(worker, other)
    async with browser(app) as victim:
        assert (await join(victim, her_code, name="甲", phone="15300000001")).status_code == 303
        victim_id = (await me(victim))["id"]

    async with browser(app) as attacker:  # knows her number and holds a live code of another sweep
        answer = await join(attacker, other_code, name="坏人", phone="15300000001")
        assert "确认码" in notice_of(await confirm_step(attacker, answer))
        assert "gc_session" not in attacker.cookies and await me(attacker) is None
        assert (await attacker.get(f"/sweeps/{hers}", follow_redirects=False)).status_code == 303  # to log in
        # Nor does a tick get stored under her name.
        assert (await attacker.post("/api/v1/sync", json={"writes": []}, headers=csrf(attacker))).status_code == 401

    victim = await User.objects().get(User.guest_phone == "15300000001")
    assert str(victim.id) == victim_id and victim.name == "甲"
    assert not await SweepMember.exists().where(
        (SweepMember.user == victim.id) & (SweepMember.sweep == uuid.UUID(other))
    )


async def test_the_same_phone_comes_back_as_the_same_person_by_its_join_cookie(app):
    async with browser(app) as worker, browser(app) as phone:
        sweep_id = await make_sweep(worker, "回来的人")
        code = await make_code(worker, sweep_id)
        await join(phone, code, name="孙志愿", phone="15300000002")
        before = (await me(phone))["id"]
        device = phone.cookies.get(DEVICE_COOKIE)
        assert device and device not in str(await UserSession.select(UserSession.token_hash))

        # The coordinator withdraws the code and signs its guests out: the phone is told what happened, in words.
        assert (await withdraw(worker, sweep_id, code, sign_out=True)).status_code == 303
        assert await me(phone) is None
        page = (await phone.get("/join")).text
        assert 'data-testid="rejoin"' in page and "孙志愿" in page
        assert "撤回了您的邀请码" in page and "回来的人" in page
        # A reload of a sweep page goes where a guest can get back in, not to a password they do not have.
        login = await phone.get(f"/sweeps/{sweep_id}", follow_redirects=True)
        assert 'data-testid="rejoin"' in login.text

        # A new code, typed alone: the same person, and the name stays what it was.
        new_code = await make_code(worker, sweep_id)
        answer = await rejoin(phone, new_code)
        assert answer.status_code == 303
        assert (await me(phone))["id"] == before and (await me(phone))["name"] == "孙志愿"

        # The full form on the same phone, with another name typed: still the same person, the name unchanged.
        other = await make_sweep(worker, "回来的人二")
        await phone.post("/logout", headers=csrf(phone))
        answer = await join(phone, await make_code(worker, other), name="孙二", phone="15300000002")
        assert answer.status_code == 303 and (await me(phone))["id"] == before
    assert (await User.objects().get(User.guest_phone == "15300000002")).name == "孙志愿"


async def test_another_phone_gets_back_in_only_with_the_coordinators_one_time_code(app):
    async with browser(app) as worker, browser(app) as first:
        sweep_id = await make_sweep(worker, "换了手机")
        code = await make_code(worker, sweep_id)
        await join(first, code, name="周志愿", phone="15300000003")
        before = (await me(first))["id"]
        page = (await worker.get(f"/sweeps/{sweep_id}/invite")).text
        assert 'data-testid="rejoin-request"' not in page  # nobody asks yet

        async with browser(app) as second:  # the same volunteer on a new phone (or a cleared browser)
            refused = await join(second, code, name="周志愿", phone="15300000003")
            step = await confirm_step(second, refused)
            assert "确认码" in notice_of(step) and 'value="15300000003"' in step and 'value="周志愿"' in step
            one_time = await one_time_code(worker, sweep_id, "周志愿")
            assert "尾号 0003" in (await worker.get(f"/sweeps/{sweep_id}/invite")).text
            wrong = "000000" if one_time != "000000" else "111111"
            answer = await confirm(second, code, wrong, "周志愿", "15300000003")
            assert answer.status_code == 400 and "确认码不对" in error_of(answer.text)
            answer = await confirm(second, code, one_time, "周志愿", "15300000003")
            assert answer.status_code == 303 and (await me(second))["id"] == before
            assert second.cookies.get(DEVICE_COOKIE)  # this phone now proves itself, and the first no longer:
        assert await me(first) is None  # the coordinator vouched that the number's owner is on the second phone
        answer = await rejoin(first, code)
        assert answer.status_code == 400 and 'name="phone"' in answer.text  # whoever it is types name and number
        async with browser(app) as third:  # the code was for one use
            await third.get("/join")
            answer = await confirm(third, code, one_time, "周志愿", "15300000003")
            assert answer.status_code == 400 and await me(third) is None
        page = (await worker.get(f"/sweeps/{sweep_id}/invite")).text
        assert 'data-testid="rejoin-request"' not in page  # used: gone from the coordinator's page


async def test_the_answer_does_not_tell_whether_a_phone_is_known(app):
    async with browser(app) as worker:
        sweep_id = await make_sweep(worker, "不告诉")
        code = await make_code(worker, sweep_id)
    async with browser(app) as guest:
        await join(guest, code, name="吴志愿", phone="15300000004")
    answers = []
    for phone in ("13800000001", "15300000014", "15300000004"):  # a grid worker's account; a new number; a guest's
        async with browser(app) as stranger:
            answer = await join(stranger, code, name="某人", phone=phone)
            answers.append((answer.status_code, answer.text))
    # The same answer, a 303 with nothing in it (a known number's goes to the confirmation step).
    assert len(set(answers)) == 1 and answers[0] == (303, "")
    # Only the guest's request reaches the coordinator; an account's is never handed out as a guest's.
    async with browser(app) as worker:
        await log_in(worker, "13800000002")
        page = (await worker.get(f"/sweeps/{sweep_id}/invite")).text
        assert page.count('data-testid="rejoin-request"') == 1 and "吴志愿" in page and "郭婷" not in page
    assert await JoinRequest.count().where(JoinRequest.user.phone == "13800000001") == 0


async def test_join_refusals_are_limited_per_phone_and_a_429_is_not_counted(app):
    async with browser(app) as worker:
        sweep_id = await make_sweep(worker, "限次")
        code = await make_code(worker, sweep_id)
    async with browser(app) as owner:
        await join(owner, code, name="郑志愿", phone="15300000005")
        await owner.post("/logout", headers=csrf(owner))
        limit = app.state.settings.login_max_failures_per_account
        async with browser(app) as stranger:
            for _ in range(limit):
                answer = await join(stranger, code, name="某人", phone="15300000005")
                assert answer.headers["location"] == "/join/confirm"
            for _ in range(3):
                answer = await join(stranger, code, name="某人", phone="15300000005")
                assert answer.status_code == 429 and "太多" in error_of(answer.text)
            # Another phone number from the same address is not held up by this one.
            assert (await join(stranger, code, name="王新人", phone="15300000006")).status_code == 303
        # The number's owner, on the phone its join cookie proves, is not locked out by someone else's tries.
        answer = await join(owner, code, name="郑志愿", phone="15300000005")
        assert answer.status_code == 303 and answer.headers["location"] == f"/sweeps/{sweep_id}"
        assert (await me(owner))["name"] == "郑志愿"
    failed = await LoginAttempt.count().where(
        (LoginAttempt.phone == "15300000005") & (LoginAttempt.outcome == "failed")
    )
    assert failed == limit  # the refusals; the three 429s are on record, not as failures
    assert (
        await LoginAttempt.count().where((LoginAttempt.phone == "15300000005") & (LoginAttempt.outcome == "limited"))
        == 3
    )


@pytest.fixture(scope="module")
async def far_code():
    """A live code of a sweep in another community (兴旺社区), made straight in the database."""
    subdistrict = Subdistrict(district=demo_uuid("district", "万柏林区"), name="兴旺街道")
    await subdistrict.save()
    community = Community(subdistrict=subdistrict.id, name="兴旺社区")
    await community.save()
    grid = Grid(community=community.id, number=1, name="第一网格")
    await grid.save()
    building = Building(community=community.id, grid=grid.id, number=1, name="1号楼")
    await building.save()
    await Unit(building=building.id, number=1, floors=6).save()
    now = datetime.now(UTC)
    admin = User(
        community=community.id,
        phone="13512349999",
        name="兴旺管理员",
        role="admin",
        password_hash=hash_password("x-long-password"),
        created_at=now,
    )
    await admin.save()
    sweep = Sweep(community=community.id, name="兴旺扫楼", day=date(2022, 11, 24), created_by=admin.id, created_at=now)
    await sweep.save()
    await SweepArea(sweep=sweep.id, building=building.id).save()
    code = "9" + str(uuid.uuid4().int)[:5]
    await SweepInvite(
        sweep=sweep.id, code=code, created_by=admin.id, created_at=now, expires_at=now + timedelta(hours=4)
    ).save()
    return code


async def test_the_same_number_is_a_guest_apart_in_each_community(app, far_code):
    """A volunteer helps two communities with one number: two identities, and neither opens the other's sweeps."""
    async with browser(app) as worker, browser(app) as phone:
        sweep_id = await make_sweep(worker, "本社区")
        await join(phone, await make_code(worker, sweep_id), name="冯志愿", phone="15300000007")
        home = await me(phone)
        # Logged in as this community's guest, with the other community's code: its own guest of the number.
        answer = await phone.post(
            "/join", data={"_csrf_token": csrf(phone)["x-csrftoken"], "code": far_code}, follow_redirects=False
        )
        assert answer.status_code == 303
        far = await me(phone)
        assert far["id"] != home["id"] and far["community_id"] != home["community_id"] and far["name"] == "冯志愿"
        assert (await phone.get(f"/sweeps/{sweep_id}", follow_redirects=False)).status_code in (303, 404)
        # Back home from the same phone, its join cookie proves the first identity: the same person as before.
        await phone.post("/logout", headers=csrf(phone))
        await join(phone, await make_code(worker, sweep_id), name="冯志愿", phone="15300000007")
        assert (await me(phone))["id"] == home["id"]
    async with browser(app) as stranger:  # from any other phone, each is a number known in its community
        answer = await join(stranger, far_code, name="冯志愿", phone="15300000007")
        assert answer.headers["location"] == "/join/confirm" and await me(stranger) is None
    guests = await User.select(User.id, User.community).where(User.guest_phone == "15300000007")
    assert len(guests) == 2 and len({row["community"] for row in guests}) == 2


async def test_ticks_held_by_a_signed_out_guest_are_stored_once_the_same_phone_is_back(app):
    async with browser(app) as worker, browser(app) as phone:
        sweep_id = await make_sweep(worker, "退出又回来")
        code = await make_code(worker, sweep_id)
        await join(phone, code, name="陈志愿", phone="15300000008")
        await phone.post(
            f"/sweeps/{sweep_id}/claims",
            data={
                "_csrf_token": csrf(phone)["x-csrftoken"],
                "unit_id": str(demo_uuid("unit", "2-1")),
                "floor_from": 5,
                "floor_to": 5,
            },
        )
        await withdraw(worker, sweep_id, code, sign_out=True)
        assert (await phone.post("/api/v1/sync", json={"writes": []}, headers=csrf(phone))).status_code == 401
        assert (await rejoin(phone, await make_code(worker, sweep_id))).status_code == 303
        assert (await sync_tick(phone, sweep_id))["status"] == "accepted"  # the floor they held counts


async def test_a_phone_a_guest_joined_on_still_serves_others(app):
    """A shared phone: the log-in page leads to joining again, but whoever has an account still logs in there, and
    someone else joins with their own name and number."""
    async with browser(app) as worker, browser(app) as phone:
        sweep_id = await make_sweep(worker, "共用手机")
        code = await make_code(worker, sweep_id)
        await join(phone, code, name="卫志愿", phone="15300000009")
        await phone.post("/logout", headers=csrf(phone))
        assert (await phone.get("/login", follow_redirects=False)).headers["location"] == "/join"
        page = await phone.get("/login?password=1")
        assert page.status_code == 200 and 'name="password"' in page.text
        assert 'name="name"' in (await phone.get("/join?new=1")).text  # the whole form, for someone else
        answer = await join(phone, code, name="蒋志愿", phone="15300000010")
        assert answer.status_code == 303 and (await me(phone))["name"] == "蒋志愿"
        # Both guests are remembered on the phone: the first comes back by it too.
        await phone.post("/logout", headers=csrf(phone))
        assert (await join(phone, code, name="卫志愿", phone="15300000009")).status_code == 303
        assert (await me(phone))["name"] == "卫志愿"
        assert (await log_in(phone, "13900000004")).status_code == 303  # an account, on the same phone


def phone_at(app, address: str) -> httpx.AsyncClient:
    """A phone whose requests come from `address` (a mobile network's, a NAT's)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")


async def test_new_guests_are_limited_per_address_and_per_code_and_a_429_counts_for_nothing(app):
    """One script cannot fill a sweep with made-up volunteers (issue 15: 60 guests from one address in a burst)."""
    async with browser(app) as worker:
        sweep_id = await make_sweep(worker, "占号")
        code = await make_code(worker, sweep_id)
    settings = app.state.settings
    app.state.settings = msgspec.structs.replace(
        settings, join_max_new_guests_per_address=3, join_max_new_guests_per_code=5
    )
    try:
        first = phone_at(app, "203.0.113.7")
        assert (await join(first, code, name="占号0", phone="15600000000")).status_code == 303
        for n in range(1, 3):
            async with phone_at(app, "203.0.113.7") as squatter:
                assert (await join(squatter, code, name=f"占号{n}", phone=f"1560000000{n}")).status_code == 303
        async with phone_at(app, "203.0.113.7") as squatter:
            answer = await join(squatter, code, name="占号3", phone="15600000003")
            assert answer.status_code == 429 and "新志愿者太多" in error_of(answer.text)
            assert "gc_session" not in squatter.cookies
        assert await User.count().where(User.guest_phone == "15600000003") == 0
        assert (
            await LoginAttempt.count().where((LoginAttempt.phone == "15600000003") & (LoginAttempt.outcome == "failed"))
            == 0
        )  # the 429 is not a wrong guess: it locks nobody out
        # Someone who joined before, back on their own phone from the same address, is no new guest.
        await first.post("/logout", headers=csrf(first))
        answer = await join(first, code, name="占号0", phone="15600000000")
        assert answer.status_code == 303 and answer.headers["location"] == f"/sweeps/{sweep_id}"
        await first.aclose()
        # Other addresses go on until the code's own limit.
        for n, address in ((4, "198.51.100.1"), (5, "198.51.100.2")):
            async with phone_at(app, address) as volunteer:
                assert (await join(volunteer, code, name="志愿", phone=f"1560000000{n}")).status_code == 303
        async with phone_at(app, "198.51.100.3") as volunteer:
            assert (await join(volunteer, code, name="志愿", phone="15600000006")).status_code == 429
        # Another code of the same sweep is not held up by this one.
        async with browser(app) as worker, phone_at(app, "198.51.100.4") as volunteer:
            await log_in(worker, "13800000002")
            other = await make_code(worker, sweep_id)
            assert (await join(volunteer, other, name="志愿", phone="15600000007")).status_code == 303
    finally:
        app.state.settings = settings


async def test_a_grid_worker_cannot_vouch_for_a_guest_of_other_grids_with_their_own_code(app):
    """A stranger's review: a grid worker typed a guest's number with a code of their own sweep, read the one-time
    code on their own invite page, and got the guest's identity, with an admin's sweep of other grids. Only a
    coordinator who already answers for everything the guest is in may vouch for a new phone."""
    from tests.sweeps.test_closing import BUILDING_4, admin_sweep
    from tests.sweeps.test_routes import BUILDING_2

    async with browser(app) as admin, browser(app) as victim:
        wide = await admin_sweep(admin, "管理员的两网格扫楼", BUILDING_2, BUILDING_4)  # grids 2 and 1
        assert (await join(victim, await make_code(admin, wide), name="乙", phone="15399990019")).status_code == 303
        victim_id = (await me(victim))["id"]

    async with browser(app) as grid_1:  # 郭婷 answers for grid 1 only: building 4
        await log_in(grid_1, "13800000001")
        answer = await grid_1.post(
            "/sweeps/",
            data={"_csrf_token": csrf(grid_1)["x-csrftoken"], "name": "一网格自己的", "day": "2022-11-24",
                  "building_ids": [BUILDING_4]},
            follow_redirects=False,
        )  # fmt: skip
        own = answer.headers["location"].rsplit("/", 1)[1]
        own_code = await make_code(grid_1, own)
        async with browser(app) as attacker:
            answer = await join(attacker, own_code, name="乙", phone="15399990019")
            assert "确认码" in notice_of(await confirm_step(attacker, answer))  # the same answer as anyone hears
            page = (await grid_1.get(f"/sweeps/{own}/invite")).text
            assert 'data-testid="rejoin-request"' not in page and "尾号 0019" not in page
            assert not await JoinRequest.exists().where(JoinRequest.user == uuid.UUID(victim_id))
            for guess in ("000000", "123456"):
                answer = await confirm(attacker, own_code, guess, "乙", "15399990019")
                assert answer.status_code == 400 and await me(attacker) is None

    # The admin answers for all of it: their code's page asks them, and their one-time code lets the new phone in.
    async with browser(app) as admin, browser(app) as new_phone:
        await log_in(admin, "13800000000")
        code = await make_code(admin, wide)
        await confirm_step(new_phone, await join(new_phone, code, name="乙", phone="15399990019"))
        one_time = await one_time_code(admin, wide, "乙")
        answer = await confirm(new_phone, code, one_time, "乙", "15399990019")
        assert answer.status_code == 303 and (await me(new_phone))["id"] == victim_id
