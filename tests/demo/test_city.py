"""The synthetic city (issue 18): `demo-city --communities N` makes N communities of the demo's size, each with its
own ids, deterministically; running it again changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import anyio

from server.accounts.tables import User
from server.demo.city import admin_phone, city_uuid, community_rows, homes_of, seed_city
from server.demo.seed import TOTAL_HOUSEHOLDS
from server.places.tables import Community, Household, Resident, Subdistrict
from server.register.tables import ElderProfile
from tests.conftest import browser, log_in

CITY = [city_uuid(k, "community") for k in (1, 2)]


async def _counts() -> dict[str, int]:
    return {
        "households": await Household.count().where(Household.community.is_in(CITY)),
        "distinct": len({row["id"] for row in await Household.select(Household.id)}),
        "all": await Household.count(),
        "residents": await Resident.count().where(Resident.community.is_in(CITY)),
        "profiles": await ElderProfile.count().where(ElderProfile.community.is_in(CITY)),
        "accounts": await User.count().where(User.community.is_in(CITY)),
    }


async def test_two_communities_hold_twice_the_demos_doors_and_a_second_run_changes_nothing(app):
    before = await Household.count()
    inserted = await seed_city(2)
    assert inserted["household"] == 2 * TOTAL_HOUSEHOLDS
    counts = await _counts()
    assert counts["households"] == 2 * TOTAL_HOUSEHOLDS and counts["all"] == before + 2 * TOTAL_HOUSEHOLDS
    assert counts["distinct"] == counts["all"]  # no id shared with the demo, the other community or any test's
    assert counts["residents"] == inserted["resident"] > 5 * TOTAL_HOUSEHOLDS  # ~3 people a door, as in the demo
    assert counts["profiles"] > 0 and counts["accounts"] == 2 * 7  # an admin and six grid workers each
    communities = await Community.select(Community.name, Community.subdistrict).where(Community.id.is_in(CITY))
    assert len({c["subdistrict"] for c in communities}) == 2 and len({c["name"] for c in communities}) == 2
    assert await Subdistrict.count().where(Subdistrict.id.is_in([c["subdistrict"] for c in communities])) == 2

    again = await seed_city(2)
    assert not any(again.values()), again
    assert await _counts() == counts

    # The command line, as a person runs it: says so, and adds nothing either.
    done = await anyio.run_process(
        [sys.executable, "-m", "server", "demo-city", "--communities", "2"],
        env=os.environ | {"GRIDCARE_DEMO": "1"},
        check=False,
    )
    assert done.returncode == 0 and "nothing new" in done.stdout.decode(), done.stderr.decode()
    assert await _counts() == counts

    # Its admin and grid workers work there.
    async with browser(app) as admin:
        assert (await log_in(admin, admin_phone(2))).status_code == 303
        home = await admin.get("/")
        assert home.status_code == 200 and "城02社区" in home.text


async def test_each_community_is_the_same_on_every_run_and_unlike_the_others():
    first, again = community_rows(1, "hash"), community_rows(1, "hash")
    for table, rows in first.items():
        assert [row.to_dict() for row in rows] == [row.to_dict() for row in again[table]], table
    people = [[p.name for p in home.people] for home in homes_of(1)]
    assert people == [[p.name for p in home.people] for home in homes_of(1)]
    assert people != [[p.name for p in home.people] for home in homes_of(2)]
    assert len(homes_of(3)) == TOTAL_HOUSEHOLDS


def test_the_command_refuses_outside_demo_mode_and_a_count_out_of_range():
    for env, argv, said in (
        ({"GRIDCARE_DEMO": "0"}, ["--communities", "2"], "demo mode"),
        ({"GRIDCARE_DEMO": "1"}, ["--communities", "0"], "1 to 9999"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "server", "demo-city", *argv],
            env=os.environ | env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode != 0 and said in done.stderr, done.stderr
