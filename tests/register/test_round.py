"""The daily round's order and badges, birthdays coming, and a go-and-look card that settles the person's day
(issue 16, defects 3, 4 and 8)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.accounts.tables import User
from server.places.services import age_on
from server.places.tables import Resident
from server.register import round as round_module
from server.register.call_times import call_again_at
from server.register.round import AGE_BAND, next_birthday, separate_misses
from server.register.tables import CheckIn, ElderProfile, FollowUp
from server.settings import Settings, get_settings
from tests.conftest import log_in
from tests.register.test_routes import HOU, HOU_WORKER, call, form, round_rows

# Grid 2 (李雪敏): twelve people in the demo's round (imports of other tests add some), every one of them on the
# priority line (living alone or walking badly).


def _today() -> date:
    return Settings().today()


@pytest.fixture
async def quiet_round():
    """Grid 2's round with no calls, cards or birthday changes of its own (other tests call 侯秀兰 too); put back."""
    people = [row["resident"] for row in await _grid_2_people()]
    births = {
        row["id"]: row["birth_date"]
        for row in await Resident.select(Resident.id, Resident.birth_date).where(Resident.id.is_in(people))
    }

    async def clear() -> None:
        await CheckIn.delete().where(CheckIn.resident.is_in(people))
        await FollowUp.delete().where(FollowUp.resident.is_in(people))

    await clear()
    yield people
    await clear()
    for resident_id, birth in births.items():
        await Resident.update({Resident.birth_date: birth}).where(Resident.id == resident_id)


async def _grid_2_people() -> list[dict]:
    worker = await User.objects().get(User.phone == HOU_WORKER)
    return [
        row
        for row in await ElderProfile.select(
            ElderProfile.resident, ElderProfile.resident.household.building.grid.as_alias("grid")
        ).where(ElderProfile.in_round.eq(True))
        if row["grid"] == worker.grid
    ]


def _names(html: str) -> list[str]:
    return [re.search(r'class="row-title"[^>]*>([^<]+)<', content).group(1) for _, content in round_rows(html)]


