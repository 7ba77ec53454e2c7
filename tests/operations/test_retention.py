"""`python -m server purge`: when an emergency ends, old sweep ticks, errand photos and audit details go; door
states, open cards and the register do not (issue 15, retention)."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest

from server.access.scope import Scope
from server.accounts.services import user_for_token
from server.accounts.tables import User
from server.audit.tables import AuditEntry
from server.db import insert_in_chunks
from server.demo.seed import COMMUNITY_ID, GRID_IDS, demo_uuid
from server.errands.tables import Errand, ErrandPhoto
from server.operations import retention
from server.places.tables import Household, Resident
from server.reconcile import person_sweeps, results
from server.reconcile.tables import Reconciliation
from server.register.tables import RegisterImport
from server.sweeps import rules
from server.sweeps.schemas import SweepCreate
from server.sweeps.services import create_sweep, fold_door_states
from server.sweeps.tables import DoorState, JoinRequest, Sweep, SweepInvite, SweepTick
from server.sync.tables import SyncRejection
from tests.conftest import browser, log_in
from tests.serving import command
from tests.sweeps.test_door_words import two_guests_disagree
from tests.sweeps.test_routes import DOOR

ADMIN = "13800000000"
WORKER = "13800000002"  # 李雪敏, grid 2: building 2
VOLUNTEERS = ("13900000001", "13900000002")
BUILDING_2 = demo_uuid("building", "2")
GRID2 = Scope(community_id=COMMUNITY_ID, grid_ids=(GRID_IDS[1],))
NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=40)
CUTOFF = NOW - timedelta(days=30)


async def account(app, phone: str):
    async with browser(app) as client:
        await log_in(client, phone)
        return await user_for_token(client.cookies["gc_session"])


async def make_sweep(app, subject: str = "households") -> uuid.UUID:
    return await create_sweep(
        await account(app, WORKER),
        GRID2,
        SweepCreate(name="疫情结束后清理", day=date(2022, 11, 24), building_ids=[BUILDING_2], subject=subject),
    )


def ticks_of(sweep: uuid.UUID, rows: list[tuple], received: datetime) -> list[SweepTick]:
    return [
        SweepTick(
            id=uuid.uuid4(),
            content_hash="x",
            sweep=sweep,
            household=door,
            resident=resident,
            outcome=outcome,
            note=note,
            volunteer=who,
            device_time=received,
            received_at=received,
        )
        for door, resident, outcome, who, note in rows
    ]


def by_rule(ticks: list[dict]) -> dict[uuid.UUID, tuple]:
    """Each door's state as the rule gives it on all its ticks, read before anything is purged."""
    memories: dict[uuid.UUID, rules.DoorMemory] = {}
    for t in sorted(ticks, key=lambda t: t["seq"]):
        memory = memories.setdefault(t["household"], rules.DoorMemory())
        memory.remember(t["seq"], t["outcome"], str(t["volunteer"]), t["coordinator"], None, t["note"], "")
    return {
        door: (m.state(False, set()).outcome, m.ticks, m.state(False, set()).conflict) for door, m in memories.items()
    }


