"""A flood of wrong log-ins from many /64s of one IPv6 /48 (a stranger's third walk of issue 15, B: 120 of them, each
under its own limit, kept every password check busy; every honest log-in waited 20 s and was told 现在登录的人多).
Wrong passwords now count per /48 too, as wrong join codes do (docs/decisions/0026), and a phone that logged in to the
account before goes ahead of strangers in the queue of password checks (docs/decisions/0033)."""

from __future__ import annotations

import asyncio
import uuid

import msgspec
import pytest

from server.accounts import passwords, services
from server.settings import get_settings
from tests.accounts.test_known_phones import PASSWORD, login_error, minutes_in, worker
from tests.conftest import log_in
from tests.support.clock import fake_clock
from tests.sweeps.test_guests import phone_at


@pytest.fixture
async def clock(monkeypatch):
    async with fake_clock(monkeypatch) as fake:
        yield fake


def settings(**changes):
    return msgspec.structs.replace(
        get_settings(),
        login_max_failures_per_address=20,
        login_max_failures_per_account=5,
        **changes,
    )


def a_site() -> str:
    return f"2001:db8:{uuid.uuid4().int % 0xFFFF:x}"


async def test_wrong_passwords_from_many_64s_of_one_48_are_stopped_there(clock):
    limited = settings(login_max_failures_per_site=6)
    site = a_site()
    for line in range(6):  # six /64s, one wrong password each: far under each /64's 20
        with pytest.raises(services.LoginError) as wrong:
            await services.log_in(limited, f"1770000{line:04d}", "nope", f"{site}:{line + 1:x}::1")
        assert wrong.value.code == "bad_credentials"
    phone = await worker()
    with pytest.raises(services.LoginError) as held:  # a fresh /64 of the same /48, a right password
        await services.log_in(limited, phone, PASSWORD, f"{site}:ff::1")
    assert held.value.code == "too_many_attempts" and held.value.by == "network"
    await services.log_in(limited, phone, PASSWORD, f"{a_site()}:1::1")  # another site is not held
    await services.log_in(limited, phone, PASSWORD, "198.51.100.9")  # nor an IPv4 address (a carrier NAT: 0026)
    clock.advance(held.value.minutes)
    await services.log_in(limited, phone, PASSWORD, f"{site}:ff::1")  # after the wait it says


async def test_wrong_join_codes_and_wrong_passwords_have_a_limit_each_at_a_48(clock):
    from server.accounts import attempts

    limited = settings(login_max_failures_per_site=2, join_max_failures_per_site=2)
    site = a_site()
    for line in range(2):
        attempt = await attempts.begin(limited, "join", "", f"{site}:{line + 1:x}::1")
        await attempts.finish(attempt, "failed")
    phone = await worker()
    await services.log_in(limited, phone, PASSWORD, f"{site}:9::1")  # wrong codes do not hold log-ins


async def test_a_phone_known_for_the_account_gets_in_from_a_48_that_strangers_hold(app, clock):
    phone = await worker()
    site = a_site()
    async with phone_at(app, f"{site}:1::1") as hers:
        assert (await log_in(hers, phone, PASSWORD)).status_code == 303  # yesterday, on her phone
        cookie = hers.cookies["gc_signin"]
    previous = app.state.settings
    app.state.settings = settings(login_max_failures_per_site=3)
    try:
        for line in range(3):
            async with phone_at(app, f"{site}:{line + 2:x}::1") as stranger:
                assert (await log_in(stranger, f"1770000{line:04d}", "nope")).status_code == 401
        async with phone_at(app, f"{site}:99::1") as borrowed:
            answer = await log_in(borrowed, phone, PASSWORD)
            assert answer.status_code == 429
            said = login_error(answer.text)
            assert "附近的网络" in said and "以前登录过的手机" in said and minutes_in(said) >= 1
        async with phone_at(app, f"{site}:99::1") as hers:
            hers.cookies.set("gc_signin", cookie)
            answer = await log_in(hers, phone, PASSWORD)
            assert answer.status_code == 303, login_error(answer.text)
    finally:
        app.state.settings = previous


async def _until(condition) -> None:
    """Until `condition()` holds: turns of the event loop (the log-ins' queries in between), not a time."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("never happened")


async def test_a_phone_known_for_the_account_is_checked_before_strangers_waiting(app, clock, monkeypatch):
    """Every check is taken (by a flood): a stranger's log-in waits, then a worker's on her own phone. When a check
    comes free, hers is made first."""
    monkeypatch.setattr(passwords, "CHECKS", 1)
    monkeypatch.setattr(passwords, "_limiter", None)
    checked: list[str] = []
    real = passwords.verify_password

    def recorded(password_hash, password):
        checked.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", recorded)
    phone = await worker()
    async with phone_at(app, "198.51.100.20") as hers:
        assert (await log_in(hers, phone, PASSWORD)).status_code == 303
        cookie = hers.cookies["gc_signin"]
    checked.clear()
    slots = passwords.limiter()
    await slots.acquire()  # the flood's check, running
    async with phone_at(app, "198.51.100.21") as stranger, phone_at(app, "198.51.100.22") as mine:
        mine.cookies.set("gc_signin", cookie)
        first = asyncio.create_task(log_in(stranger, "17700009999", "stranger-guess"))
        await _until(lambda: len(slots.waiting[1]) == 1)
        second = asyncio.create_task(log_in(mine, phone, PASSWORD))
        await _until(lambda: len(slots.waiting[0]) == 1)
        slots.release()
        answers = await asyncio.gather(first, second)
    assert checked == [PASSWORD, "stranger-guess"]
    assert [answer.status_code for answer in answers] == [401, 303]


async def test_a_check_given_up_while_waiting_passes_to_the_next_in_line():
    slots = passwords.Checks(1)
    await slots.acquire()
    gave_up = asyncio.create_task(slots.acquire(known=True))
    waiting = asyncio.create_task(slots.acquire())
    await _until(lambda: len(slots.waiting[0]) == 1 and len(slots.waiting[1]) == 1)
    gave_up.cancel()
    slots.release()
    await waiting  # the stranger has it: the one who stopped waiting took nothing
    with pytest.raises(asyncio.CancelledError):
        await gave_up
    slots.release()
    assert slots.free == 1 and not slots.waiting[0] and not slots.waiting[1]