async def test_the_round_puts_the_oldest_living_alone_first_not_the_lowest_door(client, quiet_round) -> None:
    """On main the round was in door order, so 侯秀兰 (85, alone, door 2-2-1202) came after people of 66."""
    await log_in(client, HOU_WORKER)
    names = _names((await client.get("/round")).text)
    assert len(names) == len(quiet_round)
    facts = {
        row["name"]: row
        for row in await ElderProfile.select(
            ElderProfile.living,
            ElderProfile.resident.name.as_alias("name"),
            ElderProfile.resident.birth_date.as_alias("birth"),
        ).where(ElderProfile.resident.is_in(quiet_round))
    }
    alone = [name for name in names if facts[name]["living"] == "alone"]
    assert names[: len(alone)] == alone  # living alone first
    bands = [age_on(facts[name]["birth"], _today()) // AGE_BAND for name in alone]
    assert bands == sorted(bands, reverse=True)  # the oldest first among them
    assert names.index("侯秀兰") < names.index("裴有才")  # 85 and alone before 85 with his wife


async def test_a_missed_call_due_again_comes_first_and_one_just_made_waits_below(client, quiet_round) -> None:
    await log_in(client, HOU_WORKER)
    names = _names((await client.get("/round")).text)
    last, second_last = names[-1], names[-2]
    worker = await User.objects().get(User.phone == HOU_WORKER)
    ids = {
        row["name"]: row["id"]
        for row in await Resident.select(Resident.id, Resident.name).where(Resident.id.is_in(quiet_round))
    }
    now = datetime.now(UTC)
    due = now - timedelta(hours=2)
    best = (await ElderProfile.select(ElderProfile.best_time).where(ElderProfile.resident == ids[last]).first())[
        "best_time"
    ]
    while call_again_at(due, best) > now:  # at night nobody is due again before 8:00: a miss of the afternoon before is
        due -= timedelta(hours=1)
    for name, at in ((last, due), (second_last, now - timedelta(minutes=5))):
        await CheckIn.insert(
            CheckIn(
                id=uuid.uuid4(),
                content_hash="x",
                community=worker.community,
                resident=ids[name],
                day=_today(),
                outcome="no_answer",
                caller=worker.id,
                device_time=at,
                received_at=at,
            )
        )
    names = _names((await client.get("/round")).text)
    assert names[0] == last  # missed two hours ago: due again, before everyone not yet called
    assert names[-1] == second_last  # missed five minutes ago: after everyone not yet called


async def test_badges_say_why_a_person_comes_first_and_none_is_on_every_row(client, quiet_round) -> None:
    """On main every row of the round carried 一号专线, which told the worker nothing."""
    await log_in(client, HOU_WORKER)
    page = (await client.get("/round")).text
    rows = round_rows(page)
    assert not any('data-testid="badge-priority"' in content for _, content in rows)
    hou = next(content for _, content in rows if "侯秀兰" in content)
    assert re.search(r'data-testid="badge-alone">独居<', hou)
    pei = next(content for _, content in rows if "裴有才" in content)  # with his wife, walks badly
    assert "badge-alone" not in pei and re.search(r'data-testid="badge-mobility">行动不便<', pei)

    # Marked by the office for its own reason: then, and only then, the badge says 一号专线.
    zhao = await Resident.objects().get((Resident.name == "赵建设") & Resident.id.is_in(quiet_round))  # grid 2's
    await ElderProfile.update({ElderProfile.mobility: "good"}).where(ElderProfile.resident == zhao.id)
    try:
        rows = round_rows((await client.get("/round")).text)
        zhao_row = next(content for _, content in rows if "赵建设" in content)
        assert re.search(r'data-testid="badge-priority">一号专线<', zhao_row)
    finally:
        await ElderProfile.update({ElderProfile.mobility: "limited"}).where(ElderProfile.resident == zhao.id)


async def test_days_without_an_answer_earn_a_badge(client, quiet_round) -> None:
    await log_in(client, HOU_WORKER)
    worker = await User.objects().get(User.phone == HOU_WORKER)
    then = datetime.now(UTC) - timedelta(days=3)
    await CheckIn.insert(
        CheckIn(
            id=uuid.uuid4(),
            content_hash="x",
            community=worker.community,
            resident=HOU,
            day=_today() - timedelta(days=3),
            outcome="ok",
            caller=worker.id,
            device_time=then,
            received_at=then,
        )
    )
    rows = round_rows((await client.get("/round")).text)
    hou = next(content for _, content in rows if "侯秀兰" in content)
    assert re.search(r'data-testid="badge-unreached">3天没联系上<', hou)
    assert sum('data-testid="badge-unreached"' in content for _, content in rows) == 1
    assert (await call(client, HOU, "ok")).status_code == 303  # reached today: nothing to flag
    rows = round_rows((await client.get("/round")).text)
    assert "badge-unreached" not in next(content for _, content in rows if "侯秀兰" in content)


async def test_a_birthday_in_the_coming_two_weeks_is_on_the_round_with_the_age_turned(client, quiet_round) -> None:
    """On main only a birthday of today was shown: an elder turning 80 in five days got no prompt."""
    today = _today()
    coming = today + timedelta(days=5)
    birth = date(coming.year - 80, coming.month, min(coming.day, 28))
    await Resident.update({Resident.birth_date: birth}).where(Resident.id == HOU)
    await log_in(client, HOU_WORKER)
    rows = round_rows((await client.get("/round")).text)
    hou = next(content for _, content in rows if "侯秀兰" in content)
    days = (birth.replace(year=coming.year) - today).days
    assert f"{days}天后80岁生日" in hou
    await Resident.update({Resident.birth_date: today.replace(year=today.year - 90)}).where(Resident.id == HOU)
    rows = round_rows((await client.get("/round")).text)
    assert "今天90岁生日" in next(content for _, content in rows if "侯秀兰" in content)
    far = today + timedelta(days=20)
    await Resident.update({Resident.birth_date: date(far.year - 80, far.month, min(far.day, 28))}).where(
        Resident.id == HOU
    )
    rows = round_rows((await client.get("/round")).text)
    assert 'data-testid="birthday"' not in next(content for _, content in rows if "侯秀兰" in content)


@pytest.mark.parametrize(
    ("today", "birth", "expected"),
    [
        (date(2026, 12, 20), date(1946, 1, 2), (13, 81)),  # across the new year
        (date(2026, 12, 20), date(1946, 1, 5), None),  # 16 days: not yet
        (date(2027, 2, 20), date(1944, 2, 29), (8, 83)),  # a leap-day birthday, kept on 28 February
        (date(2026, 6, 1), None, None),
    ],
)
def test_next_birthday(today, birth, expected) -> None:
    assert next_birthday(birth, today) == expected


async def test_a_go_and_look_card_closed_as_safe_settles_the_persons_round(client, quiet_round) -> None:
    """On main, after the card was closed as 平安, 侯秀兰 still read 2次未接 and was still counted to call."""
    await log_in(client, HOU_WORKER)
    for _ in range(2):
        assert (await call(client, HOU, "no_answer")).status_code == 303
    page = (await client.get("/round")).text
    waiting = int(re.search(r"还有 <span data-round-left>(\d+)</span> 人要联系", page).group(1))
    card = await FollowUp.objects().get(FollowUp.resident == HOU)

    refused = await client.post(f"/follow-ups/{card.id}/done", data=form(client, outcome="楼长看过"))
    assert refused.status_code == 400 and "请选择看到的情况" in refused.text  # which outcome, in words
    needs = await client.post(f"/follow-ups/{card.id}/done", data=form(client, found="needs", outcome=" "))
    assert needs.status_code == 400 and "写下需要什么" in needs.text
    assert (await FollowUp.objects().get(FollowUp.id == card.id)).status == "open"  # nothing changed

    done = await client.post(
        f"/follow-ups/{card.id}/done", data=form(client, found="ok", outcome="楼长敲门，老人在睡觉")
    )
    assert done.status_code == 303
    again = await client.post(f"/follow-ups/{card.id}/done", data=form(client, found="unwell", outcome="再点一次"))
    assert again.status_code == 303
    page = (await client.get("/round")).text
    hou = next(content for classes, content in round_rows(page) if "侯秀兰" in content)
    assert "次未接" not in hou and "平安" in hou
    assert int(re.search(r"还有 <span data-round-left>(\d+)</span> 人要联系", page).group(1)) == waiting - 1
    assert 'data-testid="follow-up"' not in page
    visits = await CheckIn.select(CheckIn.outcome, CheckIn.note).where(
        (CheckIn.resident == HOU) & (CheckIn.outcome != "no_answer")
    )
    assert visits == [{"outcome": "ok", "note": "楼长敲门，老人在睡觉"}]  # one visit, the first closing's


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [([], 0), ([0], 1), ([0, 0.1], 1), ([0, 4 / 60, 9], 1), ([0, 10], 2), ([0, 3, 10, 11, 25], 3)],
)
def test_missed_calls_count_only_when_made_apart(minutes, expected) -> None:
    start = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    times = [start + timedelta(minutes=m) for m in minutes]
    assert separate_misses(times, timedelta(minutes=10)) == expected