async def test_purging_old_ticks_changes_no_sweeps_progress(app):
    worker, one, two = [await account(app, phone) for phone in (WORKER, *VOLUNTEERS)]
    sweep = await make_sweep(app)
    doors = [
        row["id"]
        for row in await Household.select(Household.id).where(Household.building == BUILDING_2).order_by(Household.door)
    ][:12]
    # A morning of the emergency, read since (folded into the door states)...
    folded = [
        (door, None, ("done", "nobody_home", "refused")[i % 3], (one, two)[i % 2].id, f"第{i}户")
        for i, door in enumerate(doors[:10])
    ]
    folded += [(doors[1], None, "done", two.id, ""), (doors[2], None, "come_back", one.id, "")]
    await insert_in_chunks(SweepTick, ticks_of(sweep, folded, OLD))
    await fold_door_states(sweep)
    # ...then ticks that arrived that evening and nobody has read since (not folded yet)...
    unread = [(doors[0], None, "refused", worker.id, "她说不要再敲门"), (doors[3], None, "vacant", worker.id, "")]
    await insert_in_chunks(SweepTick, ticks_of(sweep, unread, OLD + timedelta(hours=8)))
    # ...and today's, which stay.
    today = [(doors[11], None, "done", two.id, "")]
    await insert_in_chunks(SweepTick, ticks_of(sweep, today, NOW))
    roles = {worker.id: True, one.id: False, two.id: False}
    every = await SweepTick.select(
        SweepTick.seq, SweepTick.household, SweepTick.outcome, SweepTick.volunteer, SweepTick.note
    ).where(SweepTick.sweep == sweep)
    expected = by_rule([{**t, "coordinator": roles[t["volunteer"]]} for t in every])

    found = await retention.preview(COMMUNITY_ID, CUTOFF)
    assert found.ticks >= len(folded) + len(unread)
    assert await SweepTick.count().where(SweepTick.sweep == sweep) == len(every)  # a preview removes nothing
    gone = await retention.purge(COMMUNITY_ID, CUTOFF, (await account(app, ADMIN)).id, 30, NOW)
    assert gone.ticks == found.ticks and gone.sweeps == found.sweeps

    left = await SweepTick.select(SweepTick.household).where(SweepTick.sweep == sweep)
    assert [t["household"] for t in left] == [doors[11]]  # only today's
    stored = await DoorState.select().where(DoorState.sweep == sweep)
    states = {s["household"]: (s["outcome"], s["ticks"], s["conflict"]) for s in stored}
    assert states == expected  # the evening's unread ticks were folded in before they went
    # Their notes went with them: no door remembers one (the only tick left had none).
    assert {rules.MEMORY_DECODER.decode(s["memory"]).note for s in stored} == {""}
    assert states[doors[0]][0] == "refused" and states[doors[3]][0] == "vacant"
    # The sweep's page still shows its progress from the door states.
    async with browser(app) as client:
        await log_in(client, WORKER)
        page = await client.get(f"/sweeps/{sweep}")
        assert page.status_code == 200
    again = await retention.purge(COMMUNITY_ID, CUTOFF, (await account(app, ADMIN)).id, 30, NOW)
    assert again.ticks == 0  # nothing left to purge, nothing changes
    assert {s["household"]: s["outcome"] for s in await DoorState.select().where(DoorState.sweep == sweep)} == {
        door: state[0] for door, state in expected.items()
    }


async def test_a_person_sweep_reconciles_the_same_after_its_ticks_are_purged(app):
    worker = await account(app, WORKER)
    sweep = await make_sweep(app, subject="persons")
    people = await Resident.select(Resident.id, Resident.name, Resident.household).where(
        (Resident.household.building == BUILDING_2) & (Resident.status == "living")
    )
    outcome = {"张国强": "not_tested", "李秀英": "away"}
    rows = [(p["household"], p["id"], outcome.get(p["name"], "tested"), worker.id, "") for p in people]
    await insert_in_chunks(SweepTick, ticks_of(sweep, rows, OLD))

    async def reconciled() -> tuple:
        made = await person_sweeps.from_sweep(worker, GRID2, sweep, NOW)
        result = await results.get_result(GRID2, made, NOW.date())
        return (
            (result.summary.expected, result.summary.present),
            sorted((p.name, p.reason) for p in result.missing),
        )

    before = await reconciled()
    assert before == ((332, 330), [("张国强", ""), ("李秀英", "away")])
    await retention.purge(COMMUNITY_ID, CUTOFF, (await account(app, ADMIN)).id, 30, NOW)
    assert await SweepTick.count().where(SweepTick.sweep == sweep) == 0
    assert await reconciled() == before


async def card(state: str, *, advanced: int = 0, reimbursed: bool = False) -> uuid.UUID:
    card_id = uuid.uuid4()
    await Errand.insert(
        Errand(
            id=card_id,
            community=COMMUNITY_ID,
            grid=GRID_IDS[1],
            household=demo_uuid("household", "2-1-301"),
            kind="groceries",
            state=state,
            created_at=OLD,
            due_at=OLD,
            updated_at=OLD,
            advanced_cents=advanced,
            reimbursed=reimbursed,
        )
    )
    return card_id


async def photo(card_id: uuid.UUID, role: str, at: datetime, by: uuid.UUID) -> uuid.UUID:
    photo_id = uuid.uuid4()
    await ErrandPhoto.insert(
        ErrandPhoto(
            id=photo_id, errand=card_id, role=role, data=b"\xff\xd8" + b"x" * 1000, width=1, height=1, by=by, at=at
        )
    )
    return photo_id


