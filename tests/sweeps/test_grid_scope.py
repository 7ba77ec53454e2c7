"""A sweep an admin made over several grids: each grid worker sees the buildings of their own grids, the admin all."""

from __future__ import annotations

import csv
import io

from server.demo.seed import demo_uuid
from tests.conftest import browser, log_in
from tests.sweeps.helpers import claim
from tests.sweeps.test_closing import BUILDING_4, admin_sweep, sync_tick
from tests.sweeps.test_routes import BUILDING_2, WORKER
from tests.sweeps.test_team import join, make_code

WORKER_GRID_1 = "13800000001"  # 郭婷: building 4
DOOR_4 = demo_uuid("household", "4-1-101")


def section(page: str, testid: str) -> str:
    return page.split(f'data-testid="{testid}"', 1)[1].split("</section>", 1)[0] if testid in page else ""


async def export_rows(client, sweep_id: str) -> list[list[str]]:
    answer = await client.get(f"/sweeps/{sweep_id}/export/csv")
    assert answer.status_code == 200
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))[1:]


async def test_a_grid_worker_sees_only_their_grids_buildings_of_an_admins_sweep(app):
    async with browser(app) as admin:
        sweep_id = await admin_sweep(admin, "两个网格的扫楼", BUILDING_2, BUILDING_4)
    # Two volunteers disagree about a door of building 4 (grid 1); a third records a door of building 2.
    for phone, outcome in (("13900000001", "done"), ("13900000002", "refused")):
        async with browser(app) as volunteer:
            await log_in(volunteer, phone)
            await claim(volunteer, sweep_id, unit="4-1", floors=(1, 1), release=True)
            assert (await sync_tick(volunteer, sweep_id, household=DOOR_4, outcome=outcome))["status"] == "accepted"
    async with browser(app) as volunteer:
        await log_in(volunteer, "13900000003")
        await claim(volunteer, sweep_id, unit="2-1", floors=(3, 3))
        assert (await sync_tick(volunteer, sweep_id, household=demo_uuid("household", "2-1-301")))["status"] == (
            "accepted"
        )

    async with browser(app) as worker:
        await log_in(worker, WORKER)  # grid 2
        page = (await worker.get(f"/sweeps/{sweep_id}")).text
        assert "已完成 1 / 共 108" in page and "2号楼" in page and "4号楼" not in page
        assert "还包括其他网格的 1 栋楼" in section(page, "sweep-progress")
        assert "说法不一" not in page and "4-1-101" not in page  # another grid's conflict
        who = section(page, "sweep-volunteers")
        assert "记录了 1 条" in who and who.count('class="row"') == 1  # only the one who worked here
        rows = await export_rows(worker, sweep_id)
        assert len(rows) == 108 and {row[0] for row in rows} == {"2号楼"}
        floor = f"/sweeps/{sweep_id}/buildings/{BUILDING_4}/units/1/floors/1"
        assert (await worker.get(floor)).status_code == 404
        joined = (await worker.get(f"/sweeps/{sweep_id}/invite")).text.split("已加入的人", 1)[1]
        assert joined.count('class="row"') == 1  # the volunteer of building 2, not those of building 4

    async with browser(app) as worker:
        await log_in(worker, WORKER_GRID_1)
        page = (await worker.get(f"/sweeps/{sweep_id}")).text
        assert "共 36" in page and "4号楼" in page and "2号楼" not in page
        assert "4-1-101" in section(page, "sweep-attention") and "1处说法不一" in page
        assert section(page, "sweep-volunteers").count('class="row"') == 2
        assert {row[0] for row in await export_rows(worker, sweep_id)} == {"4号楼"}

    async with browser(app) as admin:
        await log_in(admin, "13800000000")
        page = (await admin.get(f"/sweeps/{sweep_id}")).text
        assert "共 144" in page and "4号楼" in page and "2号楼" in page and 'data-testid="other-grids"' not in page
        assert section(page, "sweep-volunteers").count('class="row"') == 3
        assert len(await export_rows(admin, sweep_id)) == 144


async def test_a_volunteer_who_joined_with_the_admins_code_is_anyones_to_send_until_they_start(app):
    async with browser(app) as admin, browser(app) as guest:
        sweep_id = await admin_sweep(admin, "两个网格的扫楼", BUILDING_2, BUILDING_4)
        await join(guest, await make_code(admin, sweep_id), name="新来的", phone="15500000061")

        async def joined(phone: str) -> str:
            async with browser(app) as worker:
                await log_in(worker, phone)
                return (await worker.get(f"/sweeps/{sweep_id}/invite")).text.split("已加入的人", 1)[1]

        assert "新来的" in await joined(WORKER) and "新来的" in await joined(WORKER_GRID_1)
        await claim(guest, sweep_id, unit="4-1", floors=(2, 2))  # starts in building 4: grid 1's now
        assert "新来的" not in await joined(WORKER) and "新来的" in await joined(WORKER_GRID_1)


async def test_a_grid_workers_code_in_an_admins_sweep_opens_only_their_grids(app):
    """Issue 15, item 3: a grid worker makes a code of an admin's sweep and joins it as a guest on another phone
    number; what the code opens is the grid worker's own part of the sweep, not the other grids'."""
    async with browser(app) as admin:
        sweep_id = await admin_sweep(admin, "跨网格的码", BUILDING_2, BUILDING_4)
    async with browser(app) as worker, browser(app) as guest:
        await log_in(worker, WORKER)  # grid 2 (building 2); building 4 is grid 1's
        await join(guest, await make_code(worker, sweep_id), name="格二的人", phone="15500000071")
        page = (await guest.get(f"/sweeps/{sweep_id}")).text
        assert "2号楼" in page and "4号楼" not in page
        floor_4 = f"/sweeps/{sweep_id}/buildings/{BUILDING_4}/units/1/floors/1"
        assert (await guest.get(floor_4)).status_code == 404
        refused = await guest.post(
            f"/sweeps/{sweep_id}/claims",
            data={
                "_csrf_token": guest.cookies["gc_csrf"],
                "unit_id": str(demo_uuid("unit", "4-1")),
                "floor_from": 1,
                "floor_to": 1,
            },
        )
        assert refused.status_code == 400
        assert (await sync_tick(guest, sweep_id, household=DOOR_4))["status"] == "rejected"
        await claim(guest, sweep_id, unit="2-1", floors=(1, 1))  # their own grid's floors: fine
        assert (await guest.get(f"/sweeps/{sweep_id}/export/csv")).status_code == 404
    # The admin's code opens the whole sweep (the admin's scope).
    async with browser(app) as admin, browser(app) as guest:
        await log_in(admin, "13800000000")
        await join(guest, await make_code(admin, sweep_id), name="全楼的人", phone="15500000072")
        page = (await guest.get(f"/sweeps/{sweep_id}")).text
        assert "2号楼" in page and "4号楼" in page
