"""The round, 50 people a page (issue 18, decision 0038): read in SQL for the grids in scope, in need order across
pages (page 2 holds the next people, none twice), the count at the top counting everyone, a worker never shown
another grid's person on any page. Page 2 with htmx is its rows and the pager; without it, a page of its own."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest

from server.accounts.tables import GridCover, User
from server.errands.tables import Errand
from server.places.tables import Grid, Resident
from server.register.round import PAGE_SIZE
from server.register.tables import ElderProfile
from tests.conftest import browser, log_in
from tests.register.test_round import quiet_round  # noqa: F401 (a fixture)
from tests.register.test_routes import call

ADMIN = "13800000000"
WORKER_6 = "13800000006"  # 紫锦木, grid 6 (41 people on the round): with grid 1 covered, 72
HX = {"HX-Request": "true"}
DAY = r'name="day" value="([\d-]+)"'


def rows_of(html: str) -> list[str]:
    return re.findall(r'<li class="round-row[^"]*"\s+id="c-([0-9a-f-]+)"', html)


def left_of(html: str) -> int:
    return int(re.search(r"<span data-round-left>(\d+)</span>", html).group(1))


async def _round_of(grids: list[uuid.UUID] | None) -> set[str]:
    """Who is on the round of these grids (None: the community), read here as a stranger would."""
    rows = await ElderProfile.select(
        ElderProfile.resident,
        ElderProfile.resident.household.building.grid.as_alias("grid"),
        ElderProfile.resident.status.as_alias("status"),
    ).where(ElderProfile.in_round.eq(True) & (ElderProfile.community == (await _community())))
    return {str(r["resident"]) for r in rows if r["status"] == "living" and (grids is None or r["grid"] in grids)}


async def _community() -> uuid.UUID:
    return (await User.select(User.community).where(User.phone == ADMIN).first())["community"]


async def _pages(client, pages: int) -> list[str]:
    html = [(await client.get("/round", params={"page": n})).text for n in range(1, pages + 1)]
    return html


async def test_the_admins_round_is_paged_in_need_order_counting_everyone(app) -> None:
    everyone = await _round_of(None)
    assert len(everyone) > 2 * PAGE_SIZE  # the demo's 141: three pages
    async with browser(app) as admin:
        await log_in(admin, ADMIN)
        pages = await _pages(admin, 3)
        shown = [rows_of(html) for html in pages]
        assert [len(rows) for rows in shown] == [PAGE_SIZE, PAGE_SIZE, len(everyone) - 2 * PAGE_SIZE]
        together = [row for rows in shown for row in rows]
        assert len(together) == len(set(together)) and set(together) == everyone  # each once, nobody missing
        assert len({left_of(html) for html in pages}) == 1  # the count at the top counts everyone, on every page
        place = re.search(r'data-testid="round-place">([^<]*)<', pages[1]).group(1)
        assert "51" in place and "100" in place and str(len(everyone)) in place
        assert 'href="/round?page=2"' in pages[0] and 'href="/round?page=1"' in pages[1]
        assert 'data-testid="round-next"' not in pages[2]
        assert len(pages[0].encode()) < 300_000
        # With htmx, page 2 is its rows (added below those shown) and the pager, in the same order.
        more = await admin.get("/round", params={"page": 2}, headers=HX)
        assert more.status_code == 200 and "<html" not in more.text
        assert rows_of(more.text) == shown[1] and 'hx-swap-oob="beforeend:[data-testid=round]"' in more.text
        assert 'href="/round?page=3"' in more.text and 'data-testid="round-previous"' not in more.text
        # A page past the last is empty, not an error; page 0 is refused.
        past = (await admin.get("/round", params={"page": 9})).text
        assert rows_of(past) == [] and 'class="card empty"' not in past and left_of(past) == left_of(pages[0])
        assert (await admin.get("/round", params={"page": 0})).status_code == 400


@pytest.fixture
async def worker_covering_grid_1():
    """紫锦木 covers grid 1 for a colleague: her round is grids 6 and 1, more than one page."""
    worker = await User.objects().get(User.phone == WORKER_6)
    community = await _community()
    grid_1 = (await Grid.select(Grid.id).where((Grid.community == community) & (Grid.number == 1)).first())["id"]
    cover = uuid.uuid4()
    await GridCover.insert(GridCover(id=cover, grid=grid_1, user=worker.id, since=datetime.now(UTC), by=None))
    yield [worker.grid, grid_1]
    await GridCover.delete().where(GridCover.id == cover)


async def test_a_workers_pages_hold_her_grids_people_only_each_once(app, worker_covering_grid_1) -> None:
    hers = await _round_of(worker_covering_grid_1)
    assert PAGE_SIZE < len(hers) <= 2 * PAGE_SIZE
    async with browser(app) as worker:
        await log_in(worker, WORKER_6)
        pages = await _pages(worker, 3)
        shown = [rows_of(html) for html in pages]
        together = [row for rows in shown for row in rows]
        assert len(shown[0]) == PAGE_SIZE and shown[2] == []
        assert len(together) == len(set(together)) and set(together) == hers  # no other grid's person, on any page
        assert {left_of(html) for html in pages} == {left_of(pages[0])} and left_of(pages[0]) <= len(hers)
        # A paged round does not follow who is on it between reloads (decision 0038): its refresh sends no list.
        assert 'data-round-members=""' in pages[0]
        # Another grid's person asked for by id is not there either.
        others = await Resident.select(Resident.id).where(
            Resident.id.is_in([uuid.UUID(r) for r in await _round_of(None) - hers])
        )
        asked = await worker.get("/round", params={"rows": [str(r["id"]) for r in others[:5]]}, headers=HX)
        assert rows_of(asked.text) == []


def _now_count(html: str, testid: str) -> int:
    found = re.search(rf'data-testid="{testid}">\s*<span class="row-title"><span class="count[^"]*">(\d+)<', html)
    return int(found.group(1)) if found else 0


async def test_the_home_counts_the_round_as_the_round_does(app, quiet_round) -> None:  # noqa: F811
    """The home's counts are read in SQL and from today's calls only (issue 18): the same as the round's own."""
    ok, unwell, needs, missed = quiet_round[:4]
    async with browser(app) as admin:
        await log_in(admin, ADMIN)
        before = _now_count((await admin.get("/now")).text, "now-to-call")
        assert before == left_of((await admin.get("/round")).text)
        for person, outcome, extra in [
            (ok, "ok", {}),
            (unwell, "unwell", {}),
            (needs, "needs", {"need": "买药"}),
            (needs, "ok", {}),  # a 平安 after the need: reached, the need still waits for its card
            (missed, "no_answer", {}),
        ]:
            assert (await call(admin, person, outcome, **extra)).status_code == 303
        now = (await admin.get("/now")).text
        page = (await admin.get("/round")).text
        assert _now_count(now, "now-to-call") == left_of(page) == before - 3
        # A need waits for its card; another test may have made that card today already.
        carded = await Errand.exists().where(Errand.source_key == f"checkin:{needs}:{re.search(DAY, page).group(1)}")
        assert _now_count(now, "now-unwell") == 1 and _now_count(now, "now-needs") == (0 if carded else 1)
        home = (await admin.get("/")).text
        assert len(home.encode()) < 300_000 and 'data-testid="more-grids"' not in home  # six grids: none folded
