"""Two people on one round (a grid worker and the admin, or whoever covers her grid): what one records shows on the
other's page without a reload (issue 16, defect 3). The page asks /round with `since` (htmx) and gets only the rows
whose calls arrived since, small however long the round."""

from __future__ import annotations

import re

from piccolo.query.functions.aggregate import Max

from server.register.tables import CheckIn
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