async def test_photos_of_finished_cards_and_old_audit_details_go_and_the_rest_stays(app):
    worker = await account(app, WORKER)
    admin = await account(app, ADMIN)
    confirmed, cancelled = await card("confirmed"), await card("cancelled")
    still_open = await card("delivering")
    owed = await card("confirmed", advanced=4550)  # the worker paid 45.50 and is not paid back yet
    paid = await card("confirmed", advanced=1200, reimbursed=True)
    goes = [
        await photo(confirmed, "delivery", OLD, worker.id),
        await photo(cancelled, "receipt", OLD, worker.id),
        await photo(owed, "delivery", OLD, worker.id),
        await photo(paid, "receipt", OLD, worker.id),
    ]
    stays = [
        await photo(still_open, "delivery", OLD, worker.id),
        await photo(owed, "receipt", OLD, worker.id),
        await photo(confirmed, "receipt", NOW, worker.id),  # recent
    ]
    resident = str(demo_uuid("resident", "张国强"))
    old_read, new_read = uuid.uuid4(), uuid.uuid4()
    for entry_id, at in ((old_read, OLD), (new_read, NOW)):
        await AuditEntry.insert(
            AuditEntry(
                id=entry_id,
                community=COMMUNITY_ID,
                user=worker.id,
                action="resident.view",
                target_type="resident",
                target_id=resident,
                address="203.0.113.9",
                at=at,
            )
        )

    gone = await retention.purge(COMMUNITY_ID, CUTOFF, admin.id, 30, datetime.now(UTC))
    assert gone.photos == len(goes) and gone.photo_bytes == len(goes) * 1002 and gone.audit >= 1
    assert await ErrandPhoto.count().where(ErrandPhoto.id.is_in(goes)) == 0
    assert await ErrandPhoto.count().where(ErrandPhoto.id.is_in(stays)) == len(stays)
    assert await Errand.count().where(Errand.id.is_in([confirmed, cancelled, still_open, owed, paid])) == 5
    old = await AuditEntry.select().where(AuditEntry.id == old_read).first()
    assert (old["target_id"], old["address"]) == ("", "")  # whose record and from where: gone
    assert (old["user"], old["action"], old["at"] is not None) == (worker.id, "resident.view", True)  # who, what, when
    new = await AuditEntry.select().where(AuditEntry.id == new_read).first()
    assert (new["target_id"], new["address"]) == (resident, "203.0.113.9")
    record = (
        await AuditEntry.select()
        .where(AuditEntry.action == retention.PURGE_ACTION)
        .order_by(AuditEntry.at, ascending=False)
        .first()
    )
    assert record["user"] == admin.id and f"photos={len(goes)}" in record["target_id"]


async def test_the_command_previews_asks_and_logs_what_went(app):
    worker = await account(app, WORKER)
    finished = await card("confirmed")
    old_photo = await photo(finished, "delivery", OLD, worker.id)
    purge = ("purge", "--older-than-days", "30")

    refused = command(*purge, "--by", WORKER, "--dry-run")
    assert refused.returncode != 0 and "not an active community admin" in refused.stderr
    dry = command(*purge, "--by", ADMIN, "--dry-run")
    assert dry.returncode == 0 and "errand photos: 1 " in dry.stdout and "Nothing removed" in dry.stdout, dry
    declined = command(*purge, "--by", ADMIN, stdin="no\n")
    assert declined.returncode != 0 and "Nothing removed" in declined.stderr
    assert await ErrandPhoto.count().where(ErrandPhoto.id == old_photo) == 1
    done = command(*purge, "--by", ADMIN, "--community", "铁北社区", stdin="yes\n")
    assert done.returncode == 0 and "Removed" in done.stdout and "1 errand photos" in done.stdout, done
    assert "retention: purged" in done.stderr and "1 errand photos" in done.stderr  # the log line of what went
    assert await ErrandPhoto.count().where(ErrandPhoto.id == old_photo) == 0
    assert command(*purge, "--by", ADMIN, "--yes").stdout.strip().endswith("Nothing to remove.")
    wrong = command(*purge, "--by", ADMIN, "--community", "没有这个社区", "--yes")
    assert wrong.returncode != 0 and "Nothing removed" in wrong.stderr
    zero = command("purge", "--older-than-days", "0", "--by", ADMIN, "--yes")
    assert zero.returncode != 0 and "1 or more" in zero.stderr
    # A stranger's walk of issue 15: 999999999 days before now is before the year 1, and it ended in a traceback.
    far = command("purge", "--older-than-days", "999999999", "--by", ADMIN, "--yes")
    assert far.returncode != 0 and "at most 36500" in far.stderr and "Traceback" not in far.stderr, far.stderr


