"""A request without a session is answered before its body is read, unless its route is public; a public route takes
a small body, and a bounded number at once (a stranger's third walk of issue 15, A and F: three anonymous uploads
trickled at 1 kB/s held the large-body budget and an honest worker's list was told the server was busy; 1,100 slow
anonymous log-in bodies held every connection). The app is called as uvicorn calls it, with a body that never
arrives: whether it was asked for is what these tests read, not how long anything took."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import msgspec
import pytest

from server.app import create_app
from server.settings import get_settings
from server.web.anonymous import IN_ALL, PER_ADDRESS
from tests.conftest import browser, csrf, log_in
from tests.serving import Served

WORKER = "13800000004"
BOUNDARY = b"gridcare-anonymous"
MULTIPART = (b"content-type", b"multipart/form-data; boundary=" + BOUNDARY)
FORM = (b"content-type", b"application/x-www-form-urlencoded")
FIFTY_MB = str(50 * 2**20).encode()


class Body:
    """A request body as uvicorn hands it over, counting the times the app asks for it: `first`, whole; or with
    `hold`, `first` and then nothing more until `release()` (a body trickling in)."""

    def __init__(self, first: bytes = b"", hold: bool = False) -> None:
        self.first = first
        self.hold = hold
        self.asked = 0
        self.released = asyncio.Event()

    async def __call__(self) -> dict:
        self.asked += 1
        if self.asked == 1:
            return {"type": "http.request", "body": self.first, "more_body": self.hold}
        if self.hold:
            await self.released.wait()
        return {"type": "http.disconnect"}

    def release(self) -> None:
        self.released.set()


async def _until_asked(bodies: list[Body]) -> None:
    """Until each request has asked for its body (it waits there now): turns of the event loop, not time."""
    for _ in range(100_000):
        if all(body.asked for body in bodies):
            return
        await asyncio.sleep(0)
    raise AssertionError("a request never asked for its body")


class Answer:
    def __init__(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""

    async def __call__(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {name.decode(): value.decode() for name, value in message["headers"]}
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")

    @property
    def text(self) -> str:
        return self.body.decode()


def _scope(path: str, *headers: tuple[bytes, bytes], address: str = "192.0.2.7") -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver.local"), (b"accept-language", b"zh-CN"), *headers],
        "client": (address, 50000),
        "server": ("testserver.local", 80),
    }


async def _send(app, scope: dict, body: Body) -> Answer:
    answer = Answer()
    await app(scope, body, answer)
    return answer


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/reconcile/preview", MULTIPART),
        ("/register/import/preview", MULTIPART),
        ("/guides/00000000-0000-0000-0000-000000000000/steps", MULTIPART),
        ("/logout", FORM),
        ("/api/v1/sync", (b"content-type", b"application/json")),
    ],
)
async def test_a_body_without_a_session_is_not_read_where_a_session_is_needed(app, path, content_type):
    """Before, the CSRF check parsed the whole body first (the stranger's 50 MB bodies were parsed in full)."""
    body = Body()
    answer = await _send(app, _scope(path, content_type, (b"content-length", FIFTY_MB)), body)
    assert body.asked == 0
    if path.startswith("/api/"):
        assert answer.status == 401 and "请先登录" in msgspec.json.decode(answer.body)["detail"]
    else:
        assert answer.status == 303 and answer.headers["location"] == "/login"
    assert answer.headers["connection"] == "close"  # what is still coming is not read as the next request
    assert "content-security-policy" in answer.headers


async def test_an_htmx_request_without_a_session_is_sent_to_log_in_without_its_body_read(app):
    body = Body()
    scope = _scope("/reconcile/preview", MULTIPART, (b"content-length", FIFTY_MB), (b"hx-request", b"true"))
    answer = await _send(app, scope, body)
    assert body.asked == 0 and answer.headers["hx-redirect"] == "/login"


async def test_bodies_without_a_session_take_nothing_from_the_large_body_budget():
    """The stranger's trickle: anonymous uploads held the budget, and an honest grid worker's list got a 503."""
    settings = msgspec.structs.replace(get_settings(), upload_bodies_mb=1)  # any body in flight fills it
    app = create_app(settings)
    held = [Body(first=b"--" + BOUNDARY + b"\r\n", hold=True) for _ in range(3)]
    scope = _scope("/reconcile/preview", MULTIPART, (b"content-length", FIFTY_MB))
    strangers = [asyncio.create_task(_send(app, dict(scope), body)) for body in held]
    try:
        await asyncio.sleep(0)  # the strangers' requests begin before the worker's
        async with browser(app) as worker:
            assert (await log_in(worker, WORKER)).status_code == 303
            honest = "姓名,电话\n".encode() + b"".join(f"张{n},1390000{n:04d}\n".encode() for n in range(80_000))
            assert len(honest) > 2**20  # a large body: it needs the budget
            answer = await worker.post(
                "/reconcile/preview",
                data={"_csrf_token": csrf(worker)["x-csrftoken"]},
                files={"file": ("名单.csv", honest)},
            )
        assert answer.status_code == 200, answer.text[-500:]
        assert all(body.asked == 0 for body in held)
    finally:
        for body in held:
            body.release()
        answers = await asyncio.gather(*strangers)
    assert {answer.status for answer in answers} == {303}


async def test_a_public_form_without_a_session_is_refused_past_16_kb_before_it_is_read(app):
    body = Body()
    answer = await _send(app, _scope("/login", FORM, (b"content-length", b"1000000")), body)
    assert body.asked == 0
    assert answer.status == 413 and "这个表单太大了（最多 16 KB）。" in answer.text
    assert answer.headers["connection"] == "close"


async def test_bodies_without_a_session_arriving_at_once_are_bounded_per_address_and_in_all():
    """1,100 log-in bodies trickled in held every connection of the worker; now PER_ADDRESS from one address, IN_ALL
    from everyone, and the next is told at once, in words, without its body read."""
    app = create_app(msgspec.structs.replace(get_settings(), body_timeout_seconds=0))  # held as long as the test
    head = _scope("/login", FORM, (b"content-length", b"2000"))

    def from_address(n: int) -> dict:
        return {**head, "client": (f"198.51.100.{n}", 50000)}

    held: list[Body] = []
    tasks = []
    try:
        for _ in range(PER_ADDRESS):
            held.append(Body(first=b"phone=1", hold=True))
            tasks.append(asyncio.create_task(_send(app, from_address(1), held[-1])))
        await _until_asked(held)
        body = Body(
            first=b"phone", hold=True
        )  # one more, trickling: its first part read, then a wait of FIRST_PART_SECONDS cut short
        refused = await _send(app, from_address(1), body)
        assert (
            refused.status == 503 and "现在登录的人多" in refused.text and body.asked == 2
        )  # its first part, then a wait cut short
        assert refused.headers["connection"] == "close"
        # A form whole at once still goes on: bursts of honest log-ins behind one NAT were all counted while they
        # waited for the event loop (32 at 8:00), though none trickles.
        whole = Body(first=b"phone=1")
        assert (await _send(app, from_address(1), whole)).status == 403 and whole.asked  # no CSRF token here
        elsewhere = Body(first=b"phone=1")
        answer = await _send(app, from_address(2), elsewhere)
        assert elsewhere.asked and answer.status == 403  # read, and answered on its merits (no CSRF token)

        # Up to IN_ALL from everyone together.
        n = 2
        while len(held) < IN_ALL:
            n += 1
            for _ in range(min(PER_ADDRESS - 1, IN_ALL - len(held))):
                held.append(Body(first=b"phone=1", hold=True))
                tasks.append(asyncio.create_task(_send(app, from_address(n), held[-1])))
        await _until_asked(held)
        body = Body(first=b"phone", hold=True)
        refused = await _send(app, from_address(n + 1), body)
        assert refused.status == 503 and body.asked == 2
    finally:
        for body in held:
            body.release()
        await asyncio.gather(*tasks)
    body = Body(first=b"phone=1")
    answer = await _send(app, from_address(1), body)  # once they are gone, the address is heard again
    assert body.asked and answer.status == 403


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with Served(GRIDCARE_DEMO="1") as server:
        yield server.port


def test_a_trickled_upload_without_a_session_is_answered_at_once_and_its_connection_closed(port):
    """The stranger's trickle.py against the server as deployed: a 19 MB multipart declared, sent at 1 kB/s. Before,
    it held the connection and the large-body budget; now the answer comes while almost all of it is unsent."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(
            b"POST /reconcile/preview HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 19922944\r\n\r\n--x\r\nContent-Disposition: form-data; name=file; filename=a.csv\r\n\r\n"
        )
        connection.settimeout(1)
        answer, sent, closed = b"", 0, False
        while sent < 60_000 and not closed:  # at most 60 kB of the 19 MB, a kB at a time
            try:
                chunk = connection.recv(65536)
                if not chunk:
                    closed = True
                answer += chunk
            except TimeoutError:
                try:
                    connection.sendall(b"a" * 1000)
                    sent += 1000
                except OSError:  # closed on us
                    closed = True
    assert answer.startswith(b"HTTP/1.1 303"), answer[:300]
    assert b"location: /login" in answer.lower() and b"connection: close" in answer.lower()
    assert closed and sent < 60_000


@pytest.mark.parametrize(("method", "path", "status"), [("POST", "/nonexistent", b"404"), ("POST", "/healthz", b"405")])
def test_a_trickled_body_to_a_path_or_method_no_route_has_is_answered_and_its_connection_closed(
    port, method, path, status
):
    """A stranger's fourth walk of issue 15: the router's 404 and 405 come before every middleware, and the
    connection stayed open while the body trickled in (100 s at 5 B/s; ten of them filled GRIDCARE_LIMIT_CONCURRENCY
    10, and /healthz answered 503)."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: 1000000\r\n\r\nphone=1".encode()
        )
        connection.settimeout(1)
        answer, sent, closed = b"", 0, False
        while sent < 40 and not closed:  # a byte each second the server says nothing, for at most 40
            try:
                chunk = connection.recv(65536)
                if not chunk:
                    closed = True
                answer += chunk
            except ConnectionResetError:
                # Closed with our body unread in its buffer, the server's kernel may reset the connection, and ours
                # then drops the answer it had not handed over yet (a loaded run): closed all the same.
                closed = True
            except TimeoutError:
                try:
                    connection.sendall(b"a")
                    sent += 1
                except OSError:  # closed on us
                    closed = True
    if answer:  # else reset before it was read (above)
        assert answer.split(b" ")[1] == status, answer[:300]
        assert b"connection: close" in answer.lower()
    assert closed and sent < 40


