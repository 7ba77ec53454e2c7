"""A sweep from the coordinator's form to a volunteer's tick at the door, at phone size."""

from __future__ import annotations

import sqlite3

from playwright.sync_api import Page, expect

from e2e.pages import assert_phone_layout, path_of

WORKER = "13800000002"  # 李雪敏: building 2 is in her grid
VOLUNTEER = "13900000004"


def test_grid_worker_creates_a_sweep_and_a_volunteer_ticks_a_door(page_as, live_server) -> None:
    coordinator: Page = page_as(WORKER)
    coordinator.goto("/sweeps/new")
    coordinator.fill("#name", "11月24日核酸扫楼")
    coordinator.get_by_label("2号楼").check()
    assert_phone_layout(coordinator, "sweep-new")
    coordinator.get_by_role("button", name="创建扫楼").click()
    expect(coordinator.get_by_test_id("sweep-progress")).to_contain_text("已完成 0 / 共 108")
    sweep_path = path_of(coordinator)
    assert_phone_layout(coordinator, "sweep-progress")

    volunteer: Page = page_as(VOLUNTEER)
    volunteer.goto("/")
    volunteer.get_by_test_id("sweep-row").filter(has_text="11月24日核酸扫楼").click()
    volunteer.get_by_role("link", name="1单元").click()
    for floor in (2, 3):
        volunteer.get_by_role("link", name=f"↑ {floor}层").click()
    door = volunteer.get_by_test_id("door-row").filter(has_text="2-1-301")
    expect(door).to_contain_text("张**")
    expect(door).not_to_contain_text("张国强")
    assert_phone_layout(volunteer, "sweep-floor")
    door.get_by_role("button", name="已完成").click()
    expect(volunteer.get_by_test_id("door-row").filter(has_text="2-1-301")).to_contain_text("已完成")

    with sqlite3.connect(live_server.db_path) as db:
        ticks = db.execute(
            "SELECT t.outcome, a.phone FROM sweep_tick t JOIN household h ON t.household = h.id"
            " JOIN account a ON t.volunteer = a.id WHERE h.door = '2-1-301' AND t.sweep IN"
            " (SELECT id FROM sweep WHERE name = '11月24日核酸扫楼')"
        ).fetchall()
    assert ticks == [("done", VOLUNTEER)]

    coordinator.goto(sweep_path)
    expect(coordinator.get_by_test_id("sweep-progress")).to_contain_text("已完成 1 / 共 108")
