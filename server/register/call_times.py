"""When an elder is called again after a missed call: an hour later, out of the night, and at the person's own best
time when it is near (a stranger's walk of issue 16: 再打 08:00 beside 最好在上午九点以后).

The register keeps the best time as the family or the grid worker said it (上午九点以后, 下午三点左右, 10:30, 午饭后).
Only a clock time is read from it: a meal or a vague word is shown to the worker as written and moves nothing.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.settings import get_settings

RETRY_AFTER = timedelta(hours=1)  # an unanswered call comes back to the top after this long
# Hours an elder is called at, on the community's clock: a call missed at 23:16 said 再打 00:16 (a stranger's walk of
# issue 16); it is due again the next morning instead.
CALLS_FROM, CALLS_UNTIL = time(8), time(21)
# A missed call is a worry (two open a go-and-look card): the next call waits for the person's best time only when
# that time is this near; further off, the due time stands and the row shows the best time beside it.
WAIT_FOR_BEST = timedelta(hours=2)

_NUMERALS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_MORNING = ("凌晨", "早上", "早晨", "清早", "上午", "早")
_AFTERNOON = ("下午", "傍晚", "晚上", "晚", "夜里", "夜")
_NUMBER = r"[0-9０-９]{1,2}|[零一二两三四五六七八九十]{1,3}"
_CLOCK = re.compile(
    rf"(?P<part>凌晨|早上|早晨|清早|上午|中午|下午|傍晚|晚上|夜里|早|晚|夜)?\s*(?P<hour>{_NUMBER})\s*"
    rf"(?:(?:点|时|[:：])\s*(?P<minute>半|一刻|三刻|[0-9０-９]{{1,2}}|[零一二三四五六七八九十]{{1,3}})?\s*分?)"
    r"\s*(?P<before>以前|之前|前)?"
)


def _number(text: str) -> int | None:
    """12, １２, 十二, 二十, 两: the small numbers a time of day is written with."""
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if text.isdigit():
        return int(text)
    if not all(c in _NUMERALS for c in text):
        return None
    if "十" not in text:
        return _NUMERALS[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if "十" in ones or len(tens) > 1 or len(ones) > 1:
        return None
    return (_NUMERALS[tens] if tens else 1) * 10 + (_NUMERALS[ones] if ones else 0)


# Words that make a time one NOT to call at (午睡，中午12点到2点别打): then no time is read at all.
_NOT = ("别", "不要", "勿", "不方便", "不能", "不接")
# A span (上午9-10点, 九点到十点): its start is the time to call from.
_SPAN = re.compile(rf"({_NUMBER})\s*(?:点|时)?\s*[-~～到至—–]\s*(?:{_NUMBER})\s*(点|时)")


def best_from(best_time: str) -> time | None:
    """The clock time a best time to call starts at (上午九点以后 -> 9:00, 下午三点半 -> 15:30, 晚上7点 -> 19:00,
    10:30 -> 10:30), or None when it names no clock time (午饭后), names one to call before (十点以前), or is not a
    time of day."""
    if any(word in best_time for word in _NOT):
        return None
    found = _CLOCK.search(_SPAN.sub(r"\1\2", best_time))
    if found is None or found["before"]:
        return None
    hour = _number(found["hour"])
    minute_text = found["minute"] or ""
    minute = {"": 0, "半": 30, "一刻": 15, "三刻": 45}.get(minute_text)
    if minute is None:
        minute = _number(minute_text)
    if hour is None or minute is None or hour > 23 or minute > 59:
        return None
    part = found["part"] or ""
    if part in _AFTERNOON and hour == 12:
        return None  # 晚上十二点 is midnight: no time to call anyone
    if part in _AFTERNOON and hour < 12:
        hour += 12
    elif part == "中午" and hour < 3:  # 中午一点: 13:00
        hour += 12
    elif not part and hour < CALLS_FROM.hour - 1:  # 3点 with no word of the day: nobody is called at 3 in the night
        hour += 12
    elif part in _MORNING and hour == 12:
        return None  # 上午十二点 says nothing certain
    return time(hour, minute)


def call_again_at(missed: datetime, best_time: str = "") -> datetime:
    """When a missed call is due again: RETRY_AFTER later, moved out of the night to CALLS_FROM, and on to the person's
    best time of that day when it comes within WAIT_FOR_BEST (a call due at 8:00 for someone best called after nine
    is due at 9:00)."""
    zone = ZoneInfo(get_settings().timezone)
    due = (missed + RETRY_AFTER).astimezone(zone)
    if due.time() >= CALLS_UNTIL:
        due = datetime.combine(due.date() + timedelta(days=1), CALLS_FROM, zone)
    elif due.time() < CALLS_FROM:
        due = datetime.combine(due.date(), CALLS_FROM, zone)
    best = best_from(best_time)
    if best is not None and best < CALLS_UNTIL:
        at_best = datetime.combine(due.date(), best, zone)
        if due < at_best <= due + WAIT_FOR_BEST:
            return at_best
    return due
