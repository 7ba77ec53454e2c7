"""Two people on one round (a grid worker and the admin, or whoever covers her grid): what one records shows on the
other's page without a reload (issue 16, defect 3). The page asks /round with `since` (htmx) and gets only the rows
whose calls arrived since, small however long the round."""

from __future__ import annotations

import re

from piccolo.query.functions.aggregate import Max

from server.register.tables import CheckIn, ElderProfile
from tests.conftest import browser, log_in
from tests.register.test_round import quiet_round  # noqa: F401 (a fixture)
from tests.register.test_routes import GUO, HOU, HOU_WORKER, call

ADMIN = "13800000000"
HX = {"HX-Request": "true"}


def since_of(html: str) -> str:
    return re.search(r'data-round-since="([^"]+)"', html).group(1)


def rows_of(html: str) -> list[str]:
    return re.findall(r'<li class="round-row[^"]*"\s+id="c-([0-9a-f-]+)"', html)


async def test_a_call_made_by_someone_else_comes_to_the_round_without_a_reload(app, quiet_round):  # noqa: F811
    async with browser(app) as worker, browser(app) as admin:
        await log_in(worker, HOU_WORKER)
        await log_in(admin, ADMIN)
        page = await worker.get("/round")
        since = since_of(page.text)
        assert str(HOU) in rows_of(page.text) and len(rows_of(page.text)) >= 10

        nothing = await worker.get("/round", params={"since": since}, headers=HX)
        assert nothing.status_code == 200 and "<html" not in nothing.text
        assert rows_of(nothing.text) == [] and 'id="follow-ups"' not in nothing.text

        # The admin reaches 侯秀兰 (and someone of another grid): the worker's page asks again.
        top = (await CheckIn.select(Max(CheckIn.seq).as_alias("top")).first())["top"] or 0
        assert (await call(admin, HOU, "ok")).status_code == 303
        assert (await call(admin, GUO, "ok")).status_code == 303
        try:
            fresh = await worker.get("/round", params={"since": since}, headers=HX)
            assert fresh.status_code == 200 and "<html" not in fresh.text
            assert rows_of(fresh.text) == [str(HOU)]  # her row only: not the round, not another grid's person
            row = re.search(r'<li class="round-row[^"]*"[^>]*>', fresh.text).group(0)
            seq = (await CheckIn.select(CheckIn.seq).where(CheckIn.resident == HOU).first())["seq"]
            assert 'data-outcome="ok"' in row and f'data-outbox-seq="{seq}"' in row and "door-done" in row
            assert 'id="follow-ups"' in fresh.text  # a card a call opened or closed comes with it
            # Asked again from the cursor it gave, the same call is not lost (it is sent again within the overlap,
            # and the page redraws a row only when its last call differs) and nothing else comes.
            again = await worker.get("/round", params={"since": since_of(fresh.text)}, headers=HX)
            assert set(rows_of(again.text)) <= {str(HOU)}

            # Without htmx the same address is the whole page; a cursor that is not a time is refused.
            whole = await worker.get("/round", params={"since": since})
            assert "<html" in whole.text and len(rows_of(whole.text)) >= 10
            assert (await worker.get("/round", params={"since": "yesterday"}, headers=HX)).status_code == 400
        finally:
            await CheckIn.delete().where((CheckIn.resident == GUO) & (CheckIn.seq > top))  # 侯秀兰's: quiet_round


def members_of(html: str) -> str:
    return re.search(r'data-round-members="([0-9a-f]+)"', html).group(1)


def ids_of(html: str) -> list[str] | None:
    found = re.search(r'data-round-ids="([^"]*)"', html)
    return found.group(1).split() if found else None


async def test_a_person_added_to_or_taken_off_the_round_comes_with_the_next_refresh(app, quiet_round):  # noqa: F811
    """Issue 16, a stranger's walk: a person put on the round (an import, a new profile, a building handed over)
    showed only after a reload, and one taken off stayed. The refresh says who is on the round when that is no
    longer who the page shows; the page asks for the rows it lacks (?rows=), of its own round only."""
    async with browser(app) as worker:
        await log_in(worker, HOU_WORKER)
        page = await worker.get("/round")
        since, members = since_of(page.text), members_of(page.text)
        shown = rows_of(page.text)
        nothing = await worker.get("/round", params={"since": since, "members": members}, headers=HX)
        assert ids_of(nothing.text) is None  # the same people: no list, the answer stays small
        # Someone of her grid not on the round is put on it; someone on it is taken off.
        grid = (
            await ElderProfile.select(ElderProfile.resident.household.building.grid.as_alias("g"))
            .where(ElderProfile.resident == HOU)
            .first()
        )["g"]
        off_round = (
            await ElderProfile.select(ElderProfile.resident)
            .where(
                (ElderProfile.resident.household.building.grid == grid)
                & ElderProfile.in_round.eq(False)
                & (ElderProfile.resident.status == "living")
            )
            .first()
        )
        added, removed = str(off_round["resident"]), shown[-1]
        await ElderProfile.update({ElderProfile.in_round: True}).where(ElderProfile.resident == off_round["resident"])
        await ElderProfile.update({ElderProfile.in_round: False}).where(ElderProfile.resident == removed)
        try:
            fresh = await worker.get("/round", params={"since": since, "members": members}, headers=HX)
            ids = ids_of(fresh.text)
            assert ids is not None and added in ids and removed not in ids
            assert set(ids) == set(shown) - {removed} | {added}
            assert members_of(fresh.text) != members
            rows = await worker.get("/round", params=[("rows", added), ("rows", str(GUO))], headers=HX)
            assert rows_of(rows.text) == [added], rows.text[:3000]  # 郭德胜 is of another grid: not hers to see
            assert "<html" not in rows.text
            # Asked with the new list, nothing more comes.
            again = await worker.get("/round", params={"since": since, "members": members_of(fresh.text)}, headers=HX)
            assert ids_of(again.text) is None
        finally:
            await ElderProfile.update({ElderProfile.in_round: False}).where(
                ElderProfile.resident == off_round["resident"]
            )
            await ElderProfile.update({ElderProfile.in_round: True}).where(ElderProfile.resident == removed)
