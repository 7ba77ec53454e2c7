"""The register's pages and JSON API, through HTTP, as each role."""

from __future__ import annotations

import re

from server.audit.tables import AuditEntry
from server.demo.seed import GRID_IDS, STORY_RESIDENT_IDS, demo_uuid
from server.places.tables import Resident
from tests.conftest import log_in

OWN = "13800000002"  # 李雪敏, 第二网格: building 2, door 2-1-301
OTHER = "13800000001"  # 郭婷, 第一网格
HOUSEHOLD = demo_uuid("household", "2-1-301")
BUILDING = demo_uuid("building", "2")


async def test_grid_worker_home_shows_their_grid_at_a_glance(client):
    await log_in(client, OWN)
    page = await client.get("/")
    assert page.status_code == 200
    assert "我的网格：第二网格" in page.text
    assert 'data-testid="stat-elderly-alone"' in page.text
    assert "2号楼" in page.text and "1号楼" not in page.text  # building 1 is in another grid


async def test_admin_home_lists_every_grid(client):
    await log_in(client, "13800000000")
    page = await client.get("/")
    assert page.text.count('data-testid="grid-row"') == 6
    assert all(name in page.text for name in ("郭婷", "李雪敏", "陈瑞云", "风桦", "美兰菊", "紫锦木"))


async def test_volunteer_home_shows_no_register(client):
    await log_in(client, "13900000001")
    page = await client.get("/")
    assert page.status_code == 200 and 'data-testid="volunteer-tasks"' in page.text
    assert "stat-households" not in page.text and "grid-row" not in page.text


async def test_drill_down_from_building_to_household(client):
    await log_in(client, OWN)
    building = await client.get(f"/buildings/{BUILDING}")
    assert building.status_code == 200 and f"/buildings/{BUILDING}/units/1/floors/3" in building.text
    floor = await client.get(f"/buildings/{BUILDING}/units/1/floors/3")
    assert floor.status_code == 200 and f"/households/{HOUSEHOLD}" in floor.text and "张国强" in floor.text
    household = await client.get(f"/households/{HOUSEHOLD}")
    assert household.status_code == 200
    assert "张国强" in household.text and "李秀英" in household.text
    # numbers masked, whole on a tap that is logged (phone.view), as everywhere on the register
    assert 'href="tel:' not in household.text and re.search(r"\d{3}\*{4}\d{4}", household.text)
    assert 'data-testid="show-phone"' in household.text


async def test_household_view_is_audited(client):
    await log_in(client, OWN)
    before = await AuditEntry.count().where(AuditEntry.target_id == str(HOUSEHOLD))
    await client.get(f"/households/{HOUSEHOLD}")
    await client.get(f"/api/v1/households/{HOUSEHOLD}")
    entries = (
        await AuditEntry.select(AuditEntry.action, AuditEntry.user.phone.as_alias("phone"))
        .where(AuditEntry.target_id == str(HOUSEHOLD))
        .order_by(AuditEntry.at)
    )
    assert len(entries) == before + 2
    assert entries[-1] == {"action": "household.view", "phone": OWN}


async def test_another_grids_household_is_not_found_and_not_audited(client):
    await log_in(client, OTHER)
    before = await AuditEntry.count()
    page = await client.get(f"/households/{HOUSEHOLD}")
    assert page.status_code == 404 and "没有找到，或者不在您的网格内" in page.text
    api = await client.get(f"/api/v1/households/{HOUSEHOLD}")
    assert api.status_code == 404 and api.json()["detail"]
    assert (await client.get(f"/buildings/{BUILDING}")).status_code == 404
    assert (await client.get(f"/grids/{GRID_IDS[1]}")).status_code == 404
    assert await AuditEntry.count() == before


async def test_unknown_and_malformed_ids(client):
    await log_in(client, OWN)
    assert (await client.get(f"/households/{demo_uuid('household', 'nowhere')}")).status_code == 404
    assert (await client.get("/households/not-a-uuid")).status_code == 404
    assert (await client.get(f"/buildings/{BUILDING}/units/1/floors/99")).status_code == 404  # no 99th floor


async def test_volunteer_is_refused_the_register_in_words(client):
    await log_in(client, "13900000001")
    page = await client.get(f"/households/{HOUSEHOLD}")
    assert page.status_code == 403 and "您的账号不能打开这个页面" in page.text
    assert "张国强" not in page.text
    api = await client.get("/api/v1/residents?q=张国强")
    assert api.status_code == 403


async def test_search_answers_a_fragment_to_htmx_and_a_page_otherwise(client):
    await log_in(client, OWN)
    full = await client.get("/search?q=张国强")
    assert "<html" in full.text and "2-1-301" in full.text
    assert "HX-Request" in [v.strip() for v in full.headers["vary"].split(",")]  # and Accept-Encoding (gzip)
    fragment = await client.get("/search?q=张国强", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "2-1-301" in fragment.text
    restore = await client.get("/search?q=张国强", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text
    zhang = await Resident.select(Resident.phone).where(Resident.id == STORY_RESIDENT_IDS["张国强"]).first()
    assert zhang["phone"] not in full.text and zhang["phone"][:3] + "****" + zhang["phone"][-4:] in full.text


async def test_search_with_no_hit_says_so(client):
    await log_in(client, OWN)
    page = await client.get("/search?q=不存在的人", headers={"HX-Request": "true"})
    assert 'data-testid="no-results"' in page.text


async def test_overlong_search_is_refused(client):
    await log_in(client, OWN)
    answer = await client.get("/search?q=" + "张" * 101)
    assert answer.status_code == 400 and "输入有误" in answer.text


async def test_api_returns_the_same_data_as_json(client):
    await log_in(client, OWN)
    me = (await client.get("/api/v1/me")).json()
    assert me["role"] == "grid_worker" and me["grid_id"] == str(GRID_IDS[1])
    community = (await client.get("/api/v1/community")).json()
    assert [g["name"] for g in community["grids"]] == ["第二网格"]
    buildings = (await client.get(f"/api/v1/grids/{GRID_IDS[1]}/buildings")).json()
    assert 2 in [b["number"] for b in buildings]
    building = (await client.get(f"/api/v1/buildings/{BUILDING}")).json()
    assert building["building"]["residents"] == 332
    floor = (await client.get(f"/api/v1/buildings/{BUILDING}/units/1/floors/3")).json()
    assert "2-1-301" in [h["door"] for h in floor["households"]]
    household = (await client.get(f"/api/v1/households/{HOUSEHOLD}")).json()
    assert {"张国强", "李秀英"} <= {r["name"] for r in household["residents"]}
    hits = (await client.get("/api/v1/residents", params={"q": "2号楼1单元301"})).json()
    assert "张国强" in [h["name"] for h in hits]
    assert all("phone" not in h for h in hits)  # lists carry only masked phones


async def test_openapi_schema_describes_the_api(client):
    await log_in(client, OWN)
    schema = (await client.get("/api/v1/schema/openapi.json")).json()
    assert "/api/v1/households/{household_id}" in schema["paths"]
    assert "HouseholdDetail" in str(schema["components"]["schemas"])


async def test_out_of_range_floor_numbers_are_refused_cleanly(client):
    await log_in(client, OWN)
    answer = await client.get(f"/buildings/{BUILDING}/units/99999999999999999999/floors/1")
    assert answer.status_code in (400, 404) and "<html" in answer.text
    assert (await client.get(f"/api/v1/buildings/{BUILDING}/units/1/floors/0")).status_code == 400