async def test_unanswered_taps_seconds_apart_are_one_missed_call(client, quiet_round, monkeypatch) -> None:
    """A stranger's walk of issue 16: 未接 tapped twice four seconds apart read 2次未接 and opened a card."""
    monkeypatch.setattr(round_module, "calls_apart", lambda: timedelta(minutes=10))  # the default; tests set 0
    await log_in(client, HOU_WORKER)
    for _ in range(2):
        assert (await call(client, HOU, "no_answer")).status_code == 303
    assert not await FollowUp.exists().where(FollowUp.resident == HOU)
    rows = round_rows((await client.get("/round")).text)
    hou = next(content for _, content in rows if "侯秀兰" in content)
    assert "1次未接" in hou
    # The next call, an hour later by the phone's clock: a second missed call, and the card.
    worker = await User.objects().get(User.phone == HOU_WORKER)
    later = datetime.now(UTC) + timedelta(hours=1)
    await CheckIn.insert(
        CheckIn(
            id=uuid.uuid4(),
            content_hash="x",
            community=worker.community,
            resident=HOU,
            day=_today(),
            outcome="no_answer",
            caller=worker.id,
            device_time=later,
            received_at=later,
        )
    )
    rows = round_rows((await client.get("/round")).text)
    assert "2次未接" in next(content for _, content in rows if "侯秀兰" in content)


