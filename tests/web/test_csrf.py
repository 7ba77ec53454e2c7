"""CSRF tokens are tied to the session, and writes from another site are refused (issue 15, 9)."""

from __future__ import annotations

import httpx
import pytest

from server.accounts import services
from server.accounts.tables import UserSession
from server.settings import get_settings
from server.web.csrf import browser_token, session_token
from tests.conftest import browser, csrf, log_in
from tests.serving import Served

WORKER = "13800000001"
OTHER_WORKER = "13800000002"
SITE = "http://testserver.local"


async def sessions() -> int:
    return await UserSession.count()


async def still_logged_in(client: httpx.AsyncClient) -> bool:
    return (await client.get("/api/v1/me")).status_code == 200


async def test_a_token_from_one_session_does_not_work_in_another(app):
    async with browser(app) as mine, browser(app) as theirs:
        await log_in(mine, WORKER)
        await log_in(theirs, OTHER_WORKER)
        stolen = csrf(theirs)["x-csrftoken"]
        assert stolen and stolen != csrf(mine)["x-csrftoken"]
        # Even with the cookie planted as well (a double-submit cookie alone would take this).
        mine.cookies.set("gc_csrf", stolen, domain="testserver.local")
        before = await sessions()
        refused = await mine.post("/logout", headers={"x-csrftoken": stolen}, follow_redirects=False)
        assert refused.status_code == 403 and "过期" in refused.text
        assert await sessions() == before and await still_logged_in(mine)
        form = await mine.post("/logout", data={"_csrf_token": stolen}, follow_redirects=False)
        assert form.status_code == 403 and await still_logged_in(mine)


async def test_two_sessions_of_the_same_person_have_different_tokens(app):
    async with browser(app) as phone, browser(app) as tablet:
        await log_in(phone, WORKER)
        await log_in(tablet, WORKER)
        assert csrf(phone) != csrf(tablet)
        answer = await tablet.post("/logout", headers=csrf(phone), follow_redirects=False)
        assert answer.status_code == 403 and await still_logged_in(tablet)


async def test_a_token_ends_with_its_session(app):
    async with browser(app) as client:
        await log_in(client, WORKER)
        old = csrf(client)
        assert (await client.post("/logout", headers=old, follow_redirects=False)).status_code == 303
        await log_in(client, WORKER)
        assert csrf(client) != old
        assert (await client.post("/logout", headers=old, follow_redirects=False)).status_code == 403
        assert await still_logged_in(client)
        assert (await client.post("/logout", headers=csrf(client), follow_redirects=False)).status_code == 303


async def test_log_in_without_a_session_takes_this_browsers_token_only(app):
    async with browser(app) as visitor, browser(app) as other:
        await visitor.get("/login")
        await other.get("/login")
        form = {"phone": WORKER, "password": "gridcare-demo"}
        # Another browser's token, without its cookie: refused.
        answer = await visitor.post("/login", data={**form, "_csrf_token": other.cookies["gc_csrf"]})
        assert answer.status_code == 403 and not await still_logged_in(visitor)
        # A token this server did not make, in the cookie and the form alike: refused.
        forged = "b." + "0" * 32 + "." + "0" * 32
        visitor.cookies.set("gc_csrf", forged, domain="testserver.local")
        assert (await visitor.post("/login", data={**form, "_csrf_token": forged})).status_code == 403
        visitor.cookies.delete("gc_csrf")
        await visitor.get("/login")
        answer = await visitor.post(
            "/login", data={**form, "_csrf_token": visitor.cookies["gc_csrf"]}, follow_redirects=False
        )
        assert answer.status_code == 303 and await still_logged_in(visitor)
        # The page after log-in carries the session's token, and the cookie follows.
        home = await visitor.get("/")
        assert csrf(visitor)["x-csrftoken"] in home.text and csrf(visitor)["x-csrftoken"].startswith("s.")


def test_tokens_are_made_with_the_secret():
    secret = get_settings().secret_key
    assert session_token(secret, "abc") == session_token(secret, "abc") != session_token(secret + "x", "abc")
    assert session_token(secret, "abc") != session_token(secret, "abd")
    assert browser_token(secret) != browser_token(secret)


