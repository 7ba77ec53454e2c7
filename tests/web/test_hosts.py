"""A Host header whose port is not a number of 0 to 65535 is refused in words, with the security headers, and no
traceback (a stranger's third walk of issue 15, C: every route answered 500 "Internal Server Error", in English, and
logged two tracebacks, without logging in)."""

from __future__ import annotations

import logging
import socket

import pytest

from server.web.hosts import readable_host
from tests.conftest import log_in
from tests.serving import Served

BAD_HOSTS = ["a:b", "127.0.0.1:99999", "127.0.0.1:-1", "[::1]:70000", "[::1"]
WORDS = "网址不对"


@pytest.mark.parametrize("host", BAD_HOSTS)
@pytest.mark.parametrize("path", ["/login", "/", "/join/", "/healthz", "/api/v1/me", "/sweeps/new"])
async def test_a_host_that_is_no_address_is_refused_in_words(client, caplog, host, path):
    with caplog.at_level(logging.INFO):
        answer = await client.get(path, headers={"host": host})
    assert answer.status_code == 400
    assert WORDS in (answer.json()["detail"] if path.startswith("/api/") else answer.text)
    assert "content-security-policy" in answer.headers and answer.headers["x-content-type-options"] == "nosniff"
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


async def test_a_host_that_is_no_address_is_refused_on_a_write_signed_in_too(client, caplog):
    await log_in(client, "13800000002")
    with caplog.at_level(logging.INFO):
        answer = await client.post("/logout", headers={"host": "a:b"})
        invite = await client.get("/sweeps/new", headers={"host": "127.0.0.1:99999"})
    assert answer.status_code == 400 and WORDS in answer.text
    assert invite.status_code == 400
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


async def test_a_page_that_does_not_exist_with_such_a_host_is_a_404_not_a_500(client):
    answer = await client.get("/no-such-page", headers={"host": "a:b"})
    assert answer.status_code == 404 and "content-security-policy" in answer.headers


def test_what_a_host_may_be():
    for host in (
        "127.0.0.1",
        "127.0.0.1:8000",
        "gridcare.example",
        "[::1]:8000",
        "[2001:db8::1]",
        "格格帮.example",
        "",
    ):
        assert readable_host(host), host
    for host in BAD_HOSTS:
        assert not readable_host(host), host


def test_the_server_as_deployed_answers_a_bad_host_without_a_traceback():
    """The stranger's t_host.sh: uvicorn passes the header on as it came."""
    with Served(GRIDCARE_DEMO="1") as server:
        for host in ("127.0.0.1:99999", "a:b", "127.0.0.1:-1", "[::1]:70000"):
            with socket.create_connection(("127.0.0.1", server.port), timeout=60) as connection:
                connection.sendall(f"GET /login HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
                answer = b""
                while chunk := connection.recv(65536):
                    answer += chunk
            assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
            assert WORDS.encode() in answer and b"content-security-policy" in answer.lower()
        log = server.log.read_text()
    assert "Traceback" not in log and "ValueError" not in log
