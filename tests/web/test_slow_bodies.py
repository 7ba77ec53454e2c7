"""A body that trickles in is ended with a 408 and its connection closed, by the server as deployed (uvicorn, a
real socket): a stranger's second review of issue 15 held 4,000 connections open at a byte a second
(docs/decisions/0022). No speed is asserted: only that the answer comes, and well within a generous bound."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from tests.serving import Served

TIMEOUT = 2  # the served app's body_timeout_seconds: short, so that the test does not wait long
BOUND = 60  # far beyond TIMEOUT: a loaded machine is no reason to fail; a server that never answers is


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with Served(
        GRIDCARE_DEMO="1", GRIDCARE_BODY_TIMEOUT_SECONDS=str(TIMEOUT), GRIDCARE_BODY_MIN_BYTES_PER_SECOND="500"
    ) as server:
        yield server.port


def _trickle(port: int, head: bytes, piece: bytes, every: float) -> tuple[bytes, bool]:
    """Send the head, then `piece` every `every` seconds until the server answers; what it answered, and whether it
    then closed the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=BOUND) as connection:
        connection.sendall(head)
        connection.settimeout(every)
        answer = b""
        deadline = time.monotonic() + BOUND
        while time.monotonic() < deadline:
            try:
                chunk = connection.recv(65536)
            except TimeoutError:
                try:
                    connection.sendall(piece)
                except OSError:  # closed on us mid-send: read what was answered
                    connection.settimeout(5)
                    continue
                continue
            except ConnectionResetError:
                return answer, True
            if not chunk:
                return answer, True  # closed by the server
            answer += chunk
            if b"\r\n\r\n" in answer and not answer.startswith(b"HTTP/1.1 408"):
                return answer, False  # answered: not cut off
        return answer, False


def test_a_body_that_trickles_in_gets_a_408_and_the_connection_closes(port):
    head = (
        b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Accept-Language: zh-CN\r\nContent-Length: 10000\r\n\r\n"  # within a log-in form's 16 KB
    )
    answer, closed = _trickle(port, head, b"a", every=1.0)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"connection: close" in answer.lower()
    assert "网络太慢".encode() in answer  # in the person's words
    assert closed


def test_a_body_that_keeps_coming_is_not_cut_off(port):
    """500 bytes every half second for 3 s: past the first TIMEOUT seconds, within what its bytes earn."""
    body_length = 6 * 500
    head = (
        b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: " + str(body_length).encode() + b"\r\n\r\n"
    )
    answer, _ = _trickle(port, head, b"p" * 500, every=0.5)
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    assert not answer.startswith(b"HTTP/1.1 408"), answer[:200]  # answered on its merits (no CSRF token: 403)


def test_past_the_concurrency_limit_new_requests_get_a_503_not_a_wait():
    """Connections held open (here: headers never finished) count against GRIDCARE_LIMIT_CONCURRENCY: past it the
    worker answers 503 at once instead of taking on more (a flood must not take every file descriptor)."""
    with Served(GRIDCARE_DEMO="1", GRIDCARE_LIMIT_CONCURRENCY="3") as server:
        held = [socket.create_connection(("127.0.0.1", server.port), timeout=BOUND) for _ in range(3)]
        try:
            for connection in held:
                connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the blank line
            time.sleep(0.5)  # the server's side of the connections is made: nothing to wait on from here
            with socket.create_connection(("127.0.0.1", server.port), timeout=BOUND) as probe:
                probe.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                answer = b""
                while chunk := probe.recv(4096):
                    answer += chunk
            assert answer.startswith(b"HTTP/1.1 503"), answer
            # In words, Chinese first, with the headers of every answer (uvicorn's own said "Service Unavailable").
            assert "服务器现在很忙".encode() in answer and b"x-content-type-options: nosniff" in answer.lower()
        finally:
            for connection in held:
                connection.close()


@pytest.mark.parametrize(
    "request_bytes",
    [b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabcdefgh", b"GARBLED \x00 LINE\r\n\r\n"],
    ids=["a-length-that-lies", "a-garbled-request-line"],
)
def test_uvicorns_own_400_carries_the_headers_of_every_answer(port, request_bytes):
    """A stranger's fifth walk of issue 15: uvicorn's 400 for a request it cannot parse had no CSP and no nosniff."""
    with socket.create_connection(("127.0.0.1", port), timeout=BOUND) as connection:
        connection.sendall(request_bytes)
        answer = b""
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    last = answer[answer.rindex(b"HTTP/1.1 ") :]  # a length that lies: the first request is answered, then the rest
    assert last.startswith(b"HTTP/1.1 400"), answer
    head = last.split(b"\r\n\r\n", 1)[0].lower()
    assert b"x-content-type-options: nosniff" in head and b"content-security-policy: default-src" in head, head
    assert b"x-frame-options: deny" in head and b"connection: close" in head
