"""The server as deployed (`python -m server serve`, uvicorn) keeps answering while it refuses a hostile upload
(issue 15): a list is read outside the event loop. No time is asserted (bench/uploads.py measures how fast /healthz
answers meanwhile, and how much memory the server takes): only the order in which the answers come back.

The server runs on the tests' own database (SQLite or PostgreSQL, as the run chose), migrated and seeded already.
"""

from __future__ import annotations

import http.client
import http.cookies
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.demo.seed import DEMO_PASSWORD
from tests.imports import hostile

ROOT = Path(__file__).resolve().parents[2]
WORKER = "13800000002"
BOUNDARY = "gridcare-served"


@pytest.fixture(scope="module")
def served() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tempfile.NamedTemporaryFile(prefix="gridcare-served-", suffix=".log", delete=False)  # noqa: SIM115
    env = {**os.environ, "GRIDCARE_PORT": str(port), "GRIDCARE_HOST": "127.0.0.1", "GRIDCARE_DEMO": "1"}
    process = subprocess.Popen(  # our own interpreter and arguments
        [sys.executable, "-m", "server", "serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the server did not start:\n" + Path(log.name).read_text()[-3000:])
            time.sleep(0.1)  # polling a starting process
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
        os.unlink(log.name)


def log_in(port: int) -> dict[str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/login")
    answer = connection.getresponse()
    answer.read()
    csrf = _cookies(answer)["gc_csrf"]
    form = urllib.parse.urlencode({"phone": WORKER, "password": DEMO_PASSWORD, "_csrf_token": csrf})
    headers = {"content-type": "application/x-www-form-urlencoded", "cookie": f"gc_csrf={csrf}"}
    connection.request("POST", "/login", form, headers)
    answer = connection.getresponse()
    answer.read()
    given = _cookies(answer)
    session = given["gc_session"]
    csrf = given.get("gc_csrf", csrf)  # a token is tied to its session: log-in gives a new one
    connection.close()
    return {"cookie": f"gc_csrf={csrf}; gc_session={session}", "x-csrftoken": csrf}


def _cookies(answer: http.client.HTTPResponse) -> dict[str, str]:
    jar = http.cookies.SimpleCookie()
    for header in answer.headers.get_all("set-cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def upload_body(data: bytes) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="bomb.xlsx"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def test_healthz_answers_while_a_hostile_upload_is_refused(served):
    """A list read until its 100,001st person (a bomb of repeated rows is now refused before it is unpacked): read
    in the event loop, 300 KB of such rows stopped every request for a minute."""
    headers = {**log_in(served), "content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    body = upload_body(hostile.many_rows())
    sent, answered = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def upload() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", served, timeout=300)
        connection.request("POST", "/reconcile/preview", body, headers)
        sent.set()
        answer = connection.getresponse()
        outcome["status"], outcome["page"] = answer.status, answer.read().decode()
        answered.set()
        connection.close()

    uploader = threading.Thread(target=upload)
    uploader.start()
    assert sent.wait(60)
    healthy_meanwhile = 0
    for _ in range(3):  # one could slip in before the reading starts; three in a row cannot, if reading blocks
        connection = http.client.HTTPConnection("127.0.0.1", served, timeout=300)
        connection.request("GET", "/healthz")
        status = connection.getresponse().status
        connection.close()
        if status == 200 and not answered.is_set():
            healthy_meanwhile += 1
    uploader.join(300)
    assert outcome["status"] == 400 and "100,000 行" in str(outcome["page"])
    assert healthy_meanwhile == 3, "/healthz waited for the upload to be read"
