"""A phone that logged in to an account before is not locked out by strangers (docs/decisions/0026): a stranger's
review of issue 15 found that 20 wrong tries from a carrier NAT's address locked out every grid worker behind it,
and that anyone who knows a worker's number could lock her out all day with five wrong passwords every 15 minutes."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import msgspec
import pytest

from server.accounts.passwords import hash_password
from server.accounts.tables import LoginDevice, User
from server.demo.seed import COMMUNITY_ID
from tests.conftest import log_in
from tests.support.clock import fake_clock
from tests.sweeps.test_guests import phone_at

PASSWORD = "right-pw-8am"


async def worker() -> str:
    phone = "1" + str(uuid.uuid4().int)[:10]
    await User(
        community=COMMUNITY_ID,
        phone=phone,
        name="网格员",
        role="grid_worker",
        password_hash=hash_password(PASSWORD),
        created_at=datetime.now(UTC),
    ).save()
    return phone


def nat() -> str:
    return f"100.64.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"  # a carrier NAT, this test's own


@pytest.fixture
def limits(app):
    """The real limits (the test run lifts the per-address one: all its requests come from one address)."""
    settings = app.state.settings
    app.state.settings = msgspec.structs.replace(
        settings, login_max_failures_per_address=20, login_max_failures_per_account=5, login_max_failures_per_device=5
    )
    yield app.state.settings
    app.state.settings = settings


@pytest.fixture
async def clock(monkeypatch):
    async with fake_clock(monkeypatch) as fake:
        yield fake


def login_error(page: str) -> str:
    found = re.search(r'data-testid="login-error">(.*?)</p>', page, re.S)
    return found.group(1).strip() if found else ""


def minutes_in(message: str) -> int:
    return int(re.search(r"(\d+)\s*分钟", message).group(1))


async def test_a_successful_log_in_makes_the_phone_known_with_a_safe_cookie(app, limits, clock):
    phone = await worker()
    async with phone_at(app, nat()) as mine:
        answer = await log_in(mine, phone, PASSWORD)
        assert answer.status_code == 303
        cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("gc_signin="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=31536000" in cookie
        token = mine.cookies["gc_signin"]
        assert len(token) >= 40
        assert not await LoginDevice.exists().where(LoginDevice.token_hash == token)  # only its hash is kept
        assert (await log_in(mine, phone, PASSWORD)).status_code == 303
        assert mine.cookies["gc_signin"] == token  # the same phone keeps its secret
    async with phone_at(app, nat()) as wrong:
        assert (await log_in(wrong, phone, "guess")).status_code == 401
        assert "gc_signin" not in wrong.cookies  # only a right password makes a phone known


async def test_a_worker_on_her_phone_logs_in_while_strangers_have_locked_the_nat_address(app, limits, clock):
    """Twenty wrong tries from one carrier NAT locked every grid worker behind it for 15 minutes at 8:00."""
    address = nat()
    phone = await worker()
    async with phone_at(app, address) as hers:
        assert (await log_in(hers, phone, PASSWORD)).status_code == 303  # yesterday, on her own phone
    clock.advance(60 * 16)
    for n in range(limits.login_max_failures_per_address):
        async with phone_at(app, address) as stranger:
            assert (await log_in(stranger, f"1770000{n:04d}", "guess")).status_code == 401
    async with phone_at(app, address) as borrowed:  # a phone that never logged in to her account
        answer = await log_in(borrowed, phone, PASSWORD)
        assert answer.status_code == 429
        assert "这个网络错误次数太多" in login_error(answer.text) and "以前登录过的手机" in login_error(answer.text)
    async with phone_at(app, address) as hers:
        hers.cookies.set("gc_signin", (await _signed_in_cookie(app, phone, address)))
        answer = await log_in(hers, phone, PASSWORD)
        assert answer.status_code == 303, login_error(answer.text)


async def _signed_in_cookie(app, phone: str, address: str) -> str:
    """The log-in cookie of a phone that logged in to the account before (a fresh log-in, elsewhere)."""
    async with phone_at(app, "2001:db8:cafe:1::7") as elsewhere:
        assert (await log_in(elsewhere, phone, PASSWORD)).status_code == 303
        return elsewhere.cookies["gc_signin"]


async def test_a_number_locked_by_strangers_still_lets_its_own_phone_in(app, limits, clock):
    """Five wrong passwords from five addresses locked a worker's number: anyone with a list of numbers could keep
    her out all day."""
    phone = await worker()
    async with phone_at(app, nat()) as hers:
        assert (await log_in(hers, phone, PASSWORD)).status_code == 303
        clock.advance(60)
        for _ in range(limits.login_max_failures_per_account):
            async with phone_at(app, nat()) as stranger:
                assert (await log_in(stranger, phone, "guess")).status_code == 401
        async with phone_at(app, nat()) as stranger:
            answer = await log_in(stranger, phone, PASSWORD)  # even the right password, from a phone not hers
            assert answer.status_code == 429 and "这个号码错误次数太多" in login_error(answer.text)
        answer = await log_in(hers, phone, PASSWORD)
        assert answer.status_code == 303, login_error(answer.text)


async def test_a_phone_known_for_one_account_is_a_stranger_to_another(app, limits, clock):
    mine, theirs = await worker(), await worker()
    async with phone_at(app, nat()) as shared:
        assert (await log_in(shared, mine, PASSWORD)).status_code == 303
        for _ in range(limits.login_max_failures_per_account):
            async with phone_at(app, nat()) as stranger:
                assert (await log_in(stranger, theirs, "guess")).status_code == 401
        assert (await log_in(shared, theirs, PASSWORD)).status_code == 429
        assert (await log_in(shared, mine, PASSWORD)).status_code == 303


async def test_a_known_phone_giving_wrong_passwords_is_limited_itself_then_gets_in_after_the_wait(app, limits, clock):
    """A stolen phone that logged in before cannot guess its owner's new password: it has its own small limit."""
    phone = await worker()
    async with phone_at(app, nat()) as hers:
        assert (await log_in(hers, phone, PASSWORD)).status_code == 303
        for _ in range(limits.login_max_failures_per_device):
            assert (await log_in(hers, phone, "guess")).status_code == 401
            clock.advance(1)
        answer = await log_in(hers, phone, PASSWORD)
        assert answer.status_code == 429
        message = login_error(answer.text)
        assert "这部手机输错密码太多次" in message
        wait = minutes_in(message)
        assert wait == limits.login_window_minutes - limits.login_max_failures_per_device  # when the oldest goes
        clock.advance(wait)
        assert (await log_in(hers, phone, PASSWORD)).status_code == 303


