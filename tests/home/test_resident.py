"""郝大爷's own pages (issue 16, defect 5): his grid worker one tap from a call on each, guides in his language, the
state of his requests in plain words."""

from __future__ import annotations

import re
import uuid

from server.accounts.tables import User
from server.demo.seed import ADMIN_PHONE, RESIDENT_PHONE, STORY_RESIDENT_IDS
from server.errands.tables import Errand
from server.guides.tables import Guide, GuideLink
from server.i18n import LOCALE_COOKIE
from server.places.tables import Resident
from tests.conftest import browser, log_in
from tests.errands.test_routes import sent_ok
from tests.register.test_routes import form

HAO = STORY_RESIDENT_IDS["郝振华"]


async def _his_worker() -> dict:
    home = await Resident.select(Resident.household.building.grid.as_alias("grid")).where(Resident.id == HAO).first()
    return await User.select(User.name, User.phone).where(User.grid == home["grid"]).first()


async def test_every_page_of_his_has_his_grid_worker_one_tap_from_a_call(client) -> None:
    """On main his home said 有事请打电话给网格员 with no number and no link."""
    worker = await _his_worker()
    await log_in(client, RESIDENT_PHONE)
    for path in ("/", "/ask"):
        page = (await client.get(path)).text
        link = re.search(r"<a[^>]*href=\"tel:(\d+)\"[^>]*data-testid=\"call-worker\">(.*?)</a>", page, re.S)
        assert link, path
        assert link.group(1) == worker["phone"] and worker["name"] in link.group(2)
        assert 'class="elder"' in page  # very large type on both


async def test_his_home_lists_only_guides_in_the_language_he_reads(client) -> None:
    """On main 4 of his 9 guides were in English."""
    await log_in(client, RESIDENT_PHONE)
    titles = {row["title"]: row["lang"] for row in await Guide.select(Guide.title, Guide.lang)}
    assert {"zh_CN", "en"} <= set(titles.values())

    def listed(html: str) -> list[str]:
        part = html.split('data-testid="resident-guides"')[1].split("</section>")[0]
        return re.findall(r'<span class="row-title">([^<]+)</span>', part)

    chinese = listed((await client.get("/")).text)
    assert chinese and all(titles[title] == "zh_CN" for title in chinese)
    client.cookies.set(LOCALE_COOKIE, "en")
    english = listed((await client.get("/")).text)
    assert english and all(titles[title] == "en" for title in english)


async def test_his_request_says_what_happens_next_in_plain_words(client) -> None:
    """On main it read 买药: 新 (the workers' word, and an English colon)."""
    await log_in(client, RESIDENT_PHONE)
    tap = form(client, card_id=str(uuid.uuid4()), kind="medicine", text="")
    assert sent_ok(await client.post("/ask", data=tap, follow_redirects=False))
    page = (await client.get("/ask")).text
    states = re.findall(r'data-testid="request-state">([^<]+)<', page)
    assert "已收到，网格员会联系您" in states
    assert "新" not in states and "买药:" not in page


async def test_his_guides_give_his_own_grid_worker_to_call_when_stuck(app) -> None:
    """A stranger's walk of issue 16: 4 of his 5 guides said 给网格员打电话 王磊 13800000000, the community's admin
    who wrote them. Read with his account, a guide gives his grid worker; read by anyone else, the guide's contact."""
    worker = await _his_worker()
    async with browser(app) as elder, browser(app) as stranger:
        await log_in(elder, RESIDENT_PHONE)
        tokens = re.findall(r'href="/g/([\w-]+)"', (await elder.get("/")).text)
        assert tokens
        for token in tokens:
            page = (await elder.get(f"/g/{token}")).text
            assert re.search(rf'href="tel:{worker["phone"]}"[^>]*data-testid="call-worker"', page), token
        anyone = (await stranger.get(f"/g/{tokens[-1]}")).text
        guide = (
            await Guide.select(Guide.contact_phone)
            .where(
                Guide.id.is_in(
                    [
                        row["guide"]
                        for row in await GuideLink.select(GuideLink.guide).where(GuideLink.token == tokens[-1])
                    ]
                )
            )
            .first()
        )
        assert f'href="tel:{guide["contact_phone"]}"' in anyone


def _requests_on(page: str) -> dict[str, tuple[str, str]]:
    """His requests on a page: card id -> (what, its state in words)."""
    part = page.split('data-testid="my-requests"')[1].split("</section>")[0]
    found = re.findall(
        r'data-card="([\w-]+)">\s*<p class="big"><span aria-hidden="true">[^<]*</span> ([^<]+)</p>.*?'
        r'data-testid="request-state">([^<]+)<',
        part,
        re.S,
    )
    return {card: (what, state) for card, what, state in found}


async def test_his_home_shows_his_open_requests_and_what_happens_next(app) -> None:
    """A stranger's walk of issue 16: his home said nothing of what he had asked for; only /ask did. His home lists
    each open request with its state in his words; one he withdraws there or one finished is gone from it."""
    medicine, groceries = uuid.uuid4(), uuid.uuid4()
    async with browser(app) as elder, browser(app) as admin:
        await log_in(elder, RESIDENT_PHONE)
        await log_in(admin, ADMIN_PHONE)
        for card_id, kind in ((medicine, "medicine"), (groceries, "groceries")):
            tap = form(elder, card_id=str(card_id), kind=kind, text="")
            assert sent_ok(await elder.post("/ask", data=tap, follow_redirects=False))
        taken = form(admin, write_id=str(uuid.uuid4()), action="move", to="accepted")
        assert (
            await admin.post(f"/errands/{groceries}/actions", data=taken, follow_redirects=False)
        ).status_code == 303
        home = (await elder.get("/")).text
        shown = _requests_on(home)
        assert shown[str(medicine)] == ("买药", "已收到，网格员会联系您")
        assert shown[str(groceries)] == ("买菜", "网格员已经在办")
        assert home.index('data-testid="my-requests"') < home.index('data-testid="resident-home"')  # first he reads
        # Withdrawn from his home, he stays on his home, and the request is gone from it.
        withdraw = re.search(rf'action="/errands/{medicine}/actions">(.*?)</form>', home, re.S).group(1)
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', withdraw))
        # Behind a second tap, and said once done (a stranger's walk: one tap cancelled, and nothing said so).
        steps = re.findall(r'<details class="ask-confirm"[^>]*>(.*?)</details>', home, re.S)
        step = next(step for step in steps if f'action="/errands/{medicine}/actions"' in step)
        assert "要取消这个求助吗" in step
        answer = await elder.post(f"/errands/{medicine}/actions", data=fields, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/?cancelled=1"
        assert (await Errand.select(Errand.state).where(Errand.id == medicine).first())["state"] == "cancelled"
        said = (await elder.get(answer.headers["location"])).text
        assert 'data-testid="cancelled"' in said and "已经取消了" in said
        shown = _requests_on((await elder.get("/")).text)
        assert str(medicine) not in shown and shown[str(groceries)] == ("买菜", "网格员已经在办")
        # Nobody else's requests are on it: a worker's home has no such list.
        assert 'data-testid="my-requests"' not in (await admin.get("/")).text
