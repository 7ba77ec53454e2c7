"""How many uploads are read at once: `upload_readers` in the whole server, whatever its number of worker
processes, and one a person (server.offload, decision 0018). An upload that finds no reader free within
`upload_wait_seconds` is told in words that the server is busy (a 503: a phone's outbox keeps its photo).

A stranger's third review of issue 15: with two workers, each read two uploads at once, and eight hostile ones
in parallel (some from one person in several tabs) took the server and its children to 1,321 MB while an honest
list waited 16-24 s."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import textwrap
import uuid

import msgspec
import pytest

from server import offload
from server.accounts.tables import User
from server.errands.tables import ErrandPhoto
from server.guides.tables import GuideStep
from server.settings import get_settings
from tests.conftest import browser, csrf, log_in
from tests.errands.test_routes import HOU_WORKER, card_id_of, jpeg, new_card
from tests.guides.pictures import png_bytes
from tests.guides.test_routes import make_guide
from tests.imports import children
from tests.imports.test_children import until_started
from tests.register.files import people_of_building, row, xlsx_register

WORKER = "13800000002"  # 李雪敏, grid 2
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def no_waiting(monkeypatch):
    """Busy at once rather than after the deployment's wait: the tests say what happens, not how long it takes."""
    settings = msgspec.structs.replace(get_settings(), upload_wait_seconds=0)
    monkeypatch.setattr(offload, "get_settings", lambda: settings)


def other_worker_process(paths: list[str]) -> subprocess.Popen:
    """Another process of the server (as uvicorn's second worker) reading uploads: it holds these lock files."""
    script = textwrap.dedent(
        f"""
        import fcntl, os, sys, time
        for path in {paths!r}:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
        print("held", flush=True)
        time.sleep(600)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)  # noqa: S603
    assert process.stdout.readline().strip() == "held"
    return process


async def preview(client, data: bytes):
    form = {"_csrf_token": client.cookies["gc_csrf"]}
    return await client.post("/register/import/preview", data=form, files={"file": ("台账.xlsx", data, XLSX)})


async def a_small_register() -> bytes:
    people = await people_of_building(2, limit=2, offset=40)
    return xlsx_register([row(n, p) for n, p in enumerate(people, start=1)])


async def test_the_readers_are_counted_across_the_servers_processes_and_a_crashed_one_frees_its_slot(app, no_waiting):
    folder = offload.slots_dir()
    folder.mkdir(parents=True, exist_ok=True)
    slots = [str(folder / f"slot-{n}.lock") for n in range(get_settings().upload_readers)]
    data = await a_small_register()
    other = other_worker_process(slots)
    try:
        async with browser(app) as client:
            await log_in(client, WORKER)
            page = await preview(client, data)
            assert page.status_code == 503, page.text[-2000:]
            assert "服务器正忙" in page.text and "一分钟后" in page.text
            client.cookies.set("gc_lang", "en")
            page = await preview(client, data)
            assert page.status_code == 503 and "The server is busy reading other people" in page.text
            client.cookies.set("gc_lang", "zh_CN")
            other.send_signal(signal.SIGKILL)  # the other worker dies while reading: the kernel lets go of its locks
            other.wait()
            page = await preview(client, data)
            assert page.status_code == 200, page.text[-2000:]
    finally:
        if other.poll() is None:
            other.kill()
            other.wait()


async def test_one_person_has_one_upload_read_at_a_time_and_others_go_on(app, tmp_path, no_waiting):
    """A person's second upload, while their first is read, is told to wait for it; another person's is read."""
    worker = await User.objects().get(User.phone == WORKER)
    started, gate = tmp_path / "started", tmp_path / "gate"

    async def first_upload():
        offload.uploader.set(str(worker.id))  # this task is the worker's first request
        return await offload.off_loop(children.held, str(started), str(gate))

    first = asyncio.create_task(first_upload())
    await until_started(started)
    data = await a_small_register()
    try:
        async with browser(app) as same, browser(app) as someone_else:
            await log_in(same, WORKER)
            await log_in(someone_else, "13800000000")
            page = await preview(same, data)
            assert page.status_code == 503, page.text[-2000:]
            assert "您上一个文件还在读取" in page.text
            page = await preview(someone_else, data)
            assert page.status_code == 200, page.text[-2000:]
            assert not first.done()
    finally:
        gate.touch()
    assert await first == "done"
    async with browser(app) as same:
        await log_in(same, WORKER)
        assert (await preview(same, data)).status_code == 200  # the first done, the next is read


async def test_a_photo_from_the_outbox_while_the_server_is_busy_stays_on_the_phone(app, no_waiting):
    """A 503 with the reason: the outbox sends it again later (a 400 would mark it refused for good)."""
    folder = offload.slots_dir()
    folder.mkdir(parents=True, exist_ok=True)
    slots = [str(folder / f"slot-{n}.lock") for n in range(get_settings().upload_readers)]
    async with browser(app) as worker:
        await log_in(worker, HOU_WORKER)
        card_id = card_id_of(await new_card(worker))
        outbox = {**csrf(worker), "accept": "application/json"}
        form = {"role": "delivery", "photo_id": str(uuid.uuid4())}
        files = {"photo": ("IMG_0002.jpg", jpeg(), "image/jpeg")}
        other = other_worker_process(slots)
        try:
            answer = await worker.post(f"/errands/{card_id}/photos", data=form, files=files, headers=outbox)
        finally:
            other.kill()
            other.wait()
        assert answer.status_code == 503 and answer.json()["reason"] == "busy", answer.text
        assert "服务器正忙" in answer.json()["message"]
        assert await ErrandPhoto.count().where(ErrandPhoto.errand == card_id) == 0
        answer = await worker.post(f"/errands/{card_id}/photos", data=form, files=files, headers=outbox)
        assert (answer.status_code, answer.json()) == (200, {"status": "accepted"})


async def test_a_guide_picture_sent_while_the_server_is_busy_is_told_so_and_adds_no_step(app, no_waiting):
    folder = offload.slots_dir()
    folder.mkdir(parents=True, exist_ok=True)
    slots = [str(folder / f"slot-{n}.lock") for n in range(get_settings().upload_readers)]
    async with browser(app) as writer:
        guide = await make_guide(writer, "忙的时候")
        other = other_worker_process(slots)
        try:
            answer = await writer.post(
                f"/guides/{guide}/steps",
                data={"_csrf_token": writer.cookies["gc_csrf"], "text": "打开微信"},
                files={"picture": ("screen.png", png_bytes(), "image/png")},
            )
        finally:
            other.kill()
            other.wait()
        assert answer.status_code == 503 and "服务器正忙" in answer.text
        assert 'data-testid="add-step-form"' in answer.text  # the form again, with what was typed
        assert await GuideStep.count().where(GuideStep.guide == guide) == 0
