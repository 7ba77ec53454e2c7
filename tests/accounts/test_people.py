"""The admin's page of grid workers and admins: a new grid worker the same day, a new password, someone leaving."""

from __future__ import annotations

import re

from server.accounts import provisioning
from server.audit.tables import AuditEntry
from server.demo.seed import demo_uuid
from server.places.loading import load_places
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
