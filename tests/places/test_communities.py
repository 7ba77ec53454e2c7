"""One deployment, many communities: nothing crosses from one community to another."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from server.accounts.passwords import hash_password
from server.accounts.tables import User
from server.demo.seed import DEMO_PASSWORD, demo_uuid
from server.places.search_index import index_residents
from server.places.tables import Building, Community, Grid, Household, Resident, Subdistrict, Unit
from tests.conftest import log_in

OTHER_ADMIN = "13512340000"


@pytest.fixture(scope="module")
async def other_community():
    """A second community in the same city district, with one household and its own admin."""
    subdistrict = Subdistrict(district=demo_uuid("district", "万柏林区"), name="兴华街道")
    await subdistrict.save()
    community = Community(subdistrict=subdistrict.id, name="兴华社区")
    await community.save()
    grid = Grid(community=community.id, number=1, name="第一网格")
    await grid.save()
    building = Building(community=community.id, grid=grid.id, number=2, name="2号楼")
    await building.save()
    unit = Unit(building=building.id, number=1, floors=6)
    await unit.save()
    household = Household(
        community=community.id, building=building.id, unit=unit.id, floor=3, room="301", door="2-1-301"
    )
    await household.save()
    now = datetime.now(UTC)
    resident = Resident(
        community=community.id,
        household=household.id,
        name="张国强",
        sex="M",
        birth_date=date(1950, 5, 1),
        created_at=now,
        updated_at=now,
    )
    await resident.save()
    await index_residents([resident.id])  # as every place that adds people does
    await User(
        community=community.id,
        phone=OTHER_ADMIN,
        name="兴华管理员",
        role="admin",
        password_hash=hash_password(DEMO_PASSWORD),
        created_at=now,
    ).save()
    return {"community": community.id, "household": household.id, "building": building.id, "grid": grid.id}


async def test_each_admin_sees_only_their_own_community(client, other_community):
    await log_in(client, OTHER_ADMIN)
    community = (await client.get("/api/v1/community")).json()
    assert community["name"] == "兴华社区" and [g["households"] for g in community["grids"]] == [1]
    hits = (await client.get("/api/v1/residents", params={"q": "张国强"})).json()
    assert [h["household_id"] for h in hits] == [str(other_community["household"])]
    # 铁北社区's 张国强 at the same door number is not theirs.
    assert (await client.get(f"/households/{demo_uuid('household', '2-1-301')}")).status_code == 404
    assert (await client.get(f"/buildings/{demo_uuid('building', '2')}")).status_code == 404


async def test_tiebei_admin_cannot_reach_the_other_community(client, other_community):
    await log_in(client, "13800000000")
    for url in (
        f"/households/{other_community['household']}",
        f"/buildings/{other_community['building']}",
        f"/grids/{other_community['grid']}",
        f"/api/v1/households/{other_community['household']}",
    ):
        assert (await client.get(url)).status_code == 404, url
    hits = (await client.get("/api/v1/residents", params={"q": "张国强"})).json()
    assert str(other_community["household"]) not in [h["household_id"] for h in hits]
