"""Withdrawing a join code, and with it, if the coordinator asks, what it gave its guests (decision 0011)."""

from __future__ import annotations

import re
import uuid

from server.accounts.tables import User, UserSession
from server.demo.seed import demo_uuid
from server.sweeps.tables import SweepClaim, SweepInvite, SweepMember, SweepTick
from server.sync.tables import SyncRejection
from tests.conftest import browser, csrf, log_in
from tests.sweeps.helpers import claim
from tests.sweeps.test_closing import ADMIN, BUILDING_4, admin_sweep, sync_tick
from tests.sweeps.test_routes import BUILDING_2, WORKER, make_sweep
from tests.sweeps.test_team import join, make_code


async def withdraw(client, sweep_id: str, code: str, sign_out: bool):
    invite = await SweepInvite.objects().get(SweepInvite.code == code)
    data = {"_csrf_token": csrf(client)["x-csrftoken"]} | ({"sign_out": "yes"} if sign_out else {})
    return await client.post(f"/sweeps/{sweep_id}/invites/{invite.id}/revoke", data=data)


async def sessions(phone: str) -> int:
    user = await User.objects().get(User.guest_phone == phone)
    return await UserSession.count().where(UserSession.user == user.id)


async def test_withdrawing_a_code_alone_keeps_those_who_joined_with_it(app):
    async with browser(app) as worker, browser(app) as guest:
        sweep_id = await make_sweep(worker, "只撤回")
        code = await make_code(worker, sweep_id)
        await join(guest, code, phone="15500000041")
        assert (await withdraw(worker, sweep_id, code, sign_out=False)).status_code == 303
        assert (await guest.get(f"/sweeps/{sweep_id}")).status_code == 200
        # The invite page still offers to sign out the guests of the withdrawn code.
        page = await worker.get(f"/sweeps/{sweep_id}/invite")
        past = page.text.split('data-testid="past-code"', 1)[1].split("</section>", 1)[0]
        assert f"邀请码 {code} 已失效" in past and "还有 1 位" in past and 'data-testid="sign-out-code"' in past
        assert (await withdraw(worker, sweep_id, code, sign_out=True)).status_code == 303
        assert (await guest.get("/api/v1/me")).status_code == 401
        assert 'data-testid="past-code"' not in (await worker.get(f"/sweeps/{sweep_id}/invite")).text


async def test_signing_out_a_codes_guests_spares_volunteers_with_accounts_and_other_codes(app):
    async with browser(app) as worker:
        sweep_id = await make_sweep(worker, "让他们退出")
        code, other_code = await make_code(worker, sweep_id), await make_code(worker, sweep_id)
        async with (
            browser(app) as first,
            browser(app) as second,
            browser(app) as registered,
            browser(app) as other,
        ):
            await join(first, code, name="甲", phone="15500000042")
            await join(second, code, name="乙", phone="15500000043")
            await log_in(registered, "13900000005")  # enters the code while logged in to their own account
            answer = await registered.post(
                "/join", data={"_csrf_token": csrf(registered)["x-csrftoken"], "code": code}, follow_redirects=False
            )
            assert answer.status_code == 303
            await join(other, other_code, name="丙", phone="15500000044")
            await claim(first, sweep_id, floors=(1, 3))
            page = await worker.get(f"/sweeps/{sweep_id}/invite")
            choices = re.findall(r'data-testid="sign-out-choice">.*?<span>(.*?)</span>', page.text, re.S)
            assert sorted(choices) == sorted(
                [
                    "同时让用这个邀请码加入、没有账号的 2 位志愿者退出",
                    "同时让用这个邀请码加入、没有账号的 1 位志愿者退出",
                ]
            )
            assert (await withdraw(worker, sweep_id, code, sign_out=True)).status_code == 303

            for guest in (first, second):
                assert (await guest.get("/api/v1/me")).status_code == 401  # signed out on this phone
            assert await sessions("15500000042") == await sessions("15500000043") == 0
            assert (await registered.get(f"/sweeps/{sweep_id}")).status_code == 200  # their own account stays
            assert (await other.get(f"/sweeps/{sweep_id}")).status_code == 200  # another code's guest stays
            held = await SweepClaim.select(SweepClaim.end_reason).where(SweepClaim.sweep == uuid.UUID(sweep_id))
            assert [c["end_reason"] for c in held] == ["signed_out"]  # the floors are free for others
            members = await worker.get(f"/sweeps/{sweep_id}/invite")
            joined = members.text.split("已加入的人", 1)[1]
            assert "甲" not in joined and "乙" not in joined and "丙" in joined

            # 甲 joins again with the other code, on the same phone: back in, as the same account, and what the
            # phone recorded on the floors they held is stored.
            assert (await join(first, other_code, name="甲", phone="15500000042")).status_code == 303
            assert (await first.get(f"/sweeps/{sweep_id}")).status_code == 200
            assert (await sync_tick(first, sweep_id, household=demo_uuid("household", "2-1-201")))[
                "status"
            ] == "accepted"
    guest = await User.objects().get(User.guest_phone == "15500000042")
    assert await SweepMember.count().where(SweepMember.user == guest.id) == 1


