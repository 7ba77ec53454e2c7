"""The admin's page of grid workers and admins: a new grid worker the same day, a new password, someone leaving."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from server.accounts.tables import GridCover
from server.audit.tables import AuditEntry
from server.demo.seed import demo_uuid
from server.places.loading import load_places
from server.places.tables import Grid
from server.staff import provisioning
from tests.conftest import browser, csrf, log_in
from tests.places.test_loading import LIST, PLACE


def password_on(page: str) -> str:
    return re.search(r'data-testid="password">([a-z0-9]+)<', page).group(1)


async def test_an_admin_adds_a_grid_worker_renews_a_password_and_deactivates_them(app):
    place = PLACE | {"subdistrict": "人员街道", "district": "人员区"}  # its own: other tests count what they made
    loaded = await load_places(LIST.encode(), "list.csv", community="人员社区", **place)
    admin_account = await provisioning.add_user(loaded.community_id, "admin", "13844440001", "王主任")
    async with browser(app) as admin, browser(app) as worker:
        assert (await log_in(admin, "13844440001", admin_account.password)).status_code == 303
        page = (await admin.get("/people")).text
        assert page.count('data-testid="person"') == 1 and "第一网格" in page and "第二网格" in page

        form = {"_csrf_token": csrf(admin)["x-csrftoken"], "name": "刘网格", "phone": "138 4444 0002", "grid": "2"}
        made = await admin.post("/people", data=form | {"role": "grid_worker"})
        assert made.status_code == 200 and "请当面或打电话告诉他：用 13844440002 和这个密码登录" in made.text
        first = password_on(made.text)
        assert await AuditEntry.count().where(
            (AuditEntry.action == "account.made") & (AuditEntry.community == loaded.community_id)
        )
        assert (await log_in(worker, "13844440002", first)).status_code == 303
        assert "第二网格" in (await worker.get("/")).text

        again = await admin.post("/people", data=form | {"role": "grid_worker"})
        assert again.status_code == 400 and "这个手机号已经有账号了" in again.text and 'value="刘网格"' in again.text
        taken = await admin.post("/people", data=form | {"role": "grid_worker", "phone": "13844440003"})
        assert taken.status_code == 400 and "这个网格已经有网格员了" in taken.text

        worker_id = (await provisioning.staff(loaded.community_id))[0][1]["id"]  # admins first, then grid workers
        renewed = await admin.post(f"/people/{worker_id}/password", data={"_csrf_token": form["_csrf_token"]})
        second = password_on(renewed.text)
        assert second != first and (await worker.get("/api/v1/me")).status_code == 401  # logged out
        assert (await log_in(worker, "13844440002", first)).status_code != 303
        assert (await log_in(worker, "13844440002", second)).status_code == 303

        gone = await admin.post(f"/people/{worker_id}/deactivate", data={"_csrf_token": form["_csrf_token"]})
        assert "刘网格 已不能登录" in gone.text and (await worker.get("/api/v1/me")).status_code == 401
        assert '<option value="2"' in gone.text  # grid 2 is free for someone new

        me = admin_account.user_id
        assert (
            await admin.post(f"/people/{me}/deactivate", data={"_csrf_token": form["_csrf_token"]})
        ).status_code == 403
        elsewhere = demo_uuid("user", "13800000002")  # the demo community's grid worker
        refused = await admin.post(f"/people/{elsewhere}/deactivate", data={"_csrf_token": form["_csrf_token"]})
        assert refused.status_code == 404


async def test_the_admin_reaches_no_resident_or_volunteer_account(client):
    await log_in(client, "13800000000")  # the demo community's admin
    token = {"_csrf_token": csrf(client)["x-csrftoken"]}
    for phone in ("13700000001", "13900000001"):  # 郝大爷's own account, a volunteer's
        for action in ("password", "deactivate"):
            answer = await client.post(f"/people/{demo_uuid('user', phone)}/{action}", data=token)
            assert answer.status_code == 404, (phone, action)
    assert (await client.post(f"/people/{demo_uuid('user', '13800000000')}/password", data=token)).status_code == 403


async def test_a_phone_comes_back_only_to_the_same_person_and_the_last_admin_stays():
    place = PLACE | {"subdistrict": "回来街道", "district": "回来区"}
    loaded = await load_places(LIST.encode(), "list.csv", community="回来社区", **place)
    community = loaded.community_id
    admin = await provisioning.add_user(community, "admin", "13855550001", "唯一的主任")
    with pytest.raises(provisioning.ProvisioningError, match="last admin"):
        await provisioning.deactivate_user("13855550001", community)
    worker = await provisioning.add_user(community, "grid_worker", "13855550002", "刘网格", grid=1)
    other = await provisioning.add_user(community, "grid_worker", "13855550003", "陈网格", grid=2)
    cover_of_grid_1 = await Grid.select(Grid.id).where((Grid.community == community) & (Grid.number == 1)).first()
    await GridCover(grid=cover_of_grid_1["id"], user=other.user_id, since=datetime.now(UTC), by=admin.user_id).save()

    assert await provisioning.deactivate_user("13855550003", community) == "陈网格"
    assert await GridCover.count().where(GridCover.user == other.user_id) == 0  # grid 1 is 刘网格's again
    with pytest.raises(provisioning.ProvisioningError, match="already has an account"):
        await provisioning.add_user(community, "admin", "13855550003", "另一个人")  # not their history to take
    back = await provisioning.add_user(community, "grid_worker", "13855550003", "陈网格", grid=2)
    assert back.user_id == other.user_id and worker.user_id != other.user_id
    with pytest.raises(provisioning.ProvisioningError, match="11-digit"):
        await provisioning.add_user(community, "admin", "1٣855550009", "异体数字")  # Arabic-Indic digits


async def test_a_number_a_guest_joined_with_is_no_obstacle_to_a_real_account(app):
    """Someone joined a sweep with a number (theirs or not, here or in another community): the admin still makes
    the account for that number, and the guest stays a guest apart, with what they recorded (decision 0019)."""
    from server.accounts.tables import User
    from tests.sweeps.test_routes import make_sweep
    from tests.sweeps.test_team import join, make_code

    place = PLACE | {"subdistrict": "号码街道", "district": "号码区"}
    loaded = await load_places(LIST.encode(), "list.csv", community="号码社区", **place)
    admin_account = await provisioning.add_user(loaded.community_id, "admin", "13866660001", "钱主任")
    async with browser(app) as worker, browser(app) as squatter:
        code = await make_code(worker, await make_sweep(worker, "占号"))  # in the demo community
        assert (await join(squatter, code, name="占号的人", phone="13866660002")).status_code == 303
        squatter_id = (await squatter.get("/api/v1/me")).json()["id"]
    async with browser(app) as admin, browser(app) as real:
        await log_in(admin, "13866660001", admin_account.password)
        form = {"_csrf_token": csrf(admin)["x-csrftoken"], "name": "孙网格", "phone": "13866660002", "grid": "1"}
        made = await admin.post("/people", data=form | {"role": "grid_worker"})
        assert made.status_code == 200 and "13866660002" in made.text, made.text
        assert (await log_in(real, "13866660002", password_on(made.text))).status_code == 303
        me = (await real.get("/api/v1/me")).json()
        assert me["id"] != squatter_id and me["role"] == "grid_worker" and me["name"] == "孙网格"
    guest = await User.objects().get(User.id == squatter_id)
    assert guest.is_guest and guest.guest_phone == "13866660002" and guest.name == "占号的人"


async def test_a_new_password_is_hashed_off_the_event_loop_and_says_busy_when_checks_are_all_taken(monkeypatch):
    """Issue 15 (a Low of a stranger's walk): argon2 ran on the event loop when an admin added someone or renewed a
    password, holding every other request for the hash."""
    import asyncio
    import threading

    from server.accounts import passwords

    loops: list[bool] = []
    real = passwords.hash_password

    def recorded(password: str) -> str:
        loops.append(threading.current_thread() is threading.main_thread())
        return real(password)

    monkeypatch.setattr(passwords, "hash_password", recorded)
    place = PLACE | {"subdistrict": "哈希街道", "district": "哈希区"}
    loaded = await load_places(LIST.encode(), "list.csv", community="哈希社区", **place)
    await provisioning.add_user(loaded.community_id, "admin", "13844449001", "哈主任")
    await provisioning.reset_password("13844449001", loaded.community_id)
    assert loops == [False, False]  # both hashed in a worker thread

    # Every check taken for longer than a check may wait: told busy, and nothing was written.
    monkeypatch.setattr(passwords, "CHECKS", 1)
    monkeypatch.setattr(passwords, "_limiter", None)
    monkeypatch.setattr(passwords, "WAIT_SECONDS", 0.05)
    await passwords.limiter().acquire()
    with pytest.raises(provisioning.ProvisioningError) as refused:
        await provisioning.add_user(loaded.community_id, "admin", "13844449002", "哈二")
    assert refused.value.code == "busy"
    from server.accounts.tables import User

    assert not await User.exists().where(User.phone == "13844449002")
    await asyncio.sleep(0)
