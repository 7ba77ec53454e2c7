"""Errand cards through the pages and the sync endpoint, as grid workers, riders and residents use them."""

from __future__ import annotations

import asyncio
import io
import re
import uuid
from datetime import UTC, datetime, timedelta

from PIL import Image

from server.accounts.tables import User
from server.demo.seed import ADMIN_PHONE, GRID_IDS, RESIDENT_PHONE, STORY_RESIDENT_IDS, VOLUNTEER_PHONES
from server.errands.tables import Errand, ErrandEvent, ErrandItem, ErrandPhoto
from server.places.tables import Resident
from server.register.tables import ElderProfile
from tests.conftest import browser, csrf, log_in
from tests.sweeps.test_routes import DOOR, make_sweep, tick

HOU = STORY_RESIDENT_IDS["侯秀兰"]  # 侯奶奶, alone in building 2: grid 2, 李雪敏; priority line
HOU_WORKER = "13800000002"
GUO = STORY_RESIDENT_IDS["郭德胜"]  # building 3: grid 5
OTHER_WORKER = "13800000005"
ZHANG = STORY_RESIDENT_IDS["张国强"]  # building 2 as well, not on the priority line
RIDER = VOLUNTEER_PHONES[0]


def sent_ok(answer) -> bool:
    """POST /ask answers the page saying it reached the grid worker (no redirect: see errands/controllers.py)."""
    return answer.status_code == 200 and 'data-testid="sent"' in answer.text


def form(client, **fields) -> dict:
    return {"_csrf_token": csrf(client)["x-csrftoken"], **fields}


async def new_card(client, resident=HOU, **fields):
    data = {"card_id": str(uuid.uuid4()), "resident_id": str(resident), "kind": "groceries", "items": "鸡蛋\n白菜"}
    data |= {name: str(value) for name, value in fields.items()}
    return await client.post("/errands", data=form(client, **data), follow_redirects=False)


def card_id_of(answer) -> uuid.UUID:
    assert answer.status_code == 303, answer.text[:300]
    return uuid.UUID(answer.headers["location"].rsplit("/", 1)[1])


async def act(client, card_id, action, **fields):
    data = form(client, write_id=str(uuid.uuid4()), action=action, **fields)
    return await client.post(f"/errands/{card_id}/actions", data=data, follow_redirects=False)


async def sync(client, *payloads, ids=None) -> list[dict]:
    writes = [
        {
            "id": str(ids[n] if ids else uuid.uuid4()),
            "kind": "errand.action",
            "device_time": "2022-11-24T10:00:00+08:00",
            "payload": payload,
        }
        for n, payload in enumerate(payloads)
    ]
    answer = await client.post("/api/v1/sync", json={"writes": writes}, headers=csrf(client))
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()["answers"]


async def state(card_id) -> str:
    return (await Errand.select(Errand.state).where(Errand.id == card_id).first())["state"]


async def test_a_call_becomes_a_card_with_its_items_once_even_if_sent_twice(client):
    await log_in(client, HOU_WORKER)
    card_id = uuid.uuid4()
    first = await new_card(client, card_id=card_id, items="1. 2斤鸡蛋\n- 白菜\n\n降压药", urgency="urgent")
    again = await new_card(client, card_id=card_id, items="1. 2斤鸡蛋\n- 白菜\n\n降压药", urgency="urgent")
    assert card_id_of(first) == card_id_of(again) == card_id
    assert await Errand.count().where(Errand.id == card_id) == 1
    items = await ErrandItem.select(ErrandItem.text).where(ErrandItem.errand == card_id).order_by(ErrandItem.position)
    assert [i["text"] for i in items] == ["2斤鸡蛋", "白菜", "降压药"]
    page = await client.get(f"/errands/{card_id}")
    assert page.status_code == 200 and "侯秀兰" in page.text and "2斤鸡蛋" in page.text
    phone = (await Resident.objects().get(Resident.id == HOU)).phone
    assert phone not in page.text and re.search(r"\d{3}\*{4}\d{4}", page.text)  # masked; whole on a logged tap


async def test_bad_intake_is_answered_in_place_and_saves_nothing(client):
    await log_in(client, HOU_WORKER)
    before = await Errand.count()
    empty = await new_card(client, items=" \n ")
    assert empty.status_code == 400 and "一行写一样" in empty.text and 'data-testid="error-items"' in empty.text
    other_grid = await new_card(client, resident=GUO)
    assert other_grid.status_code == 400 and "不在你的网格" in other_grid.text
    too_many = await new_card(client, items="\n".join(f"第{n}样" for n in range(41)))
    assert too_many.status_code == 400
    nobody = await client.post("/errands", data=form(client, card_id=str(uuid.uuid4()), items="米"))
    assert nobody.status_code == 400
    assert await Errand.count() == before


