"""A code opens its maker's scope as it is now, not as it was when the code was made (issue 15, item 3; decision
0019): a grid worker whose cover of a grid ended, or who was deactivated, no longer lets anyone into it."""

from __future__ import annotations

import uuid

from server.accounts.services import sessions_changed
from server.accounts.tables import GridCover
from server.demo.seed import COMMUNITY_ID, GRID_IDS, demo_uuid
from server.places.tables import Building
from server.staff.provisioning import add_user, deactivate_user
from tests.conftest import browser, csrf, log_in
from tests.sweeps.helpers import claim
from tests.sweeps.test_closing import BUILDING_4, admin_sweep, sync_tick
from tests.sweeps.test_guests import error_of
from tests.sweeps.test_routes import BUILDING_2, WORKER
from tests.sweeps.test_team import join, make_code

ADMIN = "13800000000"
GRID_1 = GRID_IDS[0]  # 郭婷's: building 4
DOOR_4 = demo_uuid("household", "4-1-101")


async def hand_over(admin, grid: uuid.UUID, phone: str) -> None:
    from server.accounts.tables import User

    to = await User.select(User.id).where(User.phone == phone).first()
    answer = await admin.post(
        f"/grids/{grid}/handover",
        data={"_csrf_token": csrf(admin)["x-csrftoken"], "to_user": str(to["id"]), "confirm": "yes"},
    )
    assert answer.status_code in (200, 303), answer.text


async def test_a_code_no_longer_opens_a_grid_whose_cover_ended(app):
    assert (await Building.select(Building.grid).where(Building.id == uuid.UUID(BUILDING_4)).first())["grid"] == GRID_1
    try:
        async with browser(app) as admin, browser(app) as worker, browser(app) as early, browser(app) as late:
            sweep_id = await admin_sweep(admin, "代管结束", BUILDING_2, BUILDING_4)
            await hand_over(admin, GRID_1, WORKER)  # 李雪敏 covers grid 1 while 郭婷 is away
            await log_in(worker, WORKER)
            code = await make_code(worker, sweep_id)  # opens grids 2 and 1
            assert (await join(early, code, name="早来的", phone="15700000001")).status_code == 303
            await claim(early, sweep_id, unit="4-1", floors=(1, 1))
            assert "4号楼" in (await early.get(f"/sweeps/{sweep_id}")).text

            await hand_over(admin, GRID_1, "13800000001")  # 郭婷 is back: the cover ends
            # Someone joining now gets grid 2 only: building 4 is not shown, its floors are not found, not claimed.
            assert (await join(late, code, name="晚来的", phone="15700000002")).status_code == 303
            page = (await late.get(f"/sweeps/{sweep_id}")).text
            assert "2号楼" in page and "4号楼" not in page
            floor = f"/sweeps/{sweep_id}/buildings/{BUILDING_4}/units/1/floors/1"
            assert (await late.get(floor)).status_code == 404
            refused = await late.post(
                f"/sweeps/{sweep_id}/claims",
                data={
                    "_csrf_token": csrf(late)["x-csrftoken"],
                    "unit_id": str(demo_uuid("unit", "4-1")),
                    "floor_from": 1,
                    "floor_to": 1,
                },
                follow_redirects=False,
            )
            assert refused.status_code != 303
            # Who joined before: the same, at each use; a door of grid 1 is kept on the phone, not stored.
            assert "4号楼" not in (await early.get(f"/sweeps/{sweep_id}")).text
            answer = await sync_tick(early, sweep_id, household=DOOR_4)
            assert (answer["status"], answer["reason"]) == ("rejected", "signed_out")
    finally:
        await GridCover.delete().where(GridCover.grid == GRID_1)
        await sessions_changed()


async def test_a_deactivated_makers_codes_stop_working(app):
    made = await add_user(COMMUNITY_ID, "admin", "13700000071", "临时管理员")
    try:
        async with browser(app) as maker, browser(app) as early, browser(app) as late, browser(app) as admin:
            assert (await log_in(maker, made.phone, made.password)).status_code == 303
            answer = await maker.post(
                "/sweeps/",
                data={
                    "_csrf_token": csrf(maker)["x-csrftoken"],
                    "name": "管理员走了",
                    "day": "2022-11-24",
                    "building_ids": [BUILDING_2],
                },
            )
            sweep_id = answer.headers["location"].rsplit("/", 1)[1]
            code = await make_code(maker, sweep_id)
            assert (await join(early, code, name="先来的", phone="15700000003")).status_code == 303

            await deactivate_user(made.phone)
            refused = await join(late, code, name="后来的", phone="15700000004")
            assert refused.status_code == 400 and "新的邀请码" in error_of(refused.text)
            assert "gc_session" not in late.cookies
            # Who joined with it before no longer sees the sweep.
            assert (await early.get(f"/sweeps/{sweep_id}", follow_redirects=False)).status_code in (303, 404)
            # The invite page shows the code as no longer valid, without its digits.
            await log_in(admin, ADMIN)
            page = (await admin.get(f"/sweeps/{sweep_id}/invite")).text
            assert 'data-testid="code-no-longer-valid"' in page and code not in page
    finally:
        await deactivate_user(made.phone)