async def test_a_guest_in_another_open_sweep_stays_signed_in_but_leaves_this_one(app):
    async with browser(app) as worker, browser(app) as guest:
        first = await make_sweep(worker, "第一次")
        second = await make_sweep(worker, "第二次")
        first_code, second_code = await make_code(worker, first), await make_code(worker, second)
        await join(guest, first_code, phone="15500000045")
        await join(guest, second_code, phone="15500000045")
        await claim(guest, first, floors=(1, 3))
        assert (await withdraw(worker, first, first_code, sign_out=True)).status_code == 303
        assert (await guest.get("/api/v1/me")).status_code == 200
        assert (await guest.get(f"/sweeps/{first}")).status_code == 404
        assert (await guest.get(f"/sweeps/{second}")).status_code == 200
        # A tick the phone still held for the sweep they left: refused in words, and kept.
        refused = await sync_tick(guest, first, household=demo_uuid("household", "2-1-201"))
        assert refused["status"] == "rejected" and refused["reason"] == "signed_out"
        assert await SyncRejection.exists().where(SyncRejection.write_id == uuid.UUID(refused["id"]))
        assert await SweepTick.count().where(SweepTick.sweep == uuid.UUID(first)) == 0


async def test_the_guests_of_a_code_in_a_sweep_of_several_grids_are_signed_out_by_its_maker_or_the_admin(app):
    async with browser(app) as admin, browser(app) as worker, browser(app) as guest:
        sweep_id = await admin_sweep(admin, "跨网格", BUILDING_2, BUILDING_4)
        admins_code = await make_code(admin, sweep_id)
        await join(guest, admins_code, phone="15500000046")
        await log_in(worker, WORKER)  # grid 2 of the two
        page = await worker.get(f"/sweeps/{sweep_id}/invite")
        assert 'data-testid="revoke-code"' in page.text and 'data-testid="sign-out-choice"' not in page.text
        refused = await withdraw(worker, sweep_id, admins_code, sign_out=True)
        assert refused.status_code == 403 and "出码人或社区管理员" in refused.text
        assert (await guest.get("/api/v1/me")).status_code == 200  # nothing changed
        assert (await SweepInvite.objects().get(SweepInvite.code == admins_code)).revoked_at is None
        workers_code = await make_code(worker, sweep_id)
        async with browser(app) as recruit:
            await join(recruit, workers_code, phone="15500000047")
            assert (await withdraw(worker, sweep_id, workers_code, sign_out=True)).status_code == 303  # their own
            assert (await recruit.get("/api/v1/me")).status_code == 401
        await log_in(admin, ADMIN)
        assert (await withdraw(admin, sweep_id, admins_code, sign_out=True)).status_code == 303
        assert (await guest.get("/api/v1/me")).status_code == 401
