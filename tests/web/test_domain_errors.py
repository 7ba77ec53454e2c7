"""A service's refusal that its route lets through is answered by the app's one handler (server/errors.py,
server/web/pages.py): the status its domain gives the code, and the words that status has everywhere else, as a page
or, under /api/, as JSON, in the reader's language (docs/decisions/0030)."""

from __future__ import annotations

import uuid

import pytest
from litestar import get
from litestar.params import FromPath

from server.app import create_app
from server.demo.seed import GRID_IDS
from server.guides.services import GuideError
from server.staff.handover import HandoverError
from tests.conftest import browser, csrf, log_in

WORKER = "13800000001"
ADMIN = "13800000000"

WORDS = {
    404: {"zh_CN": "没有找到，或者不在您的网格内。", "en": "Not found, or not in your grid."},
    403: {"zh_CN": "您的账号不能打开这个页面。", "en": "Your account cannot open this page."},
    400: {"zh_CN": "没有办成，请返回再试一次。", "en": "That did not work. Go back and try again."},
}

# A refusal of each kind the handler tells apart: a code its domain maps to 404, a domain whose other refusals are
# 403, and a code with no status of its own (400).
REFUSALS = {
    "gone": (lambda: GuideError("not_found"), 404),
    "refused": (lambda: HandoverError("not_a_worker"), 403),
    "bad": (lambda: GuideError("title_missing"), 400),
}


@pytest.fixture(scope="module")
def refusing_app():
    @get(["/refuse/{kind:str}", "/api/v1/refuse/{kind:str}"], opt={"public": True}, include_in_schema=False)
    async def refuse(kind: FromPath[str]) -> str:
        raise REFUSALS[kind][0]()

    app = create_app()
    app.register(refuse)
    return app


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("kind", sorted(REFUSALS))
async def test_a_refusal_no_route_catches_is_a_page_in_the_readers_words(refusing_app, kind, locale):
    status = REFUSALS[kind][1]
    async with browser(refusing_app) as client:
        client.cookies.set("gc_lang", locale)
        page = await client.get(f"/refuse/{kind}")
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert WORDS[status][locale] in page.text
    assert "<html" in page.text  # the whole error page, not a bare message


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("kind", sorted(REFUSALS))
async def test_a_refusal_under_the_api_is_json_in_the_readers_words(refusing_app, kind, locale):
    status = REFUSALS[kind][1]
    async with browser(refusing_app) as client:
        client.cookies.set("gc_lang", locale)
        answer = await client.get(f"/api/v1/refuse/{kind}")
    assert answer.status_code == status
    assert answer.json() == {"status_code": status, "detail": WORDS[status][locale]}


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_guide_writes_to_a_guide_not_seen_are_not_found(client, locale):
    """The four writes whose route no longer catches GuideError: same 404, same words."""
    client.cookies.set("gc_lang", locale)
    await log_in(client, WORKER)
    guide, step = uuid.uuid4(), uuid.uuid4()
    for path, data in (
        (f"/guides/{guide}/link", {}),
        (f"/guides/{guide}/link/withdraw", {}),
        (f"/guides/{guide}/steps/{step}/delete", {}),
        (f"/guides/{guide}/steps/{step}/move", {"direction": "up"}),
    ):
        answer = await client.post(path, data=data, headers=csrf(client), follow_redirects=False)
        assert answer.status_code == 404, path
        assert WORDS[404][locale] in answer.text, path


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_a_handover_refused_says_it_as_before(client, locale):
    client.cookies.set("gc_lang", locale)
    await log_in(client, ADMIN)
    no_grid = await client.post(
        f"/grids/{uuid.uuid4()}/handover",
        data={"to_user": str(uuid.uuid4()), "confirm": "yes"},
        headers=csrf(client),
        follow_redirects=False,
    )
    assert no_grid.status_code == 404 and WORDS[404][locale] in no_grid.text
    not_a_worker = await client.post(
        f"/grids/{GRID_IDS[0]}/handover",
        data={"to_user": str(uuid.uuid4()), "confirm": "yes"},
        headers=csrf(client),
        follow_redirects=False,
    )
    assert not_a_worker.status_code == 403 and WORDS[403][locale] in not_a_worker.text
