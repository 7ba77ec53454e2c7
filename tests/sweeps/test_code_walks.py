"""Walking the million join codes (docs/decisions/0026): a stranger's review of issue 15 found wrong codes counted
per IPv6 /64 and IPv4 address only, so 400 /64s of one /48 (or as many addresses) could guess freely and walk the
codes within a code's day. Wrong codes now count per /48 too, and from everyone together."""

from __future__ import annotations

import re
import uuid

import msgspec
import pytest

from server.sweeps.tables import SweepInvite
from tests.conftest import browser
from tests.support.clock import fake_clock
from tests.sweeps.test_guests import error_of, phone_at
from tests.sweeps.test_routes import make_sweep
from tests.sweeps.test_team import join, make_code


@pytest.fixture
async def clock(monkeypatch):
    async with fake_clock(monkeypatch) as fake:
        yield fake


def limits(app, **changes):
    settings = app.state.settings
    app.state.settings = msgspec.structs.replace(settings, **changes)
    return settings


async def wrong_codes(count: int) -> list[str]:
    taken = {row["code"] for row in await SweepInvite.select(SweepInvite.code)}
    codes = []
    while len(codes) < count:
        code = f"{uuid.uuid4().int % 1_000_000:06d}"
        if code not in taken and code not in codes:
            codes.append(code)
    return codes


def new_number() -> str:
    return "1" + str(uuid.uuid4().int)[:10]


def minutes_in(message: str) -> int:
    return int(re.search(r"(\d+)\s*分钟", message).group(1))


async def test_a_walk_from_many_64s_of_one_48_is_stopped(app, clock):
    site = f"2001:db8:{uuid.uuid4().int % 0xFFFF:x}"
    settings = limits(app, login_max_failures_per_address=20, join_max_failures_per_site=6, join_max_wrong_codes=1000)
    try:
        guesses = iter(await wrong_codes(12))
        for line in range(3):  # each /64 well under its own limit
            for n in range(2):
                async with phone_at(app, f"{site}:{line + 1:x}::{n + 1}") as phone:
                    answer = await join(phone, next(guesses), name="扫码", phone=new_number())
                    assert answer.status_code == 400, answer.text
        async with phone_at(app, f"{site}:ff::1") as phone:  # a fresh /64 of the same /48
            answer = await join(phone, next(guesses), name="扫码", phone=new_number())
            # Said as what it is: this /64 typed nothing wrong (a stranger's review: it read "错误次数太多")
            assert (
                answer.status_code == 429 and "附近的网络" in error_of(answer.text) and "请等" in error_of(answer.text)
            )
        async with phone_at(app, "2001:db8:aaaa:1::1") as phone:  # another site is not held up
            assert (await join(phone, next(guesses), name="扫码", phone=new_number())).status_code == 400
    finally:
        app.state.settings = settings


async def test_a_spray_of_wrong_codes_from_many_addresses_is_stopped_but_a_volunteer_on_their_phone_gets_in(app, clock):
    async with browser(app) as worker:
        code = await make_code(worker, await make_sweep(worker, "喷码"))
    number = new_number()
    async with phone_at(app, "198.18.0.1") as volunteer:  # joined this morning, on this phone
        assert (await join(volunteer, code, name="老志愿", phone=number)).status_code == 303
        volunteer.cookies.delete("gc_session")  # signed out since: the phone's join cookie is what proves them
        settings = limits(app, join_max_wrong_codes=5, join_max_failures_per_site=1000)
        try:
            guesses = await wrong_codes(7)
            for n, guess in enumerate(guesses[:5]):  # each from an address of its own
                async with phone_at(app, f"198.18.{1 + n}.{7 + n}") as stranger:
                    assert (await join(stranger, guess, name="喷", phone=new_number())).status_code == 400
            async with phone_at(app, "198.18.9.9") as stranger:
                answer = await join(stranger, guesses[5], name="喷", phone=new_number())
                assert answer.status_code == 429 and "输错邀请码的太多" in error_of(answer.text)
            async with phone_at(app, "2001:db8:bbbb:1::1") as stranger:  # neither a new address nor a new site helps
                answer = await join(stranger, guesses[6], name="喷", phone=new_number())
                assert answer.status_code == 429
            answer = await join(volunteer, code, name="老志愿", phone=number)
            assert answer.status_code == 303, error_of(answer.text)
        finally:
            app.state.settings = settings


async def test_a_mistyping_volunteer_joins_after_waiting_as_long_as_the_message_says(app, clock):
    async with browser(app) as worker:
        code = await make_code(worker, await make_sweep(worker, "手滑"))
    settings = limits(app, login_max_failures_per_address=3)
    try:
        async with phone_at(app, "198.18.77.1") as phone:
            number = new_number()
            for guess in await wrong_codes(3):
                assert (await join(phone, guess, name="手滑", phone=number)).status_code == 400
            clock.advance(10)
            answer = await join(phone, code, name="手滑", phone=number)
            assert answer.status_code == 429 and "这个网络输错邀请码太多" in error_of(answer.text)
            wait = minutes_in(error_of(answer.text))
            assert wait == 5  # the window is 15 minutes from the first wrong code, 10 of them gone
            clock.advance(wait)
            answer = await join(phone, code, name="手滑", phone=number)
            assert answer.status_code == 303, error_of(answer.text)
    finally:
        app.state.settings = settings
