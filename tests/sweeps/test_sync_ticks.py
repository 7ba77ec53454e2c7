"""Ticks through the batched sync endpoint: idempotent, all-or-nothing, one clear answer per tick."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from server.access.scope import Scope
from server.accounts.services import user_for_token
from server.demo.seed import BUILDING_GRID, COMMUNITY_ID, GRID_IDS, demo_uuid
from server.sweeps.schemas import SweepCreate
from server.sweeps.services import create_sweep, door_state_id, fold_door_states
from server.sweeps.tables import DoorState, SweepTick
from server.sync.tables import SyncRejection
from tests.conftest import browser, csrf, log_in
from tests.sweeps.helpers import claim

WORKER = "13800000002"  # 李雪敏, grid 2: building 2
VOLUNTEERS = ("13900000001", "13900000002")
DOOR = demo_uuid("household", "2-1-301")
OTHER_DOOR = demo_uuid("household", "2-1-302")


@pytest.fixture
async def sweep(app) -> uuid.UUID:
    """A fresh sweep of building 2 for each test, made by its grid worker."""
    async with browser(app) as client:
        await log_in(client, WORKER)
        worker = await user_for_token(client.cookies["gc_session"])
    return await create_sweep(
        worker,
        Scope(COMMUNITY_ID, (GRID_IDS[1],)),
        SweepCreate(name="11月24日核酸扫楼", day=date(2022, 11, 24), building_ids=[demo_uuid("building", "2")]),
    )


def tick(sweep_id, household=DOOR, outcome="done", *, tick_id=None, minutes_ago=5, **extra) -> dict:
    return {
        "id": str(tick_id or uuid.uuid4()),
        "kind": "sweep.tick",
        "device_time": (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(),
        "payload": {"sweep_id": str(sweep_id), "household_id": str(household), "outcome": outcome, **extra},
    }


async def send(client, *writes) -> list[dict]:
    answer = await client.post("/api/v1/sync", json={"writes": list(writes)}, headers=csrf(client))
    assert answer.status_code == 200, answer.text
    return answer.json()["answers"]


async def test_a_tick_is_stored_once_and_the_door_state_follows(client, sweep):
    await log_in(client, VOLUNTEERS[0])
    await claim(client, sweep)
    write = tick(sweep)
    [first] = await send(client, write)
    assert first["status"] == "accepted" and first["seq"] > 0
    [again] = await send(client, write)  # the phone did not hear the answer and sends it again
    assert again == {"id": write["id"], "status": "duplicate", "seq": first["seq"]}
    assert await SweepTick.count().where(SweepTick.id == uuid.UUID(write["id"])) == 1
    await fold_door_states(sweep)  # states are folded in when the sweep is read
    state = await DoorState.objects().get(DoorState.id == door_state_id(sweep, DOOR))
    assert state.outcome == "done" and state.ticks == 1 and not state.conflict


async def test_a_batch_of_new_and_resent_ticks_numbers_the_new_ones_in_batch_order(client, sweep):
    await log_in(client, VOLUNTEERS[0])
    await claim(client, sweep)
    resent = tick(sweep, OTHER_DOOR, "nobody_home")
    [earlier] = await send(client, resent)
    writes = [tick(sweep, OTHER_DOOR, "nobody_home"), resent, tick(sweep), tick(sweep, OTHER_DOOR, "refused")]
    answers = await send(client, *writes)
    assert [a["status"] for a in answers] == ["accepted", "duplicate", "accepted", "accepted"]
    assert answers[1]["seq"] == earlier["seq"]
    new = [answers[0]["seq"], answers[2]["seq"], answers[3]["seq"]]
    assert earlier["seq"] < new[0] < new[1] < new[2]
    fresh = [tick(sweep, OTHER_DOOR, "refused") for _ in range(3)]  # none stored before
    later = [a["seq"] for a in await send(client, *fresh)]
    assert new[2] < later[0] < later[1] < later[2]
    stored = await SweepTick.select(SweepTick.seq, SweepTick.id).where(SweepTick.sweep == sweep)
    assert {row["seq"]: str(row["id"]) for row in stored} == {
        earlier["seq"]: resent["id"],
        **{seq: write["id"] for seq, write in zip(new, [writes[0], writes[2], writes[3]], strict=True)},
        **{seq: write["id"] for seq, write in zip(later, fresh, strict=True)},
    }


async def test_the_same_id_with_other_content_is_refused_and_recorded(client, sweep):
    await log_in(client, VOLUNTEERS[0])
    await claim(client, sweep)
    write = tick(sweep, outcome="nobody_home")
    await send(client, write)
    changed = {**write, "payload": {**write["payload"], "outcome": "done"}}
    [answer] = await send(client, changed)
    assert answer["status"] == "rejected" and answer["reason"] == "id_reused"
    stored = await SweepTick.objects().get(SweepTick.id == uuid.UUID(write["id"]))
    assert stored.outcome == "nobody_home"
    assert await SyncRejection.exists().where(
        (SyncRejection.write_id == uuid.UUID(write["id"])) & (SyncRejection.reason == "id_reused")
    )


async def test_two_volunteers_disagreeing_make_a_conflict_and_the_rule_decides(app, sweep):
    for phone, outcome in zip(VOLUNTEERS, ("refused", "done"), strict=True):
        async with browser(app) as client:
            await log_in(client, phone)
            await claim(client, sweep, release=True)  # the first lets go; the second takes the unit over
            [answer] = await send(client, tick(sweep, OTHER_DOOR, outcome))
            assert answer["status"] == "accepted"
    await fold_door_states(sweep)  # states are folded in when the sweep is read
    state = await DoorState.objects().get(DoorState.id == door_state_id(sweep, OTHER_DOOR))
    assert state.outcome == "done" and state.conflict and state.ticks == 2


async def test_each_tick_gets_its_own_answer_and_bad_ones_change_nothing(client, sweep):
    await log_in(client, VOLUNTEERS[0])
    await claim(client, sweep)
    outside = demo_uuid("household", "1-1-101")  # building 1 is not in the sweep
    good, repeated = tick(sweep), tick(sweep, OTHER_DOOR, "refused")
    answers = await send(
        client,
        good,
        tick(sweep, outside),
        tick(uuid.uuid4()),  # no such sweep: not said, since that would tell what exists
        tick(sweep, outcome="needs_help"),  # help not described
        tick(sweep, outcome="tested", resident_id=str(uuid.uuid4())),  # a person outcome in a household sweep
        {**tick(sweep), "kind": "sweep.unknown"},
        {**tick(sweep), "payload": {"sweep_id": "nope"}},
        repeated,
        repeated,
    )
    assert [(a["status"], a.get("reason")) for a in answers] == [
        ("accepted", None),
        ("rejected", "outside_sweep"),
        ("rejected", "not_allowed"),
        ("rejected", "help_not_described"),
        ("rejected", "invalid"),
        ("rejected", "unknown_kind"),
        ("rejected", "invalid"),
        ("accepted", None),
        ("duplicate", None),
    ]
    assert answers[8]["seq"] == answers[7]["seq"]
    assert await SweepTick.count().where(SweepTick.sweep == sweep) == 2
    assert await SyncRejection.count().where(SyncRejection.user.phone == VOLUNTEERS[0]) >= 6


async def test_needs_help_keeps_what_help_is_needed(client, sweep):
    await log_in(client, VOLUNTEERS[0])
    await claim(client, sweep)
    [answer] = await send(client, tick(sweep, outcome="needs_help", help_needed="老人没药了，需要买降压药"))
    assert answer["status"] == "accepted"
    stored = await SweepTick.objects().get(SweepTick.seq == answer["seq"])
    assert stored.help_needed == "老人没药了，需要买降压药"


async def test_a_device_clock_days_off_is_accepted_with_a_warning(client, sweep):
    await log_in(client, VOLUNTEERS[0])
    await claim(client, sweep)
    [answer] = await send(client, tick(sweep, minutes_ago=3 * 24 * 60))
    assert answer["status"] == "accepted" and answer["warning"] == "device_clock_off"


async def test_a_huge_batch_is_answered_tick_by_tick(client, sweep):
    await log_in(client, VOLUNTEERS[0])
    await claim(client, sweep)
    # Past MAX_BATCH (500) and within the 1 MB a request may carry (server/web/bodies.py); a phone sends 100.
    writes = [tick(sweep, OTHER_DOOR, "nobody_home") for _ in range(2_000)]
    answers = await send(client, *writes)
    assert len(answers) == 2_000
    assert {a["status"] for a in answers[:500]} == {"accepted"}
    assert {(a["status"], a["reason"]) for a in answers[500:]} == {("retry", "batch_too_large")}
    assert await SweepTick.count().where(SweepTick.sweep == sweep) == 500


async def test_malformed_batches_are_refused_whole(client, sweep):
    await log_in(client, VOLUNTEERS[0])
    for body in (
        {"writes": "x"},
        {"writes": [{"id": "not-a-uuid"}]},
        [],
        {"writes": [{**tick(sweep), "device_time": "2022-11-24T10:00:00"}]},
    ):  # a time without its offset cannot be placed
        answer = await client.post("/api/v1/sync", json=body, headers=csrf(client))
        assert answer.status_code == 400, body
    assert await SweepTick.count().where(SweepTick.sweep == sweep) == 0


async def test_sync_needs_a_session_and_the_csrf_header(app, sweep):
    async with browser(app) as client:
        await client.get("/login")  # a CSRF cookie, but nobody logged in
        anonymous = await client.post("/api/v1/sync", json={"writes": [tick(sweep)]}, headers=csrf(client))
        assert anonymous.status_code == 401
        await log_in(client, VOLUNTEERS[0])
        assert (await client.post("/api/v1/sync", json={"writes": [tick(sweep)]})).status_code == 403  # no header
    assert await SweepTick.count().where(SweepTick.sweep == sweep) == 0


async def test_a_grid_worker_of_another_grid_and_a_resident_may_not_tick(app, sweep):
    assert BUILDING_GRID[2] == 2
    for phone in ("13800000001", "13700000001"):
        async with browser(app) as client:
            await log_in(client, phone)
            [answer] = await send(client, tick(sweep))
            assert answer["reason"] == "not_allowed", phone


async def test_a_write_made_by_someone_else_on_a_shared_phone_is_not_stored_under_this_session(client, sweep):
    await log_in(client, VOLUNTEERS[0])
    other = await user_for_token(client.cookies["gc_session"])
    await log_in(client, VOLUNTEERS[1])
    [answer] = await send(client, {**tick(sweep), "user_id": str(other.id)})
    assert answer["status"] == "rejected" and answer["reason"] == "wrong_user"
    assert await SweepTick.count().where(SweepTick.sweep == sweep) == 0


async def test_the_outbox_can_fetch_a_fresh_csrf_token(client, sweep):
    await log_in(client, VOLUNTEERS[0])
    await claim(client, sweep)
    token = (await client.get("/api/v1/csrf")).json()["token"]
    answer = await client.post("/api/v1/sync", json={"writes": [tick(sweep)]}, headers={"x-csrftoken": token})
    assert answer.status_code == 200 and answer.json()["answers"][0]["status"] == "accepted"


async def test_a_volunteer_corrects_a_mis_tap(client, sweep):
    await log_in(client, VOLUNTEERS[0])
    await claim(client, sweep)
    await send(client, tick(sweep, outcome="done"))
    await send(client, tick(sweep, outcome="nobody_home"))
    await fold_door_states(sweep)  # states are folded in when the sweep is read
    state = await DoorState.objects().get(DoorState.id == door_state_id(sweep, DOOR))
    assert state.outcome == "nobody_home" and state.ticks == 2 and not state.conflict


async def test_a_whole_floor_nobody_home_never_overwrites_a_recorded_door_whoever_syncs_first(app, sweep):
    """Issue 14, defect 2, through the sync path. 301: done by a volunteer, then the whole floor's "nobody home"
    from the same volunteer (a stale count), from the grid worker (whose word otherwise settles a door) and from a
    second volunteer's phone synced late. 302: the floor's "nobody home" arrives first, then a volunteer's refused
    made earlier on a phone without signal. Each door keeps the answer recorded for it."""
    floor = [DOOR, OTHER_DOOR, demo_uuid("household", "2-1-303")]
    async with browser(app) as first:
        await log_in(first, VOLUNTEERS[0])
        await claim(first, sweep, floors=(3, 3), release=True)  # the floor is free for the second volunteer later
        [done] = await send(first, tick(sweep, DOOR, "done"))
        bulk = [tick(sweep, door, "nobody_home", bulk=True) for door in floor]
        assert [a["status"] for a in await send(first, *bulk)] == ["accepted"] * 3
    async with browser(app) as worker:
        await log_in(worker, WORKER)
        [settling] = await send(worker, tick(sweep, DOOR, "nobody_home", bulk=True))
        assert settling["status"] == "accepted"
    async with browser(app) as second:
        await log_in(second, VOLUNTEERS[1])
        await claim(second, sweep, floors=(3, 3))
        late = [tick(sweep, OTHER_DOOR, "refused", minutes_ago=60), tick(sweep, DOOR, "nobody_home", bulk=True)]
        assert [a["status"] for a in await send(second, *late)] == ["accepted"] * 2
    await fold_door_states(sweep)
    states = {
        row["household"]: row
        for row in await DoorState.select().where(DoorState.id.is_in([door_state_id(sweep, d) for d in floor]))
    }
    assert states[DOOR]["outcome"] == "done" and states[DOOR]["tick_seq"] == done["seq"] and states[DOOR]["ticks"] == 4
    assert not states[DOOR]["conflict"]
    assert states[OTHER_DOOR]["outcome"] == "refused"
    assert states[floor[2]]["outcome"] == "nobody_home"  # nobody recorded it one by one: the floor's answer stands


async def test_only_nobody_home_can_be_a_whole_floors_answer(client, sweep):
    await log_in(client, VOLUNTEERS[0])
    await claim(client, sweep)
    answers = await send(
        client,
        tick(sweep, outcome="done", bulk=True),
        tick(sweep, outcome="tested", bulk=True, resident_id=str(demo_uuid("resident", "2-1-301/0"))),
    )
    assert [(a["status"], a["reason"]) for a in answers] == [("rejected", "invalid")] * 2
    assert await SweepTick.count().where(SweepTick.sweep == sweep) == 0


async def test_a_volunteer_records_only_floors_they_claim_or_claimed(app, sweep):
    async with browser(app) as client:
        await log_in(client, VOLUNTEERS[0])
        [unclaimed] = await send(client, tick(sweep))
        assert unclaimed["reason"] == "outside_claim"
        await claim(client, sweep, floors=(1, 2))
        [above] = await send(client, tick(sweep))  # 2-1-301 is on floor 3
        assert above["reason"] == "outside_claim"
        await claim(client, sweep, floors=(3, 3), release=True)
        # Released (or run out, or handed on) while the phone was offline: what was done there still counts.
        [after_release] = await send(client, tick(sweep))
        assert after_release["status"] == "accepted"
    assert await SweepTick.count().where(SweepTick.sweep == sweep) == 1


async def test_batches_arriving_at_once_for_one_door_each_count_in_its_state(app, sweep):
    """Writes take turns (SQLite: one writing connection per process; PostgreSQL: a lock per sweep): a door's state
    rebuilt by one batch always includes the other's ticks."""
    async with browser(app) as worker, browser(app) as admin:
        await log_in(worker, WORKER)
        await log_in(admin, "13800000000")
        batches = [[tick(sweep, OTHER_DOOR, "nobody_home") for _ in range(20)] for _ in range(3)]
        answers = await asyncio.gather(*(send(c, *b) for c, b in zip((worker, admin, worker), batches, strict=True)))
    assert all(a["status"] == "accepted" for batch in answers for a in batch)
    seqs = [a["seq"] for batch in answers for a in batch]
    assert len(set(seqs)) == 60
    await fold_door_states(sweep)  # states are folded in when the sweep is read
    state = await DoorState.objects().get(DoorState.id == door_state_id(sweep, OTHER_DOOR))
    assert state.ticks == 60 and state.tick_seq == max(seqs)


async def test_door_states_are_folded_in_when_the_sweep_is_read(client, sweep):
    from server.sweeps.tables import Sweep

    await log_in(client, VOLUNTEERS[0])
    await claim(client, sweep)
    first = await send(client, tick(sweep, outcome="nobody_home"), tick(sweep, OTHER_DOOR, "refused"))
    # Storing a batch writes ticks only; the states wait for the next read.
    assert not await DoorState.exists().where(DoorState.sweep == sweep)
    page = await client.get(f"/sweeps/{sweep}")
    assert "1户要再访" in page.text
    folded = (await Sweep.objects().get(Sweep.id == sweep)).folded_seq
    assert folded == max(a["seq"] for a in first)
    [later] = await send(client, tick(sweep, outcome="done"))  # the volunteer went back: now done
    await fold_door_states(sweep)
    await fold_door_states(sweep)  # nothing new: changes nothing
    state = await DoorState.objects().get(DoorState.id == door_state_id(sweep, DOOR))
    assert state.outcome == "done" and state.ticks == 2 and state.tick_seq == later["seq"]
    assert (await Sweep.objects().get(Sweep.id == sweep)).folded_seq == later["seq"]
