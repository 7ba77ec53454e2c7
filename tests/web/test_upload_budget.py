"""Large bodies taken in at once (a stranger's walk of issue 15, F3): twenty 50 MB lists sent at once by one grid
worker took the server from 111 MB to 379 MB, kept. A body larger than a form is taken in only if it is the person's
only one in flight and within the server's budget; any other is answered 503 in words before it is read."""

from __future__ import annotations

import asyncio

import httpx
import msgspec

from server.app import create_app
from server.imports.limits import MAX_BYTES
from server.settings import get_settings
from tests.conftest import log_in

WORKER = "13800000002"
OTHER_WORKER = "13800000003"
OVERSIZED = b"x" * (MAX_BYTES + 1024)  # refused as too large once read: the cheapest body to read whole


class BodiesInFlight:
    """Wraps the app: counts the upload requests whose body is being taken in (receive called) and not yet
    answered, and the most at once."""

    def __init__(self, app) -> None:
        self.app = app
        self.now = 0
        self.most = 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != "/reconcile/preview":
            await self.app(scope, receive, send)
            return
        started = False

        async def counted_receive():
            nonlocal started
            if not started:
                started = True
                self.now += 1
                self.most = max(self.most, self.now)
            return await receive()

        try:
            await self.app(scope, counted_receive, send)
        finally:
            if started:
                self.now -= 1


async def _people(app, phones: list[str]) -> list[httpx.AsyncClient]:
    clients = []
    for phone in phones:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local")
        assert (await log_in(client, phone)).status_code == 303
        clients.append(client)
    return clients


async def _send(client: httpx.AsyncClient, name: str, data: bytes) -> httpx.Response:
    return await client.post(
        "/reconcile/preview", data={"_csrf_token": client.cookies["gc_csrf"]}, files={"file": (name, data)}
    )


async def test_one_persons_large_uploads_at_once_are_taken_in_one_at_a_time():
    counter = BodiesInFlight(create_app())
    (worker,) = await _people(counter, [WORKER])
    answers = await asyncio.gather(*(_send(worker, f"大{n}.csv", OVERSIZED) for n in range(6)))
    assert counter.most == 1
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses[0] == 400 and set(statuses) <= {400, 503}  # the first read (too large), the others told
    for answer in answers:
        if answer.status_code == 503:
            assert "您上一个文件还在读取中" in answer.text
        else:
            assert "文件太大了" in answer.text
    honest = "姓名,电话\n".encode() + b"".join(f"张{n},1390000{n:04d}\n".encode() for n in range(80_000))
    assert len(honest) > 1024 * 1024  # a large body too
    answer = await _send(worker, "名单.csv", honest)
    assert answer.status_code == 200, answer.text[-1000:]  # once the others are answered, an honest list is read
    await worker.aclose()


async def test_large_uploads_of_several_people_stay_within_the_servers_budget():
    budget = msgspec.structs.replace(get_settings(), upload_bodies_mb=(2 * len(OVERSIZED) - 1) // 2**20)
    counter = BodiesInFlight(create_app(budget))
    people = await _people(counter, [WORKER, OTHER_WORKER])
    answers = await asyncio.gather(*(_send(people[n % 2], f"大{n}.csv", OVERSIZED) for n in range(6)))
    assert counter.most == 1  # two bodies would pass the budget
    for answer in answers:
        assert answer.status_code in (400, 503)
        if answer.status_code == 503:
            assert "服务器正忙" in answer.text or "您上一个文件还在读取中" in answer.text
    for person in people:
        await person.aclose()
