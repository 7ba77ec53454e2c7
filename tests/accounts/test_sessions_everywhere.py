"""Ending an account's sessions holds on the next request in every worker process (a stranger's second review of
issue 15: `deactivate-user` said the sessions ended while a worker kept serving one from its memory for seconds).

The change is made by another process, the command line an admin types, as in production: what a process keeps in
memory cannot be dropped by it. The cache's clock is stopped in the process under test, so that no waiting explains
a refusal; only the sessions' generation does (docs/decisions/0002).
"""

from __future__ import annotations

import http.client
import http.cookies
import urllib.parse

from server.accounts import services
from server.demo.seed import COMMUNITY_ID
from server.staff.provisioning import add_user
from tests.conftest import log_in
from tests.serving import Served, command


def _stop_the_cache_clock(monkeypatch) -> None:
    now = services._clock()
    monkeypatch.setattr(services, "_clock", lambda: now)


async def test_a_deactivated_accounts_session_is_refused_on_the_next_request(client, monkeypatch):
    _stop_the_cache_clock(monkeypatch)
    made = await add_user(COMMUNITY_ID, "admin", "13700000081", "离开的管理员")
    assert (await log_in(client, made.phone, made.password)).status_code == 303
    assert (await client.get("/api/v1/me")).status_code == 200  # the session is kept in this process now
    assert (await client.get("/api/v1/me")).status_code == 200

    done = command("deactivate-user", "--phone", made.phone)
    assert done.returncode == 0, done.stderr

    assert (await client.get("/api/v1/me")).status_code == 401
    assert (await client.get("/", follow_redirects=False)).status_code in (302, 303)


async def test_a_new_password_set_elsewhere_ends_a_kept_session(client, monkeypatch):
    _stop_the_cache_clock(monkeypatch)
    made = await add_user(COMMUNITY_ID, "admin", "13700000082", "丢了手机的管理员")
    assert (await log_in(client, made.phone, made.password)).status_code == 303
    assert (await client.get("/api/v1/me")).status_code == 200

    done = command("reset-password", "--phone", made.phone)
    assert done.returncode == 0, done.stderr

    assert (await client.get("/api/v1/me")).status_code == 401


async def test_a_kept_session_is_used_while_nothing_changed(monkeypatch):
    """The other side: the generation does not move on its own, so a kept session spares the lookup."""
    _stop_the_cache_clock(monkeypatch)
    made = await add_user(COMMUNITY_ID, "admin", "13700000083", "留下的管理员")
    token, _ = await services.log_in(services_settings(), made.phone, made.password, "10.0.0.83")
    first = await services.user_for_token(token)
    assert first is not None
    assert await services.user_for_token(token) is first  # the same object: read from memory, not again


def services_settings():
    from server.settings import get_settings

    return get_settings()


def _cookies(answer: http.client.HTTPResponse) -> dict[str, str]:
    jar = http.cookies.SimpleCookie()
    for header in answer.headers.get_all("set-cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def _get(port: int, path: str, cookie: str = "") -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)  # a new connection: any worker
    connection.request("GET", path, headers={"cookie": cookie} if cookie else {})
    answer = connection.getresponse()
    answer.read()
    connection.close()
    return answer


async def test_every_worker_process_refuses_a_deactivated_session_at_once():
    made = await add_user(COMMUNITY_ID, "admin", "13700000084", "多进程管理员")
    with Served(GRIDCARE_WORKERS="2", GRIDCARE_DEMO="1") as server:
        login = _get(server.port, "/login")
        csrf = _cookies(login)["gc_csrf"]
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        form = urllib.parse.urlencode({"phone": made.phone, "password": made.password, "_csrf_token": csrf})
        connection.request(
            "POST",
            "/login",
            form,
            {"content-type": "application/x-www-form-urlencoded", "cookie": f"gc_csrf={csrf}"},
        )
        answer = connection.getresponse()
        answer.read()
        connection.close()
        cookie = f"gc_session={_cookies(answer)['gc_session']}"
        # Forty requests on new connections reach both workers: each keeps the session in memory.
        assert {_get(server.port, "/api/v1/me", cookie).status for _ in range(40)} == {200}

        done = command("deactivate-user", "--phone", made.phone)
        assert done.returncode == 0, done.stderr

        assert {_get(server.port, "/api/v1/me", cookie).status for _ in range(40)} == {401}