async def test_a_person_with_no_phone_of_their_own_says_so_with_their_relatives_one_tap_away(client, quiet_round):
    """A stranger's walk of issue 16: the first of the round (94, alone) had no call button and no word why."""
    await log_in(client, HOU_WORKER)
    hou = await Resident.objects().get((Resident.name == "侯秀兰") & Resident.id.is_in(quiet_round))
    await Resident.update({Resident.phone: None}).where(Resident.id == hou.id)
    try:
        rows = round_rows((await client.get("/round")).text)
        row = next(content for _, content in rows if "侯秀兰" in content)
        assert 'data-testid="show-phone"' not in row
        found = re.search(r'href="([^"]+)"[^>]*data-testid="no-phone">(.*?)</a>', row, re.S)
        assert found and "没有电话" in found.group(2)
        # It opens her profile, where her relatives' numbers are (a stranger's walk: it led to a page that is none).
        profile = await client.get(found.group(1))
        assert profile.status_code == 200 and found.group(1) == f"/residents/{hou.id}/profile", found.group(1)
        assert "：看家属的电话" in found.group(2)  # a Chinese colon: ": 看家属的电话" read a stray mark
        others = [content for _, content in rows if "侯秀兰" not in content and 'data-testid="show-phone"' in content]
        assert others and not any('data-testid="no-phone"' in content for content in others)
    finally:
        await Resident.update({Resident.phone: hou.phone}).where(Resident.id == hou.id)


def test_a_call_missed_late_in_the_evening_is_due_again_the_next_morning_not_at_midnight():
    """A stranger's walk of issue 16: a call missed at 23:16 said 再打 00:16."""
    zone = ZoneInfo(get_settings().timezone)

    def at(day: int, hour: int, minute: int) -> datetime:
        return datetime(2022, 11, day, hour, minute, tzinfo=zone)

    assert call_again_at(at(24, 10, 5)) == at(24, 11, 5)
    assert call_again_at(at(24, 19, 59)) == at(24, 20, 59)
    assert call_again_at(at(24, 20, 0)) == at(25, 8, 0)  # due at 21:00: the night's first minute
    assert call_again_at(at(24, 23, 16)) == at(25, 8, 0)
    assert call_again_at(at(25, 0, 30)) == at(25, 8, 0)  # past midnight: this morning
    assert call_again_at(at(25, 6, 30)) == at(25, 8, 0)
    assert call_again_at(at(25, 7, 0)) == at(25, 8, 0)
    assert call_again_at(at(24, 15, 16).astimezone(UTC)) == at(24, 16, 16)  # stored times are UTC


async def test_the_round_says_to_call_again_at_the_persons_best_time_not_before(client, quiet_round) -> None:
    """A stranger's walk of issue 16: 侯秀兰, best called after nine, missed at 7:30, read 08:30 再打."""
    await log_in(client, HOU_WORKER)
    worker = await User.objects().get(User.phone == HOU_WORKER)
    before = (await ElderProfile.select(ElderProfile.best_time).where(ElderProfile.resident == HOU).first())[
        "best_time"
    ]
    await ElderProfile.update({ElderProfile.best_time: "上午九点以后"}).where(ElderProfile.resident == HOU)
    try:
        missed = datetime.combine(_today(), datetime.min.time(), ZoneInfo(get_settings().timezone)).replace(
            hour=7, minute=30
        )
        await CheckIn.insert(
            CheckIn(
                id=uuid.uuid4(),
                content_hash="x",
                community=worker.community,
                resident=HOU,
                day=_today(),
                outcome="no_answer",
                caller=worker.id,
                device_time=missed,
                received_at=missed,
            )
        )
        hou = next(content for _, content in round_rows((await client.get("/round")).text) if "侯秀兰" in content)
        assert "09:00 再打" in hou and "08:30" not in hou
    finally:
        await ElderProfile.update({ElderProfile.best_time: before}).where(ElderProfile.resident == HOU)
