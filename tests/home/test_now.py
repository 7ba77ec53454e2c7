"""What needs a worker now, at the top of the home page and at /now (issue 16, defect 3): counted within the
worker's own grids, refreshed in place."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from server.demo.seed import ADMIN_PHONE, RESIDENT_PHONE
from server.errands.tables import Errand
from server.register.tables import FollowUp
from server.settings import Settings
from tests.conftest import browser, log_in
from tests.errands.test_routes import OTHER_WORKER, card_id_of, new_card, sent_ok
from tests.register.test_round import quiet_round  # noqa: F401 (a fixture)
from tests.register.test_routes import HOU, HOU_WORKER, call, form


def counts(html: str) -> dict[str, int]:
    return {
        name: int(number)
        for name, number in re.findall(
            r'data-testid="now-([\w-]+)">\s*<span class="row-title"><span class="count[^"]*">(\d+)<', html
        )
    }


async def test_the_home_page_counts_what_needs_the_worker_now_in_their_grids_only(app, quiet_round) -> None:  # noqa: F811
    """On main the home page counted nothing of this: a second missed call, a late medicine card or a resident's own
    request waited until someone opened the round or the board."""
    async with browser(app) as worker, browser(app) as other, browser(app) as admin, browser(app) as elder:
        await log_in(worker, HOU_WORKER)
        await log_in(other, OTHER_WORKER)
        await log_in(admin, ADMIN_PHONE)
        await log_in(elder, RESIDENT_PHONE)
        before = counts((await worker.get("/")).text)
        other_before = counts((await other.get("/")).text)
        admin_before = counts((await admin.get("/")).text)
        assert before.get("to-call", 0) >= 1

        for _ in range(2):
            assert (await call(worker, HOU, "no_answer")).status_code == 303
        medicine = card_id_of(await new_card(worker, resident=HOU, kind="medicine", urgency="urgent", items="降压药"))
        await Errand.update({Errand.due_at: datetime.now(UTC) - timedelta(minutes=1)}).where(Errand.id == medicine)
        ask = str(uuid.uuid4())
        tap = form(elder, card_id=ask, kind="groceries", text="")
        assert sent_ok(await elder.post("/ask", data=tap, follow_redirects=False))

        page = (await worker.get("/")).text
        after = counts(page)
        assert after.get("follow-ups", 0) == before.get("follow-ups", 0) + 1
        assert "侯秀兰" in page.split('data-testid="now-follow-ups"')[1].split("</a>")[0]
        assert after.get("late", 0) == before.get("late", 0) + 1
        assert re.search(r"其中买药 \d+ 张", page)
        assert after.get("to-call", 0) == before.get("to-call", 0)  # two misses: still to reach
        admin_after = counts((await admin.get("/")).text)
        assert admin_after.get("asks", 0) == admin_before.get("asks", 0) + 1  # 郝大爷's request, nobody took it
        asking = (await admin.get("/")).text.split('data-testid="now-asks"')[1].split("</a>")[0]
        assert "郝振华" in asking  # who asks, as the other rows say (a stranger: "1 居民求助，还没人接", but whom?)
        # He asks again: named once, with how many (a stranger read 郝振华（5-1-602）、郝振华（5-1-602）、…).
        again = str(uuid.uuid4())
        tap = form(elder, card_id=again, kind="medicine", text="")
        assert sent_ok(await elder.post("/ask", data=tap, follow_redirects=False))
        asking = (await admin.get("/")).text.split('data-testid="now-asks"')[1].split("</a>")[0]
        assert asking.count("郝振华") == 1 and re.search(r"郝振华</bdi>（[^）]+） ×\d+", asking), asking
        await Errand.update({Errand.state: "cancelled"}).where(Errand.id == uuid.UUID(again))
        assert counts((await other.get("/")).text) == other_before  # another grid's worker: none of it is theirs

        fragment = await worker.get("/now", headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<section id="now"')
        assert counts(fragment.text) == after
        whole = await worker.get("/now")
        assert "<html" in whole.text and counts(whole.text) == after  # a page of its own without JavaScript

        card = await FollowUp.objects().get(FollowUp.resident == HOU)
        closing = form(worker, found="ok", outcome="")
        assert (await worker.post(f"/follow-ups/{card.id}/done", data=closing)).status_code == 303
        settled = counts((await worker.get("/now", headers={"HX-Request": "true"})).text)
        assert settled.get("follow-ups", 0) == before.get("follow-ups", 0)
        assert settled.get("to-call", 0) == before.get("to-call", 0) - 1
        await Errand.update({Errand.state: "cancelled"}).where(Errand.id.is_in([medicine, uuid.UUID(ask)]))


async def test_a_need_heard_on_a_call_waits_on_the_home_page_until_its_card_is_made(client, quiet_round) -> None:  # noqa: F811
    """A stranger's walk of issue 16: 侯秀兰 said on the call she needs blood-pressure pills, and nothing on the home
    page said so (the card link showed on the round row only)."""
    await log_in(client, HOU_WORKER)
    before = counts((await client.get("/now", headers={"HX-Request": "true"})).text)
    assert (await call(client, HOU, "needs", need="买降压药两盒")).status_code == 303
    page = (await client.get("/now", headers={"HX-Request": "true"})).text
    assert counts(page).get("needs", 0) == before.get("needs", 0) + 1
    line = page.split('data-testid="now-needs"')[1].split("</a>")[0]
    assert "侯秀兰" in line
    day = Settings().today().isoformat()
    key = f"checkin:{HOU}:{day}"
    data = form(
        client,
        card_id=str(uuid.uuid4()),
        resident_id=str(HOU),
        household_id="",
        kind="medicine",
        items="降压药两盒",
        source="checkin",
        source_key=key,
    )
    card = card_id_of(await client.post("/errands", data=data, follow_redirects=False))
    after = counts((await client.get("/now", headers={"HX-Request": "true"})).text)
    assert after.get("needs", 0) == before.get("needs", 0)  # carded: no longer waiting
    await Errand.update({Errand.state: "cancelled"}).where(Errand.id == card)