@pytest.fixture(autouse=True)
async def _no_sweeps_left_behind():
    yield
    # Sweeps made here are deleted with their door states, so that other tests' counts are as they expect.
    ours = [s["id"] for s in await Sweep.select(Sweep.id).where(Sweep.name == "疫情结束后清理")]
    if ours:
        await Reconciliation.delete().where(Reconciliation.sweep.is_in(ours))
        await SweepTick.delete().where(SweepTick.sweep.is_in(ours))
        await Sweep.delete().where(Sweep.id.is_in(ours))


# Distinctive strings, searched for in every byte of the exports and the door page.
GONE_NAME, KEPT_NAME = "蒲公英乙QX8", "蒲公英甲QX7"
OLD_NOTE, GONE_NOTE, GONE_HELP = "旧备注ZQ-alpha-1", "旧备注ZQ-beta-2", "需要胰岛素ZQ-help-3"
SECRETS = (GONE_NAME, OLD_NOTE, GONE_NOTE, GONE_HELP)


async def everything_shown(client, sweep_id: str) -> tuple[str, list[list[str]]]:
    """All a coordinator can read of the sweep's door 2-1-301: the door page, the .csv, every part of the .xlsx
    (unzipped); and the .csv's rows."""
    page = await client.get(f"/sweeps/{sweep_id}/doors/{DOOR}")
    sheet = await client.get(f"/sweeps/{sweep_id}/export/csv")
    book = await client.get(f"/sweeps/{sweep_id}/export/xlsx")
    assert page.status_code == sheet.status_code == book.status_code == 200
    with zipfile.ZipFile(io.BytesIO(book.content)) as parts:
        unzipped = "".join(parts.read(name).decode("utf-8", "replace") for name in parts.namelist())
    text = sheet.content.decode("utf-8-sig")
    return page.text + text + unzipped, list(csv.reader(io.StringIO(text)))


async def test_after_a_purge_no_export_nor_door_page_says_who_said_what_when_and_the_counts_stay(app):
    """Issue 15 (a stranger's review): the door memory kept names, notes, help and times after their ticks went."""
    story = await two_guests_disagree(
        app,
        "疫情结束后清理",
        first=KEPT_NAME,
        second=GONE_NAME,
        second_outcome="needs_help",
        first_note=OLD_NOTE,
        second_note=GONE_NOTE,
        second_extra={"help_needed": GONE_HELP},
    )
    sweep_id = story["sweep_id"]
    await SweepTick.update({SweepTick.received_at: OLD, SweepTick.device_time: OLD}).where(
        SweepTick.sweep == uuid.UUID(sweep_id)
    )
    # The first volunteer came back to the door this week: that tick stays (and once carried her old note).
    first = await User.select(User.id).where(User.name == KEPT_NAME).first()
    await insert_in_chunks(SweepTick, ticks_of(uuid.UUID(sweep_id), [(DOOR, None, "done", first["id"], "")], NOW))
    async with browser(app) as client:
        await log_in(client, WORKER)
        before, rows_before = await everything_shown(client, sweep_id)
        for secret in (*SECRETS, KEPT_NAME):
            assert secret in before  # what the purge must remove was there to see
        states = await DoorState.select(DoorState.household, DoorState.outcome, DoorState.ticks, DoorState.conflict)

        gone = await retention.purge(COMMUNITY_ID, CUTOFF, (await account(app, ADMIN)).id, 30, NOW)
        assert gone.ticks == 2

        after, rows_after = await everything_shown(client, sweep_id)
        for secret in SECRETS:
            assert secret not in after, secret
        assert KEPT_NAME in after  # her word of this week stays, with its time
        page = (await client.get(f"/sweeps/{sweep_id}/doors/{DOOR}")).text
        assert page.count('data-testid="word-removed"') == 1 and page.count('data-testid="word-time"') == 1
    # What the door and the sweep count stays: state, disagreement, how often recorded, each door of the export.
    assert await DoorState.select(DoorState.household, DoorState.outcome, DoorState.ticks, DoorState.conflict) == states
    assert [row[:8] for row in rows_after] == [row[:8] for row in rows_before]
    row = next(row for row in rows_after if row[3] == "2-1-301")
    assert row[5:8] == ["需要帮助", "说法不一：需要帮助 / 已完成", "3"]
    # Nor does the database hold them anywhere in the door's memory.
    memory = (await DoorState.select(DoorState.memory).where(DoorState.household == DOOR).first())["memory"]
    assert not any(secret in memory for secret in SECRETS)