async def test_a_phone_known_before_logs_in_while_strangers_fill_every_lane_and_one_ipv6_site_fills_few():
    """A stranger's fourth walk of issue 15: four addresses, 64 trickled log-ins each, filled IN_ALL, and every log-in
    and join got 503, a phone that had logged in before included; and the per-address bound counted an IPv6 /64, so
    one /48 (65,536 of them) could fill everything alone."""
    from datetime import UTC, datetime

    from server.accounts import login_devices
    from server.accounts.tables import User
    from server.web.anonymous import PER_SITE

    app = create_app(msgspec.structs.replace(get_settings(), body_timeout_seconds=0))  # held as long as the test
    head = _scope("/login", FORM, (b"content-length", b"2000"))
    worker = await User.objects().get(User.phone == WORKER)
    known = await login_devices.remember(worker.id, [], datetime.now(UTC))

    def sent(address: str, *cookies: str) -> dict:
        headers = head["headers"] + [(b"cookie", "; ".join(cookies).encode())] if cookies else head["headers"]
        return {**head, "client": (address, 50000), "headers": headers}

    held: list[Body] = []
    tasks = []
    try:
        # One IPv6 /48, a new /64 for each body: PER_SITE at most, then the /48 is told to wait, another is not.
        for n in range(PER_SITE):
            held.append(Body(first=b"phone=1", hold=True))
            tasks.append(asyncio.create_task(_send(app, sent(f"2001:db8:7:{n:x}::1"), held[-1])))
        await _until_asked(held)
        body = Body(first=b"phone", hold=True)
        assert (await _send(app, sent("2001:db8:7:ffff::1"), body)).status == 503 and body.asked == 2
        body = Body(first=b"phone=1")
        assert (await _send(app, sent("2001:db8:8::1"), body)).status == 403 and body.asked  # read: no CSRF token

        # Every stranger's lane full, from IPv4 addresses.
        n = 0
        while len(held) < IN_ALL:
            n += 1
            for _ in range(min(PER_ADDRESS, IN_ALL - len(held))):
                held.append(Body(first=b"phone=1", hold=True))
                tasks.append(asyncio.create_task(_send(app, sent(f"198.51.101.{n}"), held[-1])))
        await _until_asked(held)
        stranger = Body(first=b"phone", hold=True)
        assert (await _send(app, sent("203.0.113.9"), stranger)).status == 503 and stranger.asked == 2
        forged = Body(first=b"phone", hold=True)
        forged_cookie = f"{login_devices.LOGIN_DEVICE_COOKIE}={'x' * 43}"
        assert (await _send(app, sent("203.0.113.9", forged_cookie), forged)).status == 503 and forged.asked == 2
        # Her phone, known from her last log-in, is heard even with a body that trickles (answered on its merits when
        # it is whole: no CSRF token here).
        hers = Body(first=b"phone=1", hold=True)
        held.append(hers)
        task = asyncio.create_task(
            _send(app, sent("198.51.101.1", f"{login_devices.LOGIN_DEVICE_COOKIE}={known}"), hers)
        )
        await _until_asked([hers])
        hers.release()
        assert (await task).status != 503 and hers.asked == 2  # heard to its end (the test's body then leaves)
        hers = Body(first=b"phone=1")
        cookie = f"{login_devices.LOGIN_DEVICE_COOKIE}={known}"
        assert (await _send(app, sent("198.51.101.1", cookie), hers)).status == 403 and hers.asked
    finally:
        for body in held:
            body.release()
        await asyncio.gather(*tasks)


