"""A resident's calls on their profile: when, who, newest first, and a long history paged (issue 16, a stranger's
walk: the records had neither their time nor who made the call)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.accounts.tables import User
from server.audit.tables import AuditEntry
from server.demo.seed import COMMUNITY_ID
from server.places.tables import Resident
from server.register.round import VISIT_NAMESPACE
from server.register.tables import CheckIn, ElderProfile, FollowUp
from server.settings import get_settings
from tests.conftest import browser, log_in
from tests.register.test_routes import GUO, GUO_WORKER, HOU_WORKER

ADMIN = "13800000000"
VOLUNTEER = "13900000001"
OUTCOME = {"ok": "平安", "no_answer": "未接", "unwell": "身体不适", "needs": "需要帮忙"}


def calls_of(html: str) -> list[str]:
    """The text of each call record on a page, tags dropped, in page order."""
    items = re.findall(r'<li class="[^"]*"[^>]*data-testid="call"[^>]*>(.*?)</li>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def more_link(html: str) -> str | None:
    found = re.search(
        r'<a[^>]*data-testid="calls-more"[^>]*href="([^"]+)"|<a[^>]*href="([^"]+)"[^>]*data-testid="calls-more"', html
    )
    return (found.group(1) or found.group(2)).replace("&amp;", "&") if found else None


def local(moment: datetime) -> str:
    settings = get_settings()
    at = moment.astimezone(ZoneInfo(settings.timezone))
    return at.strftime("%H:%M") if at.date() == settings.today() else at.strftime("%m-%d %H:%M")


@pytest.fixture
async def history():
    """26 calls of one person of grid 5 over 13 days, by the grid worker and the admin, and a visit that closed a
    go-and-look card; newest first as the profile should list them. Removed afterwards."""
    grid = (await Resident.select(Resident.household.building.grid.as_alias("grid")).where(Resident.id == GUO))[0]
    resident = (
        await ElderProfile.select(ElderProfile.resident).where(
            (ElderProfile.resident.household.building.grid == grid["grid"]) & (ElderProfile.resident != GUO)
        )
    )[0]["resident"]
    worker = await User.select(User.id, User.name).where(User.phone == GUO_WORKER).first()
    admin = await User.select(User.id, User.name).where(User.phone == ADMIN).first()
    now = datetime.now(UTC).replace(microsecond=0)
    outcomes = ["ok", "no_answer", "unwell", "needs"]
    made = []
    for n in range(26):
        at = now - timedelta(hours=12 * n, minutes=n)
        who = worker if n % 3 else admin
        outcome = outcomes[n % 4]
        made.append(
            CheckIn(
                id=uuid.uuid4(),
                content_hash="t" * 64,
                community=COMMUNITY_ID,
                resident=resident,
                day=at.astimezone(ZoneInfo(get_settings().timezone)).date(),
                outcome=outcome,
                need="降压药" if outcome == "needs" else "",
                note="",
                caller=who["id"],
                # Sent in the reverse order they were made (offline, then synced): the page orders by when made.
                device_time=at,
                received_at=now,
            )
        )
    card = uuid.uuid4()
    visit_at = now - timedelta(hours=12 * 5 + 30)  # between two calls
    made.append(
        CheckIn(
            id=uuid.uuid5(VISIT_NAMESPACE, str(card)),
            content_hash="v" * 64,
            community=COMMUNITY_ID,
            resident=resident,
            day=visit_at.date(),
            outcome="ok",
            note="楼长敲门，老人在睡觉",
            caller=worker["id"],
            device_time=visit_at,
            received_at=visit_at,
        )
    )
    await CheckIn.insert(*reversed(made))
    await FollowUp.insert(
        FollowUp(
            id=card,
            community=COMMUNITY_ID,
            grid=grid["grid"],
            resident=resident,
            day=visit_at.date(),
            status="done",
            outcome="楼长敲门，老人在睡觉",
            created_at=visit_at,
            closed_at=visit_at,
            closed_by=worker["id"],
        )
    )
    expected = sorted(made, key=lambda c: c.device_time, reverse=True)
    names = {worker["id"]: worker["name"], admin["id"]: admin["name"]}
    yield resident, [(local(c.device_time), OUTCOME[c.outcome], names[c.caller], c.id) for c in expected]
    await CheckIn.delete().where(CheckIn.id.is_in([c.id for c in made]))
    await FollowUp.delete().where(FollowUp.id == card)


def says(record: str, when: str, outcome: str, who: str) -> bool:
    return record.startswith(when) and outcome in record and who in record


async def test_each_call_says_when_and_who_newest_first_and_a_long_history_is_paged(app, history):
    resident, expected = history
    async with browser(app) as client:
        await log_in(client, GUO_WORKER)
        page = await client.get(f"/residents/{resident}/profile")
        assert page.status_code == 200
        shown = calls_of(page.text)
        # The profile stays small: the newest few, and the way to the rest.
        assert 0 < len(shown) <= 10
        for record, (when, outcome, who, _id) in zip(shown, expected, strict=False):
            assert says(record, when, outcome, who), (record, when, outcome, who)
        seen = list(shown)
        link = more_link(page.text)
        pages = 0
        while link:
            pages += 1
            before = await AuditEntry.count().where(
                (AuditEntry.action == "profile.view") & (AuditEntry.target_id == str(resident))
            )
            older = await client.get(link)
            assert older.status_code == 200 and "<html" in older.text  # a page of its own without JavaScript
            assert (
                await AuditEntry.count().where(
                    (AuditEntry.action == "profile.view") & (AuditEntry.target_id == str(resident))
                )
                == before + 1
            )  # a read of the history is logged as the profile's is
            fragment = await client.get(link, headers={"HX-Request": "true"})
            assert fragment.status_code == 200 and "<html" not in fragment.text
            assert calls_of(fragment.text) == calls_of(older.text)
            seen += calls_of(older.text)
            link = more_link(older.text)
        assert pages >= 1 and len(seen) == len(expected)  # each once, none skipped
        for record, (when, outcome, who, _id) in zip(seen, expected, strict=True):
            assert says(record, when, outcome, who), (record, when, outcome, who)
        visit = next(r for r in seen if "楼长敲门" in r)
        assert "上门" in visit  # a go-and-look card's finding says it was a visit, not a call


async def test_only_who_may_see_the_profile_sees_its_calls(app, history):
    resident, expected = history
    path = f"/residents/{resident}/calls"
    for phone, status in ((HOU_WORKER, 404), (VOLUNTEER, 403), (ADMIN, 200)):
        async with browser(app) as client:
            await log_in(client, phone)
            for url in (f"/residents/{resident}/profile", path, f"/residents/{uuid.uuid4()}/calls"):
                answer = await client.get(url)
                if url.startswith(f"/residents/{resident}"):
                    assert answer.status_code == status, (phone, url)
                else:
                    assert answer.status_code in (403, 404), (phone, url)
                if status != 200:
                    assert "降压药" not in answer.text