def test_a_memory_forgets_purged_words_of_people_too_and_keeps_their_outcomes():
    """A person sweep: who recorded each person, when and their note go with the tick; the state stays."""
    memory = rules.DoorMemory()
    memory.remember(1, "tested", "v1", False, "r1", "注意他耳背", "", 100, 110)
    memory.remember(2, "away", "v2", False, "r2", "住院了", "", 200, 210)
    memory.remember(3, "nobody_home", "v2", False, None, "", "", 300, 310)
    memory.remember(4, "tested", "v1", False, "r1", "", "", 400, 410)  # stays; carried the note of tick 1
    kept = rules.DoorMemory()
    kept.remember(4, "tested", "v1", False, "r1", "", "", 400, 410)
    forgot = memory.forget({1, 2, 3}, kept)
    assert forgot.state(True, {"r1", "r2"}) == memory.state(True, {"r1", "r2"})
    assert (forgot.seq, forgot.ticks, forgot.at, forgot.note) == (4, 4, 400, "")
    assert forgot.people["r1"] == rules.Said(4, "tested", False, 400, 410, "", "", "v1")
    assert forgot.people["r2"] == rules.Said(2, "away", purged=True)
    assert list(forgot.words.values()) == [rules.Said(3, "nobody_home", purged=True)] and "v2" not in forgot.words
    again = rules.MEMORY_DECODER.decode(rules.MEMORY_ENCODER.encode(forgot)).forget({4}, rules.DoorMemory())
    assert again.people["r1"].purged and again.words == forgot.words  # a second purge keeps the first's blanks


async def test_refused_writes_requests_to_join_and_import_results_go_too(app):
    worker = await account(app, WORKER)
    sweep = await make_sweep(app)
    refused = {}
    for at in (OLD, NOW):
        refused[at] = uuid.uuid4()
        await SyncRejection.insert(
            SyncRejection(
                id=refused[at],
                write_id=uuid.uuid4(),
                kind="sweep.tick",
                user=worker.id,
                reason="outside",
                body='{"note": "' + OLD_NOTE + '"}',
                received_at=at,
            )
        )
    invite = uuid.uuid4()
    await SweepInvite.insert(
        SweepInvite(
            id=invite,
            sweep=sweep,
            code=f"{uuid.uuid4().int % 10**8:08d}",
            created_by=worker.id,
            created_at=OLD,
            expires_at=OLD + timedelta(hours=8),
        )
    )
    request = uuid.uuid4()
    await JoinRequest.insert(
        JoinRequest(
            id=request,
            invite=invite,
            user=worker.id,
            code="123456",
            typed_name=GONE_NAME,
            created_at=OLD,
            expires_at=OLD + timedelta(minutes=10),
        )
    )
    imported = {}
    for at in (OLD, NOW):  # the rows an import set aside, with the names and values typed in them
        imported[at] = uuid.uuid4()
        await RegisterImport.insert(
            RegisterImport(id=imported[at], community=COMMUNITY_ID, user=worker.id, at=at, result=GONE_NAME)
        )
    gone = await retention.purge(COMMUNITY_ID, CUTOFF, (await account(app, ADMIN)).id, 30, NOW)
    assert gone.refused >= 3
    kept = await RegisterImport.select(RegisterImport.id).where(RegisterImport.id.is_in(list(imported.values())))
    assert [r["id"] for r in kept] == [imported[NOW]]
    assert [
        r["id"]
        for r in await SyncRejection.select(SyncRejection.id).where(SyncRejection.id.is_in(list(refused.values())))
    ] == [refused[NOW]]
    assert await JoinRequest.count().where(JoinRequest.id == request) == 0
    await SyncRejection.delete().where(SyncRejection.id == refused[NOW])
