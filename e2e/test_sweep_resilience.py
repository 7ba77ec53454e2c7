"""A sweep under stress: the server killed in the middle of a sync, and the demo's 392-door tower on a small phone."""

from __future__ import annotations

import sqlite3

from playwright.sync_api import Page, expect

from e2e.pages import (
    LoginPage,
    NewSweepPage,
    SweepPage,
    assert_phone_layout,
    expect_sent,
    path_of,
    wait_until_controlled,
)

WORKER = "13800000002"  # 李雪敏, grid 2
TOWER_WORKER = "13800000006"  # 紫锦木, grid 6: the tower
VOLUNTEER = "13900000001"
QUEUED = 1200  # twelve batches of the outbox


def _phone_on(new_context, server) -> Page:
    return new_context(base_url=server.base_url).new_page()


def test_the_server_killed_in_the_middle_of_a_sync_loses_and_doubles_nothing(new_context, own_server) -> None:
    own_server.start()
    coordinator = _phone_on(new_context, own_server)
    LoginPage(coordinator).open().log_in_as(WORKER)
    NewSweepPage(coordinator).open().create("断电扫楼", "2号楼")
    sweep_path = path_of(coordinator)

    volunteer = _phone_on(new_context, own_server)
    LoginPage(volunteer).open().log_in_as(VOLUNTEER)
    volunteer.goto(sweep_path)
    SweepPage(volunteer).claim(1, 18)
    SweepPage(volunteer).open_floor(3)
    wait_until_controlled(volunteer)

    # A morning of work made offline: ticks for every door of unit 1, over and over (corrections), in the outbox.
    with sqlite3.connect(own_server.db_path) as db:
        doors = [row[0] for row in db.execute("SELECT id FROM household WHERE door LIKE '2-1-%' ORDER BY door")]
        sweep_id = db.execute("SELECT id FROM sweep WHERE name = '断电扫楼'").fetchone()[0]
    volunteer.context.set_offline(True)
    volunteer.evaluate(
        """([sweep, doors, count]) => {
             const outcomes = ["done", "nobody_home", "come_back"];
             let chain = Promise.resolve();
             for (let i = 0; i < count; i++) {
               const payload = {sweep_id: sweep, household_id: doors[i % doors.length], outcome: outcomes[i % 3]};
               chain = chain.then(() => GridcareOutbox.add("sweep.tick", payload, null));
             }
             return chain;
           }""",
        [str(sweep_id), [str(d) for d in doors], QUEUED],
    )
    queued = {w["id"] for w in volunteer.evaluate("() => GridcareOutbox.all()")}
    assert len(queued) == QUEUED

    # The server dies the moment the first batch is on its way.
    killed = []

    def kill_on_first_sync(request) -> None:
        if "/api/v1/sync" in request.url and not killed:
            own_server.kill()
            killed.append(request.url)

    volunteer.context.on("request", kill_on_first_sync)
    volunteer.context.set_offline(False)
    volunteer.wait_for_function("() => document.getElementById('outbox-count').textContent !== ''")
    expect(volunteer.get_by_test_id("outbox-status")).to_be_visible()
    for _ in range(100):  # the online event starts the sync; its first request is what kills the server
        if killed:
            break
        volunteer.wait_for_timeout(100)
    assert killed
    with sqlite3.connect(own_server.db_path) as db:
        landed = db.execute("SELECT count(*) FROM sweep_tick").fetchone()[0]
    assert landed in (0, 100)  # a batch lands whole or not at all

    own_server.start()  # the same database file, as after a reboot
    volunteer.context.remove_listener("request", kill_on_first_sync)
    volunteer.locator("#sync-now").click()
    expect_sent(volunteer, timeout=60_000)

    with sqlite3.connect(own_server.db_path) as db:
        stored = [row[0] for row in db.execute("SELECT id FROM sweep_tick")]
    assert len(stored) == QUEUED and {str(i) for i in stored} == queued  # nothing lost, nothing doubled
    assert volunteer.evaluate("() => GridcareOutbox.all()") == []


def test_a_building_of_400_doors_stays_fluent_on_a_small_phone(new_context, own_server) -> None:
    own_server.start()  # the demo's tower, 42号楼: 392 doors on 33 floors of one unit, in grid 6
    coordinator = _phone_on(new_context, own_server)
    LoginPage(coordinator).open().log_in_as(TOWER_WORKER)
    NewSweepPage(coordinator).open().create("高层扫楼", "42号楼")  # in grid 6
    sweep = SweepPage(coordinator)
    expect(sweep.progress).to_contain_text("已完成 0 / 共 392")
    assert_phone_layout(coordinator, "sweep-400-doors")
    # The progress of 392 doors is drawn floor by floor (33 floor tiles), never door by door.
    assert coordinator.locator("a.floor").count() == 33
    assert coordinator.evaluate("document.getElementsByTagName('*').length") < 2500
    html_bytes = coordinator.evaluate("performance.getEntriesByType('navigation')[0].decodedBodySize")
    assert html_bytes < 200_000, html_bytes

    volunteer = _phone_on(new_context, own_server)
    LoginPage(volunteer).open().log_in_as(VOLUNTEER)
    volunteer.goto(path_of(coordinator))
    SweepPage(volunteer).claim(20, 25)
    screen = SweepPage(volunteer).open_floor(25)
    assert screen.page.get_by_test_id("door-row").count() == 12
    for door in ("42-1-2501", "42-1-2502", "42-1-2503", "42-1-2504"):
        screen.tick(door, "已完成")
        expect(screen.state(door)).to_contain_text("已完成")
    expect_sent(volunteer)
    assert_phone_layout(volunteer, "sweep-400-doors-floor")
    coordinator.reload()
    expect(sweep.progress).to_contain_text("已完成 4 / 共 392")
