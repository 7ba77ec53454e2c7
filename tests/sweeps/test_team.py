"""Joining a sweep by code, and claims on floors: through the pages, as people use them."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from server.accounts.tables import User
from server.demo.seed import demo_uuid
from server.sweeps.tables import SweepClaim, SweepInvite, SweepMember, SweepTick
from tests.conftest import browser, csrf, log_in
from tests.sweeps.helpers import claim
from tests.sweeps.test_routes import WORKER, floor_url, make_sweep, tick

UNIT_2_1 = str(demo_uuid("unit", "2-1"))
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")  # as a Chinese keyboard may type them


def csrf_field(client) -> dict:
    return {"_csrf_token": csrf(client)["x-csrftoken"]}


async def make_code(client, sweep_id: str, hours: int = 4) -> str:
    answer = await client.post(
        f"/sweeps/{sweep_id}/invites",
        data={"_csrf_token": csrf(client)["x-csrftoken"], "hours": hours},
        follow_redirects=True,
    )
    assert answer.status_code == 200, answer.text  # redirected to the invite page
    return re.search(r'data-testid="join-code">(\d{6})<', answer.text).group(1)


async def join(client, code: str, name: str = "王志愿", phone: str = "15500000001", follow: bool = False):
    await client.get("/join")
    return await client.post(
        "/join",
        data={"_csrf_token": csrf(client)["x-csrftoken"], "code": code, "name": name, "phone": phone},
        follow_redirects=follow,
    )


async def test_a_volunteer_joins_by_code_and_sees_only_that_sweep(app):
    async with browser(app) as coordinator:
        sweep_id = await make_sweep(coordinator, "joined")
        other_sweep = await make_sweep(coordinator, "not joined")
        invite_page = await coordinator.get(f"/sweeps/{sweep_id}/invite")
        assert "<svg" not in invite_page.text  # no code yet: only the form to show one
        code = await make_code(coordinator, sweep_id)
        page = await coordinator.get(f"/sweeps/{sweep_id}/invite")
        assert f"/join?code={code}" in page.text and "<svg" in page.text  # the QR code, inline
    async with browser(app) as phone:
        form = await phone.get(f"/join?code={code}")
        assert f'value="{code}"' in form.text  # the QR code's link fills the code in
        answer = await join(phone, code.translate(FULL_WIDTH), phone="155 0000 0001")
        assert answer.status_code == 303 and answer.headers["location"] == f"/sweeps/{sweep_id}"
        me = (await phone.get("/api/v1/me")).json()
        assert me["role"] == "volunteer" and me["name"] == "王志愿"
        assert (await phone.get(f"/sweeps/{sweep_id}")).status_code == 200
        assert (await phone.get(f"/sweeps/{other_sweep}")).status_code == 404  # a guest sees what they joined
        assert "not joined" not in (await phone.get("/")).text
        assert (await phone.get(f"/buildings/{demo_uuid('building', '2')}")).status_code == 403  # no register
    guest = await User.objects().get(User.guest_phone == "15500000001")
    assert guest.is_guest and guest.password_hash == ""
    async with browser(app) as client:  # a guest account has no password: it can never log in with one
        await client.get("/login")
        answer = await client.post(
            "/login",
            data={**csrf_field(client), "phone": "15500000001", "password": "gridcare-no-such-account"},
        )
        assert answer.status_code == 401


async def test_wrong_expired_and_withdrawn_codes_are_refused_in_words(app):
    async with browser(app) as coordinator:
        sweep_id = await make_sweep(coordinator, "codes")
        code = await make_code(coordinator, sweep_id)
        invite = await SweepInvite.objects().get(SweepInvite.code == code)
        await coordinator.post(
            f"/sweeps/{sweep_id}/invites/{invite.id}/revoke", data={"_csrf_token": csrf(coordinator)["x-csrftoken"]}
        )
        expired = await make_code(coordinator, sweep_id, hours=1)
        await SweepInvite.update({SweepInvite.expires_at: datetime.now(UTC) - timedelta(minutes=1)}).where(
            SweepInvite.code == expired
        )
    users_before = await User.count()
    async with browser(app) as phone:
        for wrong, message in (
            ("000000" if code != "000000" else "111111", "没有扫楼用这个邀请码"),
            ("12345", "没有扫楼用这个邀请码"),
            (code, "已过期或已撤回"),
            (expired, "已过期或已撤回"),
        ):
            answer = await join(phone, wrong, phone="15500000002")
            assert answer.status_code == 400 and message in answer.text, wrong
            assert 'value="王志愿"' in answer.text  # what was typed stays
    assert await User.count() == users_before  # nothing made


async def test_joining_with_the_phone_of_an_account_opens_nothing(app):
    async with browser(app) as coordinator:
        sweep_id = await make_sweep(coordinator, "account phone")
        code = await make_code(coordinator, sweep_id)
    worker = await User.objects().get(User.phone == "13800000002")
    async with browser(app) as phone:
        answer = await join(phone, code, phone="13800000002")  # 李雪敏's own number: the code must not open it
        # A guest is not a log-in number: this is a guest of the number, apart from the account, as for any new
        # number (the answer does not tell that the number has an account), and it sees none of the account's.
        assert answer.status_code == 303 and answer.headers["location"] == f"/sweeps/{sweep_id}"
        me = (await phone.get("/api/v1/me")).json()
        assert me["id"] != str(worker.id) and me["role"] == "volunteer" and me["name"] == "王志愿"
        assert (await phone.get("/register", follow_redirects=False)).status_code in (403, 404)
        await phone.post("/logout", headers=csrf(phone))
        await log_in(phone, "13900000004")  # a volunteer with an account enters the code only
        answer = await phone.post(
            "/join", data={"_csrf_token": csrf(phone)["x-csrftoken"], "code": code}, follow_redirects=False
        )
        assert answer.status_code == 303
    assert (await User.objects().get(User.phone == "13800000002")).name == worker.name
    volunteer = await User.objects().get(User.phone == "13900000004")
    assert await SweepMember.exists().where(
        (SweepMember.sweep == uuid.UUID(sweep_id)) & (SweepMember.user == volunteer.id)
    )


async def test_claims_are_shown_to_all_and_do_not_overlap(app):
    async with browser(app) as coordinator:
        sweep_id = await make_sweep(coordinator, "claims")
    async with browser(app) as first, browser(app) as second:
        await log_in(first, "13900000001")
        await claim(first, sweep_id, floors=(1, 6))
        await log_in(second, "13900000002")
        taken = await second.post(
            f"/sweeps/{sweep_id}/claims",
            data={"_csrf_token": csrf(second)["x-csrftoken"], "unit_id": UNIT_2_1, "floor_from": 5, "floor_to": 9},
        )
        assert taken.status_code == 409 and "5–9" not in taken.text and "1–6 层已由" in taken.text
        page = await second.get(f"/sweeps/{sweep_id}")
        claims = page.text.split('data-testid="claims"', 1)[1].split("</ul>", 1)[0]
        assert "1–6 层" in claims and re.search(r"还剩 (1 小时 59|2 小时 0) 分", claims)
        assert 'data-testid="claim-extend"' not in claims  # only the holder and coordinators act on it
        bad = await second.post(
            f"/sweeps/{sweep_id}/claims",
            data={"_csrf_token": csrf(second)["x-csrftoken"], "unit_id": UNIT_2_1, "floor_from": 9, "floor_to": 99},
        )
        assert bad.status_code == 400 and "请选择 1 到 18 层" in bad.text
        await claim(second, sweep_id, floors=(7, 12))
        mine = await first.get(f"/sweeps/{sweep_id}")
        urls = re.search(r'data-precache="([^"]+)"', mine.text).group(1)
        assert urls.count("/floors/") == 6 and "/floors/7" not in urls  # only my floors are kept offline
    assert await SweepClaim.count().where(SweepClaim.sweep == uuid.UUID(sweep_id)) == 2


async def test_a_claim_is_extended_released_and_handed_over(app):
    async with browser(app) as worker:
        sweep_id = await make_sweep(worker, "hand over")
        async with browser(app) as first, browser(app) as second:
            await log_in(first, "13900000001")
            await log_in(second, "13900000002")
            await claim(second, sweep_id, floors=(10, 10))  # joins the sweep (a member to hand to)
            await claim(first, sweep_id, floors=(1, 3))
            held = (
                await SweepClaim.objects()
                .where((SweepClaim.sweep == uuid.UUID(sweep_id)) & (SweepClaim.floor_from == 1))
                .first()
            )
            await SweepClaim.update({SweepClaim.expires_at: datetime.now(UTC) + timedelta(minutes=5)}).where(
                SweepClaim.id == held.id
            )
            extended = await first.post(
                f"/sweeps/{sweep_id}/claims/{held.id}/extend",
                data={"_csrf_token": csrf(first)["x-csrftoken"]},
                follow_redirects=True,
            )
            assert extended.status_code == 200
            after = await SweepClaim.objects().get(SweepClaim.id == held.id)
            assert after.expires_at - datetime.now(UTC) > timedelta(minutes=110)
            # The first volunteer went quiet: the grid worker hands floors 1-3 to the second.
            second_user = await User.objects().get(User.phone == "13900000002")
            page = await worker.get(f"/sweeps/{sweep_id}")
            assert 'data-testid="claim-reassign"' in page.text
            handed = await worker.post(
                f"/sweeps/{sweep_id}/claims/{held.id}/reassign",
                data={"_csrf_token": csrf(worker)["x-csrftoken"], "to_user": str(second_user.id)},
                follow_redirects=True,
            )
            assert handed.status_code == 200
            live = await SweepClaim.select(SweepClaim.holder).where(
                (SweepClaim.sweep == uuid.UUID(sweep_id)) & (SweepClaim.floor_from == 1) & SweepClaim.ended_at.is_null()
            )
            assert [row["holder"] for row in live] == [second_user.id]
            # Both may record floor 3: the second holds it now, the first did (their offline work still counts).
            for client in (first, second):
                assert (await tick(client, sweep_id, "done")).status_code == 303
            gone = await first.post(
                f"/sweeps/{sweep_id}/claims/{held.id}/release", data={"_csrf_token": csrf(first)["x-csrftoken"]}
            )
            assert gone.status_code == 409 and "已经结束" in gone.text
    assert await SweepTick.count().where(SweepTick.sweep == uuid.UUID(sweep_id)) == 2


async def test_the_floor_screen_asks_a_volunteer_to_claim_first(app):
    async with browser(app) as worker:
        sweep_id = await make_sweep(worker, "claim first")
    async with browser(app) as client:
        await log_in(client, "13900000001")
        page = await client.get(floor_url(sweep_id))
        assert 'data-testid="claim-this-floor"' in page.text and 'name="outcome"' not in page.text
        await claim(client, sweep_id, floors=(3, 3))
        page = await client.get(floor_url(sweep_id))
        assert 'data-testid="claim-first"' not in page.text and 'value="done"' in page.text
    async with browser(app) as other:
        await log_in(other, "13900000002")
        page = await other.get(floor_url(sweep_id))
        assert "正在扫这一层" in page.text and 'data-testid="claim-this-floor"' not in page.text
    async with browser(app) as worker:
        await log_in(worker, WORKER)
        page = await worker.get(floor_url(sweep_id))  # coordinators record any door of their sweep
        assert 'value="done"' in page.text
