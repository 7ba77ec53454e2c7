"""A missed call is due again at the person's best time when it is near (a stranger's walk of issue 16: 再打 08:00
beside 最好在上午九点以后)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from server.register.call_times import best_from, call_again_at
from server.settings import get_settings


@pytest.mark.parametrize(
    ("said", "starts"),
    [
        ("上午九点以后", time(9)),
        ("上午十点", time(10)),
        ("下午三点左右", time(15)),
        ("下午三点半", time(15, 30)),
        ("晚上7点", time(19)),
        ("10:30", time(10, 30)),
        ("9：15以后", time(9, 15)),
        ("中午一点", time(13)),
        ("十一点", time(11)),
        ("三点一刻", time(15, 15)),  # no word of the day: 3 in the night is nobody's best time
        ("下午两点二十", time(14, 20)),
        ("早上８点", time(8)),
        ("上午9-10点", time(9)),  # a span: from its start (it read 10:00)
        ("上午9~10点", time(9)),
        ("九点到十点", time(9)),
    ],
)
def test_a_best_time_said_with_a_clock_time_is_read(said: str, starts: time):
    assert best_from(said) == starts


@pytest.mark.parametrize(
    "said",
    [
        *("", "午饭后", "晚饭前", "十点以前", "上午十点之前", "随时", "晚上十二点", "25点", "九"),
        "午睡，中午12点到2点别打",  # a time NOT to call: it read 12:00, the very time (a stranger's walk)
        "12点以后不要打",
    ],
)
def test_a_best_time_without_a_clock_time_to_start_from_moves_nothing(said: str):
    assert best_from(said) is None


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2022, 11, day, hour, minute, tzinfo=ZoneInfo(get_settings().timezone))


def test_a_call_due_in_the_morning_waits_for_the_persons_best_time_when_it_is_near():
    assert call_again_at(_at(24, 23, 16), "上午九点以后") == _at(25, 9)  # was 08:00 beside 最好在上午九点以后
    assert call_again_at(_at(25, 7, 45), "上午十点") == _at(25, 10)
    assert call_again_at(_at(25, 7, 45).astimezone(UTC), "10:30") == _at(25, 10, 30)


def test_a_missed_call_does_not_wait_hours_for_a_best_time_far_off_or_already_past():
    # A missed call is a worry: due at 9:30, a best time of three in the afternoon is shown beside, and moves nothing.
    assert call_again_at(_at(25, 8, 30), "下午三点左右") == _at(25, 9, 30)
    assert call_again_at(_at(25, 14, 0), "上午九点以后") == _at(25, 15)  # past for today: an hour after the miss
    assert call_again_at(_at(25, 10, 0), "午饭后") == _at(25, 11)
    assert call_again_at(_at(24, 23, 16), "晚上八点") == _at(25, 8)  # the next morning, not the next evening
