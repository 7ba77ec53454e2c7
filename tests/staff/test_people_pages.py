"""/people, 50 people a page (issue 18, decision 0038): page 2 holds the next people in the same order, nobody twice,
and the grids free for a new grid worker are those of the whole community, not of the page."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest

from server.accounts.tables import User
from tests.conftest import browser, log_in

ADMIN = "13800000000"


@pytest.fixture
async def many_admins():
    """Fifty more (deactivated) admins of the demo community: its staff is then more than a page."""
    community = (await User.select(User.community).where(User.phone == ADMIN).first())["community"]
    ids = [uuid.uuid4() for _ in range(50)]
    await User.insert(
        *[
            User(
                id=ids[n],
                community=community,
                phone=f"1350000{n:04d}",
                name=f"旧管理员{n:02d}",
                role="admin",
                password_hash="x",
                is_active=False,
                created_at=datetime.now(UTC),
            )
            for n in range(50)
        ]
    )
    yield ids
    await User.delete().where(User.id.is_in(ids))


def people_of(html: str) -> list[str]:
    """Each person's log-in number, in the page's order (names may repeat: numbers do not)."""
    return re.findall(r'data-testid="person">.*?· (\d{11})</span>', html, re.S)


async def test_the_staff_is_paged_in_one_order(app, many_admins) -> None:
    async with browser(app) as admin:
        await log_in(admin, ADMIN)
        first, second = (await admin.get("/people")).text, (await admin.get("/people", params={"page": 2})).text
        total = await User.count().where(
            (User.community == (await User.select(User.community).where(User.phone == ADMIN).first())["community"])
            & User.role.is_in(["admin", "grid_worker"])
            & User.is_guest.eq(False)
        )
        assert len(people_of(first)) == 50 and len(people_of(second)) == total - 50
        assert not set(people_of(first)) & set(people_of(second))
        assert "13800000001" in people_of(first)  # 郭婷: active people first
        assert 'href="/people?page=2"' in first and 'href="/people?page=1"' in second
        # The form's free grids are the community's: none is free in the demo, on either page.
        assert first.count('<option value="') == second.count('<option value="')
        assert (await admin.get("/people", params={"page": 0})).status_code == 400
