"""Any sweep the form allows works on both databases (issue 18, item 1): 200 whole buildings, or 1,000 single units,
made through the form and then read, ticked, exported, reconciled, joined, closed and revisited. A sweep's doors were
once read with one OR term per building or unit: SQLite's parser overflowed past ~90 buildings or ~60 units, and the
home page and the sweep's page were a 500 for everyone who could see it."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from tests.conftest import browser, csrf, log_in
from tests.sweeps.big_community import ADMIN, BUILDINGS, FLOORS, GRID_WORKERS, UNITS, add_big_community
from tests.sweeps.test_team import join, make_code

DOORS = BUILDINGS * UNITS * FLOORS * 2


@pytest.fixture(scope="module")
async def place():
    return await add_big_community()


def _form(place, shape: str) -> dict:
    if shape == "buildings":
        return {"building_ids": [str(b) for b in place.buildings]}
    return {"unit_ids": [str(u) for u in place.units]}


async def _make(client, place, shape: str, name: str, subject: str = "households") -> str:
    answer = await client.post(
        "/sweeps/",
        data={
            "_csrf_token": csrf(client)["x-csrftoken"],
            "name": name,
            "day": "2022-11-24",
            "subject": subject,
            **_form(place, shape),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].rsplit("/", 1)[1]


async def _sync(client, sweep_id: str, household: uuid.UUID, outcome: str, resident: uuid.UUID | None = None):
    payload = {"sweep_id": sweep_id, "household_id": str(household), "outcome": outcome}
    if resident:
        payload["resident_id"] = str(resident)
    write = {"id": str(uuid.uuid4()), "kind": "sweep.tick", "device_time": "2022-11-24T09:00:00+08:00"}
    answer = await client.post("/api/v1/sync", json={"writes": [write | {"payload": payload}]}, headers=csrf(client))
    assert answer.status_code == 200, answer.text
    return answer.json()["answers"][0]["status"]


SHAPES = ["buildings", "units"]


@pytest.fixture(scope="module")
async def made(app, place):
    """A sweep of each shape, made through the form (that part always worked), and its admin's browser."""
    async with browser(app) as admin:
        assert (await log_in(admin, ADMIN)).status_code == 303
        yield admin, {shape: await _make(admin, place, shape, f"全社区 {shape}") for shape in SHAPES}


@pytest.mark.parametrize("shape", SHAPES)
async def test_its_page_and_the_home_page_show_it_whole(made, shape):
    admin, sweeps = made
    page = await admin.get(f"/sweeps/{sweeps[shape]}")
    assert page.status_code == 200, page.text
    assert f"共 {DOORS}" in page.text and "200号楼" in page.text and "1号楼" in page.text
    home = await admin.get("/")
    assert home.status_code == 200 and f"全社区 {shape}" in home.text


@pytest.mark.parametrize("shape", SHAPES)
async def test_a_tick_through_the_sync_shows_on_the_door_screen_the_door_and_the_page(made, place, shape):
    admin, sweeps = made
    sweep_id = sweeps[shape]
    last = place.door(BUILDINGS, UNITS, FLOORS, 2)  # the last building's last door
    assert await _sync(admin, sweep_id, last, "nobody_home") == "accepted"
    assert await _sync(admin, sweep_id, place.door(1), "done") == "accepted"
    floor = await admin.get(f"/sweeps/{sweep_id}/buildings/{place.buildings[-1]}/units/{UNITS}/floors/{FLOORS}")
    assert floor.status_code == 200 and f"{BUILDINGS}-{UNITS}-{FLOORS}02" in floor.text
    door = await admin.get(f"/sweeps/{sweep_id}/doors/{last}")
    assert door.status_code == 200 and f"{BUILDINGS}-{UNITS}-{FLOORS}02" in door.text
    page = await admin.get(f"/sweeps/{sweep_id}")
    assert page.status_code == 200 and f"已完成 1 / 共 {DOORS}" in page.text


@pytest.mark.parametrize("shape", SHAPES)
async def test_it_is_exported_whole(made, shape):
    admin, sweeps = made
    exported = await admin.get(f"/sweeps/{sweeps[shape]}/export/csv")
    assert exported.status_code == 200, exported.text
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == DOORS + 1 and any(f"{BUILDINGS}-{UNITS}-{FLOORS}02" in row for row in rows)
    assert (await admin.get(f"/sweeps/{sweeps[shape]}/export/xlsx")).status_code == 200


@pytest.mark.parametrize("shape", SHAPES)
async def test_each_grid_worker_sees_their_half(app, made, shape):
    _, sweeps = made
    async with browser(app) as worker:
        await log_in(worker, GRID_WORKERS[1])
        mine = await worker.get(f"/sweeps/{sweeps[shape]}")
        assert mine.status_code == 200, mine.text
        assert "200号楼" in mine.text and "199号楼" not in mine.text and f"共 {DOORS // 2}" in mine.text
        assert (await worker.get("/")).status_code == 200


@pytest.mark.parametrize("shape", SHAPES)
async def test_a_volunteer_joins_it_by_code(app, made, shape):
    admin, sweeps = made
    code = await make_code(admin, sweeps[shape])
    async with browser(app) as phone:
        joined = await join(phone, code, name="大志愿", phone=f"1550000{2 + (shape == 'units')}000", follow=True)
        assert joined.status_code == 200 and f"全社区 {shape}" in joined.text


@pytest.mark.parametrize("shape", SHAPES)
async def test_it_is_closed_and_revisited(app, place, shape):
    async with browser(app) as admin:
        await log_in(admin, ADMIN)
        sweep_id = await _make(admin, place, shape, f"收尾 {shape}")
        step = await admin.get(f"/sweeps/{sweep_id}/close")
        assert step.status_code == 200, step.text
        closed = await admin.post(
            f"/sweeps/{sweep_id}/close",
            data={"_csrf_token": csrf(admin)["x-csrftoken"], "confirm": "yes"},
            follow_redirects=False,
        )
        assert closed.status_code == 303, closed.text
        assert (await admin.get(f"/sweeps/{sweep_id}")).status_code == 200
        assert (await admin.get("/")).status_code == 200
        revisit = await admin.post(
            f"/sweeps/{sweep_id}/revisit", data={"_csrf_token": csrf(admin)["x-csrftoken"]}, follow_redirects=False
        )
        assert revisit.status_code == 303, revisit.text
        again = await admin.get(revisit.headers["location"])
        assert again.status_code == 200 and f"已完成 0 / 共 {DOORS}" in again.text


@pytest.mark.parametrize("shape", SHAPES)
async def test_the_biggest_person_sweep_is_reconciled(app, place, shape):
    async with browser(app) as admin:
        await log_in(admin, ADMIN)
        sweep_id = await _make(admin, place, shape, f"全社区核酸 {shape}", subject="persons")
        assert await _sync(admin, sweep_id, place.door(BUILDINGS), "tested", place.resident(BUILDINGS)) == "accepted"
        page = await admin.get(f"/sweeps/{sweep_id}")
        assert page.status_code == 200 and 'data-testid="reconcile-sweep"' in page.text
        assert (await admin.get("/reconcile/")).status_code == 200
        answer = await admin.post(
            f"/reconcile/sweeps/{sweep_id}", data={"_csrf_token": csrf(admin)["x-csrftoken"]}, follow_redirects=False
        )
        assert answer.status_code == 303, answer.text
        result = await admin.get(answer.headers["location"])
        assert result.status_code == 200, result.text
