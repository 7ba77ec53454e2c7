"""Closing a sweep and reopening it: who may, what ends, and what a phone sends after the close (decision 0011)."""

from __future__ import annotations

import html
import json
import re
import uuid

from server.demo.seed import demo_uuid
from server.sweeps.tables import Sweep, SweepClaim, SweepInvite, SweepTick
from server.sync.tables import SyncRejection
from tests.conftest import browser, csrf, log_in
from tests.sweeps.helpers import claim
from tests.sweeps.test_routes import BUILDING_2, WORKER, floor_url, make_sweep, tick
from tests.sweeps.test_team import join, make_code

ADMIN = "13800000000"
BUILDING_4 = str(demo_uuid("building", "4"))  # grid 1 (郭婷)
FLOOR_5_DOOR = demo_uuid("household", "2-1-501")


async def close(client, sweep_id: str, confirm: str = "yes"):
    return await client.post(
        f"/sweeps/{sweep_id}/close", data={"_csrf_token": csrf(client)["x-csrftoken"], "confirm": confirm}
    )


async def reopen(client, sweep_id: str):
    return await client.post(f"/sweeps/{sweep_id}/reopen", data={"_csrf_token": csrf(client)["x-csrftoken"]})


async def status(sweep_id: str) -> str:
    return (await Sweep.select(Sweep.status).where(Sweep.id == uuid.UUID(sweep_id)).first())["status"]


async def sync_tick(client, sweep_id: str, household=FLOOR_5_DOOR, outcome: str = "done") -> dict:
    write = {
        "id": str(uuid.uuid4()),
        "kind": "sweep.tick",
        "device_time": "2022-11-24T09:00:00+08:00",
        "payload": {"sweep_id": sweep_id, "household_id": str(household), "outcome": outcome},
    }
    answer = await client.post("/api/v1/sync", json={"writes": [write]}, headers=csrf(client))
    assert answer.status_code == 200, answer.text
    return answer.json()["answers"][0] | {"id": write["id"]}


async def admin_sweep(client, name: str, *buildings: str) -> str:
    await log_in(client, ADMIN)
    answer = await client.post(
        "/sweeps/",
        data={"_csrf_token": client.cookies["gc_csrf"], "name": name, "day": "2022-11-24", "building_ids": buildings},
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].rsplit("/", 1)[1]


async def test_the_grid_worker_of_the_sweep_closes_it_after_a_confirm_step_and_reopens_it(client):
    sweep_id = await make_sweep(client, "关了再开")
    page = await client.get(f"/sweeps/{sweep_id}")
    assert 'data-testid="close-sweep"' in page.text and f'href="/sweeps/{sweep_id}/close"' in page.text
    step = await client.get(f"/sweeps/{sweep_id}/close")
    assert step.status_code == 200 and "还有 108 户没有结果" in step.text and "邀请码作废" not in step.text
    assert "以后可以重新开放" in step.text and "<html" in step.text.lower()  # a whole page without JavaScript
    fragment = await client.get(f"/sweeps/{sweep_id}/close", headers={"HX-Request": "true"})
    assert 'data-testid="close-confirm"' in fragment.text and "<html" not in fragment.text.lower()  # htmx: the step
    unconfirmed = await close(client, sweep_id, confirm="")
    assert unconfirmed.status_code == 400 and "还没有结束" in unconfirmed.text
    assert await status(sweep_id) == "open"

    closed = await close(client, sweep_id)
    assert closed.status_code == 303 and closed.headers["location"] == f"/sweeps/{sweep_id}"
    assert await status(sweep_id) == "closed"
    page = await client.get(f"/sweeps/{sweep_id}")
    assert page.status_code == 200 and 'data-testid="sweep-closed"' in page.text and "已于" in page.text
    assert 'data-testid="invite-link"' not in page.text and 'data-testid="reopen-sweep"' in page.text
    assert (await client.get(f"/sweeps/{sweep_id}/export/csv")).status_code == 200  # still read and exported
    home = await client.get("/")
    row = home.text.split(f'href="/sweeps/{sweep_id}"', 1)[1].split("</a>", 1)[0]
    assert "已结束" in row
    assert (await client.get(f"/sweeps/{sweep_id}/close", follow_redirects=False)).status_code == 303
    htmx = await client.get(f"/sweeps/{sweep_id}/close", headers={"HX-Request": "true"})
    assert htmx.headers["hx-redirect"] == f"/sweeps/{sweep_id}" and not htmx.text  # a whole page, not in the step
    assert (await close(client, sweep_id)).status_code == 303  # again: nothing changes

    assert (await reopen(client, sweep_id)).status_code == 303
    assert await status(sweep_id) == "open"
    sweep = await Sweep.objects().get(Sweep.id == uuid.UUID(sweep_id))
    assert sweep.closed_at is None and sweep.closed_by is None
    assert 'data-testid="sweep-closed"' not in (await client.get(f"/sweeps/{sweep_id}")).text


async def test_volunteers_and_grid_workers_of_one_grid_of_many_do_not_close(app):
    async with browser(app) as admin:
        several = await admin_sweep(admin, "两个网格", BUILDING_2, BUILDING_4)
        async with browser(app) as worker:
            own = await make_sweep(worker, "自己的")
            await log_in(worker, WORKER)  # grid 2: one of the two grids of the admin's sweep
            page = await worker.get(f"/sweeps/{several}")
            assert page.status_code == 200 and 'data-testid="close-sweep"' not in page.text
            assert "由社区管理员结束" in page.text
            refused = await close(worker, several)
            assert refused.status_code == 403 and "社区管理员" in refused.text
            assert (await reopen(worker, several)).status_code == 403
            assert await status(several) == "open"
        async with browser(app) as volunteer:
            await log_in(volunteer, "13900000001")
            assert (await volunteer.get(f"/sweeps/{own}/close")).status_code == 403
            assert (await close(volunteer, own)).status_code == 403
        async with browser(app) as stranger:
            await log_in(stranger, "13800000001")  # grid 1: not in the grid worker's own sweep
            assert (await close(stranger, own)).status_code == 404
        assert await status(own) == "open"
        assert (await close(admin, several)).status_code == 303  # the admin closes the sweep of both grids
        assert (await close(admin, own)).status_code == 303  # and any other
    assert await status(several) == await status(own) == "closed"


