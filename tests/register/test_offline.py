"""Today's round readable offline with whole numbers: handed to the grid worker's phone once, logged with the count."""

from __future__ import annotations

import re

from server.audit.tables import AuditEntry
from server.demo.seed import STORY_RESIDENT_IDS
from server.places.tables import Resident
from tests.conftest import browser, log_in

HOU = STORY_RESIDENT_IDS["侯秀兰"]  # grid 2, 李雪敏's
GUO = STORY_RESIDENT_IDS["郭德胜"]  # grid 5
WORKER = "13800000002"


async def handed_over(phone: str) -> list[str]:
    return [
        row["target_id"]
        for row in await AuditEntry.select(AuditEntry.target_id).where(
            (AuditEntry.action == "round.phones_offline") & (AuditEntry.user.phone == phone)
        )
    ]


async def test_the_grid_worker_gets_her_rounds_numbers_once_logged_with_the_count(app):
    async with browser(app) as client:
        await log_in(client, WORKER)
        page = await client.get("/round")
        key = re.search(r'data-offline-key="([0-9a-f]+)"', page.text).group(1)
        assert "data-offline-phones" in page.text and re.search(r"\d{3}\*{4}\d{4}", page.text)
        before = await handed_over(WORKER)
        answer = await client.get("/api/v1/round/phones")
        assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
        kept = answer.json()
        assert kept["key"] == key  # the page fetches again only when its round changed
        hou_phone = (await Resident.objects().get(Resident.id == HOU)).phone
        assert kept["phones"][str(HOU)] == hou_phone
        assert str(GUO) not in kept["phones"]  # another grid's
        assert await handed_over(WORKER) == [*before, str(len(kept["phones"]))]  # one entry, with the count
        assert kept["until"] > 0 and kept["user"]


async def test_nobody_else_gets_the_numbers(app):
    for phone, status in (("13800000000", 403), ("13900000001", 403), ("13700000001", 403), (None, 401)):
        async with browser(app) as client:
            if phone:
                await log_in(client, phone)
            answer = await client.get("/api/v1/round/phones")
            assert answer.status_code == status, phone
            assert "phones" not in answer.text
            if phone == "13800000000":  # the admin's round page does not ask for them either
                assert "data-offline-phones" not in (await client.get("/round")).text