async def test_the_known_phones_lane_is_bounded_per_address_so_guests_made_with_a_code_hold_no_more():
    """A stranger's fifth walk of issue 15: guests minted with one join code each had a lane of their own, and one
    address held 112 trickled bodies through them (16 is the bound), four addresses 384."""
    from datetime import UTC, datetime

    from server.accounts import login_devices
    from server.accounts.tables import User
    from server.web.anonymous import KNOWN_PER_ADDRESS, PER_PHONE

    app = create_app(msgspec.structs.replace(get_settings(), body_timeout_seconds=0))  # held as long as the test
    head = _scope("/login", FORM, (b"content-length", b"2000"))
    users = await User.objects().where(User.phone.like("138000000%")).order_by(User.phone)
    phones = KNOWN_PER_ADDRESS // PER_PHONE + 2
    devices = [await login_devices.remember(users[n % len(users)].id, [], datetime.now(UTC)) for n in range(phones)]

    def sent(address: str, device: str = "") -> dict:
        cookie = [(b"cookie", f"{login_devices.LOGIN_DEVICE_COOKIE}={device}".encode())] if device else []
        return {**head, "client": (address, 50000), "headers": head["headers"] + cookie}

    held: list[Body] = []
    tasks = []
    try:
        # The strangers' lane of one address full, then its known phones' lane: each device PER_PHONE.
        for _ in range(PER_ADDRESS):
            held.append(Body(first=b"phone=1", hold=True))
            tasks.append(asyncio.create_task(_send(app, sent("198.51.102.1"), held[-1])))
        for n in range(KNOWN_PER_ADDRESS):
            held.append(Body(first=b"phone=1", hold=True))
            tasks.append(asyncio.create_task(_send(app, sent("198.51.102.1", devices[n // PER_PHONE]), held[-1])))
        await _until_asked(held)
        # Another known phone from that address, trickling: told to wait, its lane being full there.
        more = Body(first=b"phone", hold=True)
        held.append(more)  # released at the end if it was held (as on main: the test then fails, not hangs)
        answer = await asyncio.wait_for(asyncio.shield(_send(app, sent("198.51.102.1", devices[-1]), more)), 30)
        assert answer.status == 503 and more.asked == 2
        # Its honest form, whole at once, still goes on (read: no CSRF token here); the same phone elsewhere is heard.
        whole = Body(first=b"phone=1")
        assert (await _send(app, sent("198.51.102.1", devices[-1]), whole)).status == 403 and whole.asked
        elsewhere = Body(first=b"phone=1", hold=True)
        held.append(elsewhere)
        task = asyncio.create_task(_send(app, sent("198.51.102.2", devices[-1]), elsewhere))
        await _until_asked([elsewhere])
        elsewhere.release()
        assert (await task).status != 503 and elsewhere.asked == 2
    finally:
        for body in held:
            body.release()
        await asyncio.gather(*tasks)
