"""The admin's home lists 30 grids and folds the others (issue 18, decision 0038): a big community's home stays
short, and every grid is still one tap away."""

from __future__ import annotations

import re
import uuid

import pytest

from server.accounts.tables import User
from server.places.tables import Grid
from tests.conftest import browser, log_in

ADMIN = "13800000000"


@pytest.fixture
async def thirty_more_grids():
    community = (await User.select(User.community).where(User.phone == ADMIN).first())["community"]
    ids = [uuid.uuid4() for _ in range(30)]
    await Grid.insert(
        *[Grid(id=ids[n], community=community, number=100 + n, name=f"第{100 + n}网格") for n in range(30)]
    )
    yield ids
    await Grid.delete().where(Grid.id.is_in(ids))


async def test_grids_past_thirty_are_folded(app, thirty_more_grids) -> None:
    async with browser(app) as admin:
        await log_in(admin, ADMIN)
        home = (await admin.get("/")).text
        shown, folded = home.split('data-testid="more-grids"')
        assert len(re.findall(r'data-testid="grid-row"', shown)) == 30
        assert len(re.findall(r'data-testid="grid-row"', folded)) == 6  # 36 grids: the last six folded
        assert "第129网格" in folded and "第一网格" in shown