async def test_the_card_moves_from_new_to_confirmed_and_each_move_is_recorded(client):
    await log_in(client, HOU_WORKER)
    card_id = card_id_of(await new_card(client, kind="medicine", items="硝苯地平"))
    for to in ("accepted", "buying", "delivering", "delivered", "confirmed"):
        assert (await act(client, card_id, "move", to=to)).status_code == 303
        assert await state(card_id) == to
    card = await Errand.objects().get(Errand.id == card_id)
    assert card.delivered_at is not None and card.confirmed_how == "phone"
    events = await ErrandEvent.select(ErrandEvent.to_state, ErrandEvent.by).where(ErrandEvent.errand == card_id)
    assert [e["to_state"] for e in events] == ["new", "accepted", "buying", "delivering", "delivered", "confirmed"]
    assert len({e["by"] for e in events}) == 1  # who, for each


async def test_a_forbidden_move_is_refused_in_words_and_changes_nothing(client):
    await log_in(client, HOU_WORKER)
    card_id = card_id_of(await new_card(client))
    skip = await act(client, card_id, "move", to="delivered")
    assert skip.status_code == 400 and "不能从当前状态" in skip.text
    no_reason = await act(client, card_id, "move", to="cancelled")
    assert no_reason.status_code == 400 and "取消的原因" in no_reason.text
    assert await state(card_id) == "new"
    assert await ErrandEvent.count().where(ErrandEvent.errand == card_id) == 1  # only "created"
    assert (await act(client, card_id, "move", to="cancelled", reason="儿子送来了")).status_code == 303
    closed = await act(client, card_id, "move", to="accepted")
    assert closed.status_code == 400 and "这张卡已经结束了" in closed.text
    assert await state(card_id) == "cancelled"


async def test_two_workers_accepting_at_once_one_gets_the_card_and_the_other_is_told(app):
    async with browser(app) as worker, browser(app) as admin:
        await log_in(worker, HOU_WORKER)
        await log_in(admin, ADMIN_PHONE)
        card_id = card_id_of(await new_card(worker))
        move = {"action": "move", "card_id": str(card_id), "to": "accepted"}
        answers = await asyncio.gather(sync(worker, move), sync(admin, move))
    statuses = sorted((a[0]["status"], a[0].get("reason")) for a in answers)
    assert statuses == [("accepted", None), ("rejected", "taken")]
    card = await Errand.objects().get(Errand.id == card_id)
    assert card.state == "accepted"
    events = await ErrandEvent.select(ErrandEvent.by).where(
        (ErrandEvent.errand == card_id) & (ErrandEvent.to_state == "accepted")
    )
    assert [e["by"] for e in events] == [card.assignee]  # one winner, recorded


async def test_writes_from_the_outbox_are_idempotent(client):
    await log_in(client, HOU_WORKER)
    card_id = card_id_of(await new_card(client))
    item = await ErrandItem.select(ErrandItem.id).where(ErrandItem.errand == card_id).first()
    tick = {"action": "item", "card_id": str(card_id), "item_id": str(item["id"]), "done": "1", "substitute": "散鸡蛋"}
    write_id = uuid.uuid4()
    assert (await sync(client, tick, ids=[write_id]))[0]["status"] == "accepted"
    assert (await sync(client, tick, ids=[write_id]))[0]["status"] == "duplicate"
    other = await sync(client, tick | {"done": "0"}, ids=[write_id])
    assert other[0] == {"id": str(write_id), "status": "rejected", "reason": "id_reused"}
    stored = await ErrandItem.objects().get(ErrandItem.id == item["id"])
    assert stored.done and stored.substitute == "散鸡蛋"
    assert await ErrandEvent.count().where((ErrandEvent.errand == card_id) & (ErrandEvent.action == "item")) == 1