async def test_a_password_reset_lets_her_in_on_a_new_phone_and_keeps_her_own_phone_past_the_locks(app, limits, clock):
    """A stranger's review: strangers kept a worker's number locked, and neither the CLI's reset nor the admin's
    生成新密码 let her in on the new phone she was given. A second review: the reset then forgot the phone she
    holds, so strangers' tries after it (at her number, or at her office's NAT) locked her out on it too."""
    from server.staff.provisioning import reset_password

    phone = await worker()
    office = nat()
    async with phone_at(app, office) as hers:
        assert (await log_in(hers, phone, PASSWORD)).status_code == 303
        for _ in range(limits.login_max_failures_per_account):
            async with phone_at(app, nat()) as stranger:
                assert (await log_in(stranger, phone, "guess")).status_code == 401
        made = await reset_password(phone)
        async with phone_at(app, nat()) as new_phone:  # the number's tries are forgiven
            assert (await log_in(new_phone, phone, made.password)).status_code == 303
        for _ in range(limits.login_max_failures_per_account):  # the strangers go on, at her number...
            async with phone_at(app, nat()) as stranger:
                assert (await log_in(stranger, phone, "guess")).status_code == 401
        for n in range(limits.login_max_failures_per_address):  # ...and at her office's address
            async with phone_at(app, office) as stranger:
                assert (await log_in(stranger, f"1770000{n:04d}", "guess")).status_code == 401
        hers.cookies.delete("gc_session")  # the reset ended her session
        answer = await log_in(hers, phone, made.password)
        assert answer.status_code == 303, login_error(answer.text)  # main: 429 "这个号码错误次数太多"


async def test_a_stolen_phone_after_a_reset_has_only_its_own_few_guesses(app, limits, clock):
    """The phone the reset leaves known may be the stolen one: its session ended with the reset, and without the
    new password it is limited like any phone that gives wrong ones (and its tries count at the number)."""
    from server.staff.provisioning import reset_password

    phone = await worker()
    async with phone_at(app, nat()) as stolen:
        assert (await log_in(stolen, phone, PASSWORD)).status_code == 303
        made = await reset_password(phone)
        assert (await stolen.get("/")).status_code in (302, 303)  # its session ended: back to the log-in page
        for _ in range(limits.login_max_failures_per_device):
            assert (await log_in(stolen, phone, PASSWORD)).status_code == 401  # the old password no longer works
        answer = await log_in(stolen, phone, made.password)
        assert answer.status_code == 429 and "这部手机输错密码太多次" in login_error(answer.text)
        async with phone_at(app, nat()) as stranger:  # its tries counted at the number, like anyone's
            assert (await log_in(stranger, phone, made.password)).status_code == 429


async def test_a_shared_phone_remembers_its_newest_accounts_and_an_account_keeps_few_phones(app, limits, clock):
    """A stranger's review: 40 log-ins on fresh phones left 40 rows for one account, and a fifth account on a shared
    phone kept a row its cookie no longer named."""
    from server.accounts import login_devices

    phones = [await worker() for _ in range(5)]
    async with phone_at(app, nat()) as shared:
        for phone in phones:
            assert (await log_in(shared, phone, PASSWORD)).status_code == 303
            shared.cookies.delete("gc_session")
        tokens = shared.cookies["gc_signin"].split(".")
        assert len(tokens) == login_devices.MAX_PER_PHONE
        assert await login_devices.known_for(tokens, phones[-1])  # the newest account is remembered
        assert not await login_devices.known_for(tokens, phones[0])  # the oldest is forgotten...
        first = await User.select(User.id).where(User.phone == phones[0]).first()
        assert not await LoginDevice.exists().where(LoginDevice.user == first["id"])  # ...and so is its row
    many = phones[1]
    for _ in range(login_devices.MAX_PER_ACCOUNT + 3):
        async with phone_at(app, nat()) as fresh:
            assert (await log_in(fresh, many, PASSWORD)).status_code == 303
    user = await User.select(User.id).where(User.phone == many).first()
    assert await LoginDevice.count().where(LoginDevice.user == user["id"]) == login_devices.MAX_PER_ACCOUNT
