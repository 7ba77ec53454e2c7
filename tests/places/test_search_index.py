"""Resident search through its trigram index (issue 18, decision 0038): a search of three characters or more takes
its candidates from the index (FTS5 on SQLite, pg_trgm on PostgreSQL), then the search's own conditions decide: the
same people as the plain LIKE over the community, found by part of a name, by door, by the last digits of a phone,
and only inside the scope."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from server.access.scope import Scope
from server.demo.seed import COMMUNITY_ID, GRID_IDS, STORY_RESIDENT_IDS, demo_uuid
from server.places import search_index, services
from server.places.tables import Resident

TODAY = date(2026, 11, 28)
ADMIN = Scope(community_id=COMMUNITY_ID, grid_ids=None)
GRID2 = Scope(community_id=COMMUNITY_ID, grid_ids=(GRID_IDS[1],))  # building 2
GRID1 = Scope(community_id=COMMUNITY_ID, grid_ids=(GRID_IDS[0],))
ZHANG = STORY_RESIDENT_IDS["张国强"]  # 2-1-301, grid 2


@pytest.fixture
async def long_name():
    """Someone whose four-character name holds a three-character part to search, added as the app adds people."""
    now = datetime.now(UTC)
    person = Resident(
        id=uuid.uuid4(),
        community=COMMUNITY_ID,
        household=demo_uuid("household", "2-1-301"),
        name="欧阳秀梅",
        sex="F",
        phone="13512340987",
        relation="other",
        status="living",
        created_at=now,
        updated_at=now,
    )
    await person.save()
    await search_index.index_residents([person.id])
    yield person
    await Resident.delete().where(Resident.id == person.id)


async def test_the_key_holds_name_phone_and_door():
    row = await Resident.select(Resident.search_key, Resident.name, Resident.phone).where(Resident.id == ZHANG).first()
    assert row["search_key"] == f"{row['name']} {row['phone'] or ''} 2-1-301"


def test_only_three_characters_or_more_ask_the_index():
    assert search_index.candidates(["张"]) is None and search_index.candidates(["秀兰"]) is None
    assert search_index.candidates(["张国强"]) is not None
    assert search_index.candidates(["2-1-301", "2号楼1单元301"]) is not None
    assert search_index.candidates(["12345678", "2"]) is None  # one term too short: no index, the whole community


async def test_part_of_a_name_door_and_phone_digits_are_found_through_the_index(long_name):
    assert "欧阳秀梅" in [h.name for h in await services.search_residents(GRID2, "阳秀梅", TODAY)]
    assert "欧阳秀梅" in [h.name for h in await services.search_residents(GRID2, "欧阳秀", TODAY)]
    assert "欧阳秀梅" in [h.name for h in await services.search_residents(GRID2, "0987", TODAY)]  # last digits
    assert [h.name for h in await services.search_residents(GRID2, "135 1234 0987", TODAY)] == ["欧阳秀梅"]
    at_door = {h.name for h in await services.search_residents(GRID2, "2-1-301", TODAY)}
    assert {"张国强", "李秀英", "欧阳秀梅"} <= at_door
    # Scoped: another grid's worker finds nobody of building 2, however it is asked.
    for query in ("阳秀梅", "0987", "2-1-301", "张国强"):
        assert await services.search_residents(GRID1, query, TODAY) == [], query


async def test_the_index_finds_what_the_plain_search_finds():
    """For every kind of query, the people found with the index are those found by the LIKE alone."""
    for query in ("张国强", "李秀英", "2-1-301", "2号楼1单元", "301", "1202", "侯秀兰"):
        with_index = [h.resident_id for h in await services.search_residents(ADMIN, query, TODAY)]
        original = search_index.candidates
        search_index.candidates = lambda terms: None  # noqa: ARG005 (the search as it was)
        try:
            plain = [h.resident_id for h in await services.search_residents(ADMIN, query, TODAY)]
        finally:
            search_index.candidates = original
        assert with_index == plain and with_index, query