async def test_closing_ends_claims_and_codes_and_new_joins_and_claims_are_refused(app):
    async with browser(app) as worker:
        sweep_id = await make_sweep(worker, "收尾")
        code = await make_code(worker, sweep_id)
        async with browser(app) as guest, browser(app) as volunteer:
            assert (await join(guest, code, phone="15500000031")).status_code == 303
            await claim(guest, sweep_id, floors=(1, 3))
            await log_in(volunteer, "13900000002")
            await claim(volunteer, sweep_id, unit="2-2", floors=(1, 2))
            step = await worker.get(f"/sweeps/{sweep_id}/close")
            assert "1 个邀请码作废" in step.text and "2 个楼层认领随即结束" in step.text
            assert (await close(worker, sweep_id)).status_code == 303

            claims = await SweepClaim.select(SweepClaim.end_reason, SweepClaim.ended_at).where(
                SweepClaim.sweep == uuid.UUID(sweep_id)
            )
            assert [c["end_reason"] for c in claims] == ["closed", "closed"] and all(c["ended_at"] for c in claims)
            assert not await SweepInvite.exists().where(
                (SweepInvite.sweep == uuid.UUID(sweep_id)) & SweepInvite.revoked_at.is_null()
            )
            # The volunteers are told, in Chinese, that the sweep has ended; they see none of its doors.
            for phone in (guest, volunteer):
                for path in (f"/sweeps/{sweep_id}", floor_url(sweep_id)):
                    ended = await phone.get(path)
                    assert ended.status_code == 410 and "这次扫楼已结束" in ended.text, path
                home = await phone.get("/")
                assert 'data-testid="ended-sweeps"' in home.text and "收尾" in home.text
            assert (await guest.get("/api/v1/me")).status_code == 200  # the guest's session stays, to send
            again = await volunteer.post(
                f"/sweeps/{sweep_id}/claims",
                data={
                    "_csrf_token": csrf(volunteer)["x-csrftoken"],
                    "unit_id": str(demo_uuid("unit", "2-1")),
                    "floor_from": 9,
                    "floor_to": 9,
                },
            )
            assert again.status_code == 410 and "这次扫楼已结束" in again.text
            assert await SweepClaim.count().where(SweepClaim.sweep == uuid.UUID(sweep_id)) == 2
        async with browser(app) as late:
            refused = await join(late, code, phone="15500000032")
            assert refused.status_code == 400 and "这次扫楼已结束" in refused.text
            assert "gc_session" not in late.cookies
        # Closed is still readable: the revisit of its open doors works; no new code is shown.
        revisit = await worker.post(
            f"/sweeps/{sweep_id}/revisit", data={"_csrf_token": csrf(worker)["x-csrftoken"]}, follow_redirects=False
        )
        assert revisit.status_code == 303
        invite = await worker.get(f"/sweeps/{sweep_id}/invite")
        assert 'data-testid="make-code"' not in invite.text and "不能再出邀请码" in invite.text
        made = await worker.post(f"/sweeps/{sweep_id}/invites", data={"_csrf_token": csrf(worker)["x-csrftoken"]})
        assert made.status_code == 403


async def test_ticks_recorded_before_the_close_are_stored_after_it_and_counted_apart(app):
    async with browser(app) as worker:
        sweep_id = await make_sweep(worker, "晚到的结果")
        code = await make_code(worker, sweep_id)
        async with browser(app) as guest:
            await join(guest, code, phone="15500000033")
            await claim(guest, sweep_id, floors=(4, 6))  # held when the sweep closes: floor 5 is theirs
            assert (await close(worker, sweep_id)).status_code == 303
            # Ticked in the stairwell without signal before the close; the phone sends it now.
            stored = await sync_tick(guest, sweep_id)
            assert stored["status"] == "accepted"
            # A door on a floor they never claimed: refused with a reason the door screen says in words, and kept.
            refused = await sync_tick(guest, sweep_id, household=demo_uuid("household", "2-1-301"))
            assert refused["status"] == "rejected" and refused["reason"] == "sweep_closed"
            assert await SyncRejection.exists().where(SyncRejection.write_id == uuid.UUID(refused["id"]))
        # The grid worker called a household and records it after the close: stored too.
        assert (await tick(worker, sweep_id, "done")).status_code == 303
        floor = await worker.get(floor_url(sweep_id))
        assert 'data-testid="floor-closed"' in floor.text
        reasons = json.loads(html.unescape(re.search(r'data-reasons="([^"]+)"', floor.text).group(1)))
        assert reasons["sweep_closed"].startswith(
            "这次扫楼已结束，这几层也不是您认领的"
        )  # said where the outbox shows it
        page = await worker.get(f"/sweeps/{sweep_id}")
        late = page.text.split('data-testid="late-ticks"', 1)[1].split("</strong>", 1)[0]
        assert "结束后又收到 2 条结果" in late and "已完成 2 / 共 108" in page.text
        assert await SweepTick.count().where(SweepTick.sweep == uuid.UUID(sweep_id)) == 2
        await reopen(worker, sweep_id)
        assert 'data-testid="late-ticks"' not in (await worker.get(f"/sweeps/{sweep_id}")).text