async def test_the_board_pins_the_priority_line_and_filters(client):
    await log_in(client, HOU_WORKER)
    plain = card_id_of(await new_card(client, resident=ZHANG, urgency="urgent"))
    hou = card_id_of(await new_card(client, urgency="later"))  # later, yet first: the priority line
    board = (await client.get("/errands")).text
    order = re.findall(r'data-card="([0-9a-f-]{36})"', board)
    assert order.index(str(hou)) < order.index(str(plain))
    assert (await act(client, plain, "move", to="accepted")).status_code == 303
    mine = re.findall(r'data-card="([0-9a-f-]{36})"', (await client.get("/errands?view=mine")).text)
    untaken = re.findall(r'data-card="([0-9a-f-]{36})"', (await client.get("/errands?view=unassigned")).text)
    assert str(plain) in mine and str(hou) not in mine
    assert str(hou) in untaken and str(plain) not in untaken
    fragment = await client.get("/errands", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and str(hou) in fragment.text


async def test_an_overdue_card_stands_out(client):
    await log_in(client, HOU_WORKER)
    card_id = card_id_of(await new_card(client, kind="medicine", items="速效救心丸", urgency="urgent"))
    row = re.search(rf'<li class="([^"]*)"[^>]*data-card="{card_id}"', (await client.get("/errands")).text)
    assert "late" not in row.group(1).split()
    await Errand.update({Errand.due_at: Errand.created_at}).where(Errand.id == card_id)  # the 2 hours have passed
    page = (await client.get("/errands")).text
    row = re.search(rf'<li class="([^"]*)"[^>]*data-card="{card_id}"', page)
    assert "late" in row.group(1).split() and "超时" in page


async def test_a_rider_sees_the_door_and_the_items_never_the_phone_the_note_or_the_receipt(app):
    async with browser(app) as worker, browser(app) as rider:
        await log_in(worker, HOU_WORKER)
        await log_in(rider, RIDER)
        note = "糖尿病，女儿电话13912345678"
        card_id = card_id_of(await new_card(worker, drop_point="lobby", items="大米 10斤", note=note))
        assert (await rider.get(f"/errands/{card_id}")).status_code == 404  # not handed to them yet
        rider_id = (await User.select(User.id).where(User.phone == RIDER).first())["id"]
        refused = await act(worker, card_id, "handoff", deliverer_id=str(rider_id))
        assert refused.status_code == 400 and "先接单" in refused.text  # someone must hold it: the rider calls them
        for to in ("accepted", "buying", "delivering"):
            assert (await act(worker, card_id, "move", to=to)).status_code == 303
        assert f'<option value="{rider_id}"' in (await worker.get(f"/errands/{card_id}")).text
        assert (await act(worker, card_id, "handoff", deliverer_id=str(rider_id))).status_code == 303
        token = {"_csrf_token": csrf(worker)["x-csrftoken"], "role": "receipt"}
        receipt = await worker.post(
            f"/errands/{card_id}/photos", data=token, files={"photo": ("r.jpg", jpeg(), "image/jpeg")}
        )
        assert receipt.status_code in (200, 303)
        page = await rider.get(f"/errands/{card_id}")
        assert page.status_code == 200
        resident = await Resident.objects().get(Resident.id == HOU)
        assert "2-2-1202" in page.text and "大米 10斤" in page.text and "一楼大厅" in page.text
        assert resident.phone not in page.text and "侯秀兰" not in page.text and "侯**" in page.text
        assert "糖尿病" not in page.text and "13912345678" not in page.text  # the note is the workers'
        assert "/residents/" not in page.text and "/errands/photos/" not in page.text
        assert 'href="tel:13800000002"' in page.text  # the grid worker's number, to say it is at the door
        photo = await ErrandPhoto.objects().get(ErrandPhoto.errand == card_id)
        assert (await rider.get(f"/errands/photos/{photo.id}")).status_code == 404
        rider_token = {"_csrf_token": csrf(rider)["x-csrftoken"]}
        at_door = await rider.post(
            f"/errands/{card_id}/photos",
            data={**rider_token, "role": "delivery"},
            files={"photo": ("d.jpg", jpeg(), "image/jpeg")},
            follow_redirects=False,
        )
        assert at_door.status_code == 303
        assert (await act(rider, card_id, "move", to="cancelled", reason="x")).status_code == 400
        assert (await act(rider, card_id, "money", amount="20")).status_code == 400
        assert (await act(rider, card_id, "called")).status_code == 400  # the worker calls the resident
        assert (await act(rider, card_id, "move", to="delivered")).status_code == 303
        card = await Errand.objects().get(Errand.id == card_id)
        assert card.state == "delivered" and card.advanced_cents == 0 and card.delivered_at is not None
        assert (await act(worker, card_id, "move", to="confirmed")).status_code == 303
        assert (await rider.get(f"/errands/{card_id}")).status_code == 404  # done: no longer theirs to read


async def test_the_loser_of_a_race_cannot_carry_the_winner_s_card_with_moves_queued_offline(app):
    async with browser(app) as worker, browser(app) as admin:
        await log_in(worker, HOU_WORKER)
        await log_in(admin, ADMIN_PHONE)
        card_id = card_id_of(await new_card(worker))
        move = {"action": "move", "card_id": str(card_id)}
        assert (await sync(admin, move | {"to": "accepted"}))[0]["status"] == "accepted"
        queued = [move | {"to": to} for to in ("accepted", "buying", "delivering")] + [move | {"to": "new"}]
        answers = await sync(worker, *queued)
    assert [(a["status"], a.get("reason")) for a in answers] == [
        ("rejected", "taken"),
        ("rejected", "not_yours"),
        ("rejected", "not_yours"),
        ("rejected", "not_yours"),
    ]
    card = await Errand.objects().get(Errand.id == card_id)
    assert card.state == "accepted" and card.assignee != (await User.objects().get(User.phone == HOU_WORKER)).id


async def test_a_card_taken_by_a_sick_worker_goes_on_with_whoever_covers_the_grid(app):
    async with browser(app) as sick, browser(app) as admin, browser(app) as cover:
        await log_in(sick, HOU_WORKER)
        await log_in(admin, ADMIN_PHONE)
        card_id = card_id_of(await new_card(sick))
        assert (await act(sick, card_id, "move", to="accepted")).status_code == 303
        other = await User.objects().get(User.phone == OTHER_WORKER)
        grid = (await Errand.select(Errand.grid).where(Errand.id == card_id).first())["grid"]
        handover = await admin.post(
            f"/grids/{grid}/handover", data=form(admin, to_user=str(other.id), confirm="yes"), follow_redirects=False
        )
        assert handover.status_code == 303, handover.text
        try:
            await log_in(cover, OTHER_WORKER)
            assert (await act(cover, card_id, "move", to="buying")).status_code == 303
            assert await state(card_id) == "buying"
        finally:  # the grid goes back to its worker for the other tests
            await admin.post(
                f"/grids/{grid}/handover",
                data=form(admin, to_user=str((await User.objects().get(User.phone == HOU_WORKER)).id), confirm="yes"),
            )


async def test_money_advanced_adds_up_and_absurd_amounts_are_refused(app):
    async with browser(app) as client, browser(app) as admin:
        await log_in(client, OTHER_WORKER)
        await log_in(admin, ADMIN_PHONE)

        async def totals() -> tuple[str, str]:
            page = (await client.get("/errands/money")).text
            return tuple(
                re.search(rf'data-testid="{t}"><strong>¥([\d.]+)<', page).group(1) for t in ("advanced-today", "owed")
            )

        today, owed = (float(x) for x in await totals())
        card_id = card_id_of(await new_card(client, resident=GUO))
        for amount in ("-5", "50000", "十块", "²", "①2"):
            refused = await act(client, card_id, "money", amount=amount)
            assert refused.status_code == 400 and "5000" in refused.text
        assert (await Errand.objects().get(Errand.id == card_id)).advanced_cents == 0
        assert (await act(client, card_id, "money", amount="35.5")).status_code == 303
        page = (await client.get("/errands/money")).text
        assert f"/errands/{card_id}" in page and "¥35.50" in page and "未报销" in page
        assert await totals() == (f"{today + 35.5:.2f}", f"{owed + 35.5:.2f}")
        for to in ("accepted", "delivering", "delivered", "confirmed"):
            assert (await act(client, card_id, "move", to=to)).status_code == 303
        # Reimbursed days later, by the admin, on the closed card: the money stays the worker's, owed no more.
        assert (await act(admin, card_id, "money", amount="35.50", reimbursed="1")).status_code == 303
        card = await Errand.objects().get(Errand.id == card_id)
        assert card.advanced_cents == 3550 and card.reimbursed
        assert await totals() == (f"{today + 35.5:.2f}", f"{owed:.2f}")


async def test_one_odd_amount_in_a_batch_does_not_hold_up_the_rest(client):
    await log_in(client, HOU_WORKER)
    card_id = card_id_of(await new_card(client))
    base = {"card_id": str(card_id)}
    answers = await sync(client, base | {"action": "money", "amount": "³"}, base | {"action": "move", "to": "accepted"})
    assert [(a["status"], a.get("reason")) for a in answers] == [("rejected", "bad_amount"), ("accepted", None)]


def jpeg(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "orange").save(out, "JPEG")
    return out.getvalue()


async def test_a_photo_must_be_an_image_of_sane_size_and_only_the_card_s_people_see_it(app):
    async with browser(app) as worker, browser(app) as other:
        await log_in(worker, HOU_WORKER)
        await log_in(other, OTHER_WORKER)
        card_id = card_id_of(await new_card(worker))
        url = f"/errands/{card_id}/photos"
        token = {"_csrf_token": csrf(worker)["x-csrftoken"], "role": "receipt"}
        text = await worker.post(url, data=token, files={"photo": ("a.jpg", b"not an image", "image/jpeg")})
        assert text.status_code == 400 and "不是照片" in text.text and 'data-testid="photo-error"' in text.text
        huge = await worker.post(url, data=token, files={"photo": ("big.jpg", b"\xff" * (40 * 2**20), "image/jpeg")})
        assert huge.status_code == 413 and "照片太大" in huge.text
        assert await ErrandPhoto.count().where(ErrandPhoto.errand == card_id) == 0
        ok = await worker.post(
            url, data=token, files={"photo": ("r.jpg", jpeg(), "image/jpeg")}, follow_redirects=False
        )
        assert ok.status_code == 303
        photo = await ErrandPhoto.objects().get(ErrandPhoto.errand == card_id)
        shown = await worker.get(f"/errands/photos/{photo.id}")
        assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
        assert (await other.get(f"/errands/photos/{photo.id}")).status_code == 404
        assert (
            await other.post(
                url,
                data={**token, "_csrf_token": csrf(other)["x-csrftoken"]},
                files={"photo": ("r.jpg", jpeg(), "image/jpeg")},
            )
        ).status_code == 404


async def test_a_photo_taken_offline_is_sent_later_once_under_the_id_the_phone_made(app):
    """The outbox sends a photo with the id it made on the phone and asks for JSON; sending it again (its answer lost
    on a weak signal) stores nothing more; the same id for another card, or from another person, is refused."""
    async with browser(app) as worker, browser(app) as other:
        await log_in(worker, HOU_WORKER)
        await log_in(other, OTHER_WORKER)
        card_id = card_id_of(await new_card(worker))
        second_card = card_id_of(await new_card(worker))
        photo_id = uuid.uuid4()
        outbox = {**csrf(worker), "accept": "application/json"}
        form = {"role": "delivery", "photo_id": str(photo_id)}

        async def send(client, card, headers=outbox, picture=None):
            files = {"photo": ("IMG_0001.jpg", picture or jpeg(), "image/jpeg")}
            return await client.post(f"/errands/{card}/photos", data=form, files=files, headers=headers)

        first = await send(worker, card_id)
        assert (first.status_code, first.json()) == (200, {"status": "accepted"})
        again = await send(worker, card_id)
        assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
        assert [p.id for p in await ErrandPhoto.objects().where(ErrandPhoto.errand == card_id)] == [photo_id]
        assert (await send(worker, second_card)).status_code == 404  # the id is the other card's photo
        assert (await send(other, card_id, {**csrf(other), "accept": "application/json"})).status_code == 404
        bad = await send(worker, second_card, picture=b"not an image")
        assert (
            bad.status_code == 400 and bad.json()["reason"] == "not_a_picture" and "不是照片" in bad.json()["message"]
        )
        assert await ErrandPhoto.count().where(ErrandPhoto.errand == second_card) == 0
        events = await ErrandEvent.count().where((ErrandEvent.errand == card_id) & (ErrandEvent.action == "photo"))
        assert events == 1


async def test_a_photo_sent_later_keeps_the_time_it_was_taken(app):
    """On main a photo taken in a stairwell at 10:00 and sent at 13:00 was recorded at 13:00."""
    from server.db import as_datetime

    async with browser(app) as worker:
        await log_in(worker, HOU_WORKER)
        card_id = card_id_of(await new_card(worker))
        outbox = {**csrf(worker), "accept": "application/json"}
        now = datetime.now(UTC)

        async def send(taken_at: str) -> uuid.UUID:
            photo_id = uuid.uuid4()
            data = {"role": "delivery", "photo_id": str(photo_id), "taken_at": taken_at}
            files = {"photo": ("IMG_0002.jpg", jpeg(), "image/jpeg")}
            answer = await worker.post(f"/errands/{card_id}/photos", data=data, files=files, headers=outbox)
            assert answer.status_code == 200, answer.text
            return photo_id

        def at(photo_id: uuid.UUID):
            return ErrandPhoto.select(ErrandPhoto.at).where(ErrandPhoto.id == photo_id).first()

        three_hours_ago = now - timedelta(hours=3)
        kept = await send(three_hours_ago.isoformat())
        assert abs(as_datetime((await at(kept))["at"]) - three_hours_ago) < timedelta(seconds=1)
        event = await ErrandEvent.select(ErrandEvent.device_time).where(ErrandEvent.id == kept).first()
        assert abs(as_datetime(event["device_time"]) - three_hours_ago) < timedelta(seconds=1)
        for odd in ("1970-01-01T00:00:00+00:00", (now + timedelta(days=2)).isoformat(), "yesterday", ""):
            photo = await send(odd)  # a reset clock, a clock ahead, nonsense, nothing: the time it arrived
            assert abs(as_datetime((await at(photo))["at"]) - now) < timedelta(minutes=5), odd


async def someone_in_the_round_of_grid_2():
    """An elderly resident of grid 2 whom no other test calls (a call of the day changes their round)."""
    taken = set(STORY_RESIDENT_IDS.values())
    rows = await ElderProfile.select(ElderProfile.resident, ElderProfile.resident.name.as_alias("name")).where(
        ElderProfile.in_round.eq(True) & (ElderProfile.resident.household.building.grid == GRID_IDS[1])
    )
    return next((row["resident"], row["name"]) for row in rows if row["resident"] not in taken)


async def test_a_check_in_that_needs_something_opens_a_prefilled_card_once(client):
    await log_in(client, HOU_WORKER)
    elder, name = await someone_in_the_round_of_grid_2()
    page = await client.get("/round")
    day = re.search(r'name="day" value="([\d-]+)"', page.text).group(1)
    need = "降压药快吃完了，要硝苯地平"
    call = form(client, call_id=str(uuid.uuid4()), resident_id=str(elder), outcome="needs", day=day, need=need)
    assert (await client.post("/round/calls", data=call)).status_code in (200, 303)
    key = f"checkin:{elder}:{day}"
    assert f"/errands/new?key={key}" in (await client.get("/round")).text
    intake = await client.get(f"/errands/new?key={key}")
    assert intake.status_code == 200 and need in intake.text and name in intake.text
    card_id = uuid.UUID(re.search(r'name="card_id" value="([0-9a-f-]{36})"', intake.text).group(1))
    data = form(
        client,
        card_id=str(card_id),
        resident_id=str(elder),
        household_id="",
        kind="medicine",
        items=need,
        source="checkin",
        source_key=key,
    )
    assert card_id_of(await client.post("/errands", data=data, follow_redirects=False)) == card_id
    card = await Errand.objects().get(Errand.id == card_id)
    assert card.source == "checkin" and card.source_key == key
    again = await client.get(f"/errands/new?key={key}", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == f"/errands/{card_id}"
    forged = await client.get(f"/errands/new?key=checkin:{GUO}:{day}")  # another grid's resident: nothing prefilled
    assert forged.status_code == 200 and "郭德胜" not in forged.text


async def test_a_resident_asks_with_one_tap_and_confirms_what_reached_them(app):
    async with browser(app) as elder, browser(app) as admin:
        await log_in(elder, RESIDENT_PHONE)
        await log_in(admin, ADMIN_PHONE)
        page = await elder.get("/ask")
        assert page.status_code == 200 and 'class="elder"' in page.text
        card_id = re.search(r'name="card_id" value="([0-9a-f-]{36})"', page.text).group(1)
        tap = form(elder, card_id=card_id, kind="groceries", text="")
        assert sent_ok(await elder.post("/ask", data=tap, follow_redirects=False))
        assert sent_ok(await elder.post("/ask", data=tap, follow_redirects=False))  # a double tap
        assert await Errand.count().where(Errand.id == uuid.UUID(card_id)) == 1
        card = await Errand.objects().get(Errand.id == uuid.UUID(card_id))
        assert card.source == "self" and card.resident == STORY_RESIDENT_IDS["郝振华"] and card.state == "new"
        assert (await elder.get("/errands/new")).status_code == 403  # intake is the workers'
        assert (await act(elder, card_id, "move", to="accepted")).status_code == 400
        for to in ("accepted", "delivering", "delivered"):
            assert (await act(admin, card_id, "move", to=to)).status_code == 303
        mine = await elder.get("/ask")
        assert 'data-testid="received"' in mine.text
        assert (await act(elder, card_id, "move", to="confirmed")).status_code == 303
        card = await Errand.objects().get(Errand.id == uuid.UUID(card_id))
        assert card.state == "confirmed" and card.confirmed_how == "resident"


async def test_a_sweep_door_that_needs_help_opens_a_prefilled_card_for_the_household(client):
    sweep_id = await make_sweep(client, "errand from a sweep")  # as grid 2's worker
    assert (await tick(client, sweep_id, "needs_help", help_needed="老人腿疼，想买膏药")).status_code == 303
    key = f"sweep:{sweep_id}:{DOOR}"
    assert f"/errands/new?key={key}" in (await client.get(f"/sweeps/{sweep_id}")).text
    intake = await client.get(f"/errands/new?key={key}")
    assert intake.status_code == 200 and "老人腿疼，想买膏药" in intake.text and "2-1-301" in intake.text
    assert 'value="medicine" checked' in intake.text  # the words say medicine: it starts checked
    card_id = re.search(r'name="card_id" value="([0-9a-f-]{36})"', intake.text).group(1)
    data = form(
        client,
        card_id=card_id,
        resident_id="",
        household_id=str(DOOR),
        kind="medicine",
        items="老人腿疼，想买膏药",
        source="sweep",
        source_key=key,
    )
    assert card_id_of(await client.post("/errands", data=data, follow_redirects=False)) == uuid.UUID(card_id)
    card = await Errand.objects().get(Errand.id == uuid.UUID(card_id))
    assert card.household == DOOR and card.resident is None and card.source_key == key
    page = await client.get(f"/errands/{card_id}")
    assert page.status_code == 200 and "2-1-301" in page.text


async def test_a_recorded_need_of_another_grid_gives_away_no_card(client):
    """Issue 15, item 12: /errands/new?key= answers a worker of another grid as if nothing were there, even once
    the need has its card (before, it sent them to the card's page, id and all)."""
    sweep_id = await make_sweep(client, "another grid's card")  # as grid 2's worker
    assert (await tick(client, sweep_id, "needs_help", help_needed="要买降压药")).status_code == 303
    key = f"sweep:{sweep_id}:{DOOR}"
    intake = await client.get(f"/errands/new?key={key}")
    card_id = re.search(r'name="card_id" value="([0-9a-f-]{36})"', intake.text).group(1)
    data = form(
        client, card_id=card_id, household_id=str(DOOR), kind="medicine", items="降压药", source="sweep", source_key=key
    )
    assert card_id_of(await client.post("/errands", data=data, follow_redirects=False)) == uuid.UUID(card_id)

    async def only_its_own_grid_sees_it(key_tried: str) -> None:
        await log_in(client, OTHER_WORKER)  # grid 5: neither the door nor 侯奶奶 is theirs
        other = await client.get(f"/errands/new?key={key_tried}", follow_redirects=False)
        assert other.status_code == 200 and card_id not in other.text  # the blank form, as for no card at all
        assert 'name="source_key" value=""' in other.text and "要买降压药" not in other.text
        await log_in(client, HOU_WORKER)  # the card's own grid worker still goes to the card
        mine = await client.get(f"/errands/new?key={key_tried}", follow_redirects=False)
        assert mine.status_code == 303 and mine.headers["location"] == f"/errands/{card_id}"

    await only_its_own_grid_sees_it(key)
    # The need of a check-in call alike (a card made from 侯奶奶's call today).
    call_key = f"checkin:{HOU}:2022-11-24"
    await Errand.update({Errand.source_key: call_key}).where(Errand.id == uuid.UUID(card_id))
    await only_its_own_grid_sees_it(call_key)


async def test_a_resident_who_taps_repair_and_writes_nothing_still_asked_and_may_withdraw(client):
    await log_in(client, RESIDENT_PHONE)
    card_id = str(uuid.uuid4())
    tap = form(client, card_id=card_id, kind="repair", text="")
    assert sent_ok(await client.post("/ask", data=tap, follow_redirects=False))
    card = await Errand.objects().get(Errand.id == uuid.UUID(card_id))
    assert card.kind == "repair" and card.state == "new" and card.note == ""
    page = await client.get("/ask")
    assert 'data-testid="withdraw"' in page.text
    too_long = form(client, card_id=str(uuid.uuid4()), kind="groceries", text="\n".join("米" * 2 for _ in range(41)))
    answer = await client.post("/ask", data=too_long)
    assert answer.status_code == 400 and "最多 40 样" in answer.text
    withdraw = form(client, write_id=str(uuid.uuid4()), action="move", to="cancelled", reason="不用了", back="/ask")
    assert (await client.post(f"/errands/{card_id}/actions", data=withdraw, follow_redirects=False)).status_code == 303
    assert await state(uuid.UUID(card_id)) == "cancelled"


async def test_a_household_card_is_pinned_when_someone_there_is_on_the_priority_line(client):
    await log_in(client, HOU_WORKER)
    hou_home = (await Resident.select(Resident.household).where(Resident.id == HOU).first())["household"]
    data = form(client, card_id=str(uuid.uuid4()), resident_id="", household_id=str(hou_home), items="药")
    card_id = card_id_of(await client.post("/errands", data=data, follow_redirects=False))
    row = re.search(rf'<li class="([^"]*)"[^>]*data-card="{card_id}"', (await client.get("/errands")).text)
    assert "pinned" in row.group(1).split()


async def test_a_resident_s_card_link_opens_his_own_page_and_another_s_card_is_not_found(app):
    """A stranger's walk of issue 16: 郝大爷 opening his card's link got a worker's page (16 px, 新, no call button)."""
    async with browser(app) as elder, browser(app) as worker:
        await log_in(elder, RESIDENT_PHONE)
        card_id = str(uuid.uuid4())
        tap = form(elder, card_id=card_id, kind="medicine", text="")
        assert sent_ok(await elder.post("/ask", data=tap, follow_redirects=False))
        opened = await elder.get(f"/errands/{card_id}", follow_redirects=False)
        assert opened.status_code == 303 and opened.headers["location"] == f"/ask#request-{card_id}"
        page = await elder.get("/ask")
        assert f'id="request-{card_id}"' in page.text and 'data-testid="withdraw-keep"' in page.text
        await log_in(worker, "13800000002")
        other = card_id_of(await new_card(worker))  # 侯秀兰's card: not his
        assert (await elder.get(f"/errands/{other}", follow_redirects=False)).status_code == 404
        assert (await elder.get(f"/errands/{uuid.uuid4()}", follow_redirects=False)).status_code == 404


async def test_a_request_from_a_kept_copy_of_the_ask_page_is_a_new_request_not_lost(app):
    """A stranger's walk of issue 16: the phone's copy of /ask (shown when the network stalls, sw.js) carries the id
    drawn for a request already made; a new request sent from it, other words, was taken for that one sent again, and
    dropped without a word. The same tap again (a double tap, a resend) still makes one card."""
    async with browser(app) as elder:
        await log_in(elder, RESIDENT_PHONE)
        page = await elder.get("/ask")
        card_id = re.search(r'name="card_id" value="([0-9a-f-]{36})"', page.text).group(1)
        first = form(elder, card_id=card_id, kind="medicine", text="降压药一盒")
        assert sent_ok(await elder.post("/ask", data=first, follow_redirects=False))
        assert sent_ok(await elder.post("/ask", data=first, follow_redirects=False))  # sent again
        assert await Errand.count().where(Errand.resident == STORY_RESIDENT_IDS["郝振华"]) >= 1
        before = await Errand.count().where(Errand.resident == STORY_RESIDENT_IDS["郝振华"])
        # From the kept copy: the same id, another request.
        later = form(elder, card_id=card_id, kind="groceries", text="白菜一颗，鸡蛋十个")
        assert sent_ok(await elder.post("/ask", data=later, follow_redirects=False))
        assert await Errand.count().where(Errand.resident == STORY_RESIDENT_IDS["郝振华"]) == before + 1
        made = await Errand.objects().where(
            (Errand.resident == STORY_RESIDENT_IDS["郝振华"]) & (Errand.kind == "groceries") & (Errand.id != card_id)
        )
        assert made and any(
            "白菜一颗" in (i["text"])
            for i in await ErrandItem.select(ErrandItem.text).where(ErrandItem.errand.is_in([m.id for m in made]))
        )
        # The same words again with that id (another double tap) make no third card.
        assert sent_ok(await elder.post("/ask", data=later, follow_redirects=False))
        assert await Errand.count().where(Errand.resident == STORY_RESIDENT_IDS["郝振华"]) == before + 1


async def test_a_residents_repair_request_shows_his_own_words_on_his_list(app):
    """A stranger's walk of issue 16: 修水龙头 was stored, and his list read only 🔧 维修 / 已收到."""
    async with browser(app) as elder, browser(app) as worker:
        await log_in(elder, RESIDENT_PHONE)
        page = await elder.get("/ask")
        card_id = re.search(r'name="card_id" value="([0-9a-f-]{36})"', page.text).group(1)
        answer = await elder.post("/ask", data=form(elder, card_id=card_id, kind="repair", text="厨房水龙头漏水"))
        assert sent_ok(answer)
        mine = answer.text.split(f'id="request-{card_id}"', 1)[1].split("</li>", 1)[0]
        assert "厨房水龙头漏水" in mine
        # Nobody else's board carries a resident's words in its list (the card page says them to the workers).
        await log_in(worker, ADMIN_PHONE)
        assert "厨房水龙头漏水" not in (await worker.get("/errands")).text