async def test_the_outbox_refreshes_a_stale_token_once(app):
    """outbox.js: a 403 from /api/v1/sync, then GET /api/v1/csrf, then the same batch again."""
    async with browser(app) as client:
        await log_in(client, WORKER)
        batch = {"writes": []}
        stale = {"x-csrftoken": browser_token(get_settings().secret_key)}
        assert (await client.post("/api/v1/sync", json=batch, headers=stale)).status_code == 403
        fresh = (await client.get("/api/v1/csrf")).json()["token"]
        assert fresh == csrf(client)["x-csrftoken"]
        answer = await client.post("/api/v1/sync", json=batch, headers={"x-csrftoken": fresh})
        assert answer.status_code == 200 and answer.json()["answers"] == []


async def test_an_ended_session_on_a_form_asks_to_log_in_again(app):
    async with browser(app) as client:
        await log_in(client, WORKER)
        token = csrf(client)
        await services.log_out(client.cookies["gc_session"])  # ended on the server; the page is still open
        answer = await client.post("/logout", headers=token, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login"


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("origin", "https://evil.example"),
        ("origin", "null"),  # a sandboxed frame, a file:// page
        ("origin", "https://testserver.local"),  # this host over another scheme is another origin
        ("origin", "http://testserver.local:8080"),
        ("referer", "https://evil.example/page"),
        ("origin", "http://testserver.local.evil.example"),
    ],
)
async def test_a_write_from_another_site_is_refused_whatever_it_carries(app, header, value):
    async with browser(app) as client:
        await log_in(client, WORKER)
        before = await sessions()
        answer = await client.post("/logout", headers={**csrf(client), header: value}, follow_redirects=False)
        assert answer.status_code == 403 and "别的网站" in answer.text
        assert await sessions() == before and await still_logged_in(client)
        api = await client.post("/api/v1/sync", json={"writes": []}, headers={**csrf(client), header: value})
        assert api.status_code == 403 and "别的网站" in api.json()["detail"]


async def test_log_in_from_another_site_is_refused(app):
    async with browser(app) as client:
        await client.get("/login")
        form = {"phone": WORKER, "password": "gridcare-demo", "_csrf_token": client.cookies["gc_csrf"]}
        answer = await client.post("/login", data=form, headers={"origin": "https://evil.example"})
        assert answer.status_code == 403 and not await still_logged_in(client)


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": SITE},
        {"origin": SITE + ":80"},  # the default port, said
        {"referer": SITE + "/sweeps/1"},  # a browser that left Origin out
        {},  # not a browser (curl, a script): the token alone decides
    ],
)
async def test_a_write_from_this_site_or_no_browser_goes_through(app, headers):
    async with browser(app) as client:
        await log_in(client, WORKER)
        answer = await client.post("/logout", headers={**csrf(client), **headers}, follow_redirects=False)
        assert answer.status_code == 303 and not await still_logged_in(client)


def test_behind_a_trusted_proxy_the_site_is_its_https_address():
    """uvicorn takes X-Forwarded-Proto from GRIDCARE_FORWARDED_ALLOW_IPS only: a browser on https://... writes
    through the proxy; the same header from anyone else does not make a page of http://... look like https."""
    with Served(GRIDCARE_FORWARDED_ALLOW_IPS="127.0.0.1") as server:
        host = f"127.0.0.1:{server.port}"
        proxied = {"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7"}
        with httpx.Client(base_url=server.url(""), headers=proxied) as client:
            client.get("/login")
            form = {"phone": WORKER, "password": "gridcare-demo", "_csrf_token": client.cookies["gc_csrf"]}
            answer = client.post("/login", data=form, headers={"origin": f"https://{host}"})
            assert answer.status_code == 303, answer.text
            answer = client.post(
                "/api/v1/sync",
                json={"writes": []},
                headers={"x-csrftoken": client.cookies["gc_csrf"], "origin": f"http://{host}"},
            )
            assert answer.status_code == 403  # http:// is another origin than the https:// the proxy serves
    with Served(GRIDCARE_FORWARDED_ALLOW_IPS="192.0.2.1") as server:
        host = f"127.0.0.1:{server.port}"
        with httpx.Client(base_url=server.url(""), headers={"x-forwarded-proto": "https"}) as client:
            client.get("/login")
            form = {"phone": WORKER, "password": "gridcare-demo", "_csrf_token": client.cookies["gc_csrf"]}
            answer = client.post("/login", data=form, headers={"origin": f"https://{host}"})
            assert answer.status_code == 403  # an untrusted X-Forwarded-Proto changes nothing
            answer = client.post("/login", data=form, headers={"origin": f"http://{host}"}, follow_redirects=False)
            assert answer.status_code == 303
        assert "GRIDCARE_FORWARDED_ALLOW_IPS" in server.log.read_text()  # the admin is told what to set
