"""The limits on /join as a stranger's second review of issue 15 found them (docs/decisions/0019): an IPv6 phone
chose a new address for each made-up volunteer, a code's limit of new volunteers was used up with nobody the wiser,
and a signed-in volunteer was locked out by someone else's tries at their number."""

from __future__ import annotations

import msgspec

from server.accounts import attempts
from server.accounts.tables import User
from tests.conftest import browser, log_in
from tests.sweeps.test_guests import error_of, phone_at
from tests.sweeps.test_routes import make_sweep
from tests.sweeps.test_team import join, make_code


def test_the_limits_count_an_ipv6_addresss_64_as_one_client():
    assert attempts.subscriber("2001:db8:5:6::1") == attempts.subscriber("2001:db8:5:6:ffff:1:2:3")
    assert attempts.subscriber("2001:db8:5:6::1") == "2001:db8:5:6::/64"
    assert attempts.subscriber("2001:db8:5:7::1") != attempts.subscriber("2001:db8:5:6::1")
    assert attempts.subscriber("203.0.113.9") == "203.0.113.9"
    assert attempts.subscriber("203.0.113.10") != attempts.subscriber("203.0.113.9")  # IPv4: each address
    assert attempts.subscriber("::ffff:203.0.113.9") == "203.0.113.9"
    assert attempts.subscriber("unknown") == "unknown"


async def test_new_guests_from_one_ipv6_64_are_limited_together(app):
    async with browser(app) as worker:
        sweep_id = await make_sweep(worker, "六四")
        code = await make_code(worker, sweep_id)
    settings = app.state.settings
    app.state.settings = msgspec.structs.replace(
        settings, join_max_new_guests_per_address=2, join_max_new_guests_per_code=1000
    )
    try:
        for n in (1, 2):
            async with phone_at(app, f"2001:db8:64:1::{n}") as phone:
                assert (await join(phone, code, name=f"六四{n}", phone=f"1576400000{n}")).status_code == 303
        async with phone_at(app, "2001:db8:64:1:a:b:c:d") as phone:  # the same phone line, another address
            answer = await join(phone, code, name="六四3", phone="15764000003")
            assert answer.status_code == 429 and "新志愿者太多" in error_of(answer.text)
        assert await User.count().where(User.guest_phone == "15764000003") == 0
        async with phone_at(app, "2001:db8:64:2::1") as phone:  # another /64: another phone line
            assert (await join(phone, code, name="六四4", phone="15764000004")).status_code == 303
    finally:
        app.state.settings = settings


async def test_wrong_guesses_from_one_ipv6_64_are_counted_together(app):
    settings = app.state.settings
    app.state.settings = msgspec.structs.replace(settings, login_max_failures_per_address=3)
    try:
        for n in range(3):
            async with phone_at(app, f"2001:db8:99:1::{n + 1}") as phone:
                assert (await log_in(phone, f"1770000990{n}", "guess")).status_code == 401
        async with phone_at(app, "2001:db8:99:1::ff") as phone:
            assert (await log_in(phone, "17700009909", "guess")).status_code == 429
    finally:
        app.state.settings = settings


async def test_a_signed_in_volunteer_is_not_locked_out_by_others_tries_at_their_number(app):
    """lockout3.py: five posts of a guest's number from elsewhere, and the guest, signed in, typing a new code, got
    429 for 15 minutes."""
    async with browser(app) as worker:
        sweep_id = await make_sweep(worker, "锁号")
        code = await make_code(worker, sweep_id)
        later = await make_code(worker, await make_sweep(worker, "锁号二"))
    async with phone_at(app, "192.0.2.30") as owner:
        assert (await join(owner, code, name="真主人", phone="15800000030")).status_code == 303
        limit = app.state.settings.login_max_failures_per_account
        for n in range(limit + 1):
            async with phone_at(app, f"192.0.2.{210 + n}") as stranger:
                answer = await join(stranger, code, name="攻击者", phone="15800000030")
                assert answer.status_code in (303, 429)
                assert answer.headers.get("location") != f"/sweeps/{sweep_id}"
        async with phone_at(app, "192.0.2.99") as stranger:  # the number is locked for those who cannot prove it
            assert (await join(stranger, code, name="攻击者", phone="15800000030")).status_code == 429
        answer = await join(owner, later, name="真主人", phone="15800000030")
        assert answer.status_code == 303, error_of(answer.text)
        assert answer.headers["location"].startswith("/sweeps/")
        assert (await owner.get(f"/sweeps/{sweep_id}")).status_code == 200


async def test_a_code_being_used_up_shows_on_the_invite_page_and_the_joiner_is_told_to_ask_for_a_new_code(app):
    async with browser(app) as worker:
        sweep_id = await make_sweep(worker, "码满")
        code = await make_code(worker, sweep_id)
        settings = app.state.settings
        app.state.settings = msgspec.structs.replace(
            settings, join_max_new_guests_per_address=1000, join_max_new_guests_per_code=4
        )
        try:
            page = (await worker.get(f"/sweeps/{sweep_id}/invite")).text
            assert 'data-testid="code-busy"' not in page and 'data-testid="code-used-up"' not in page
            for n in range(2):
                async with phone_at(app, f"198.51.100.{60 + n}") as phone:
                    assert (await join(phone, code, name=f"码满{n}", phone=f"1590000006{n}")).status_code == 303
            page = (await worker.get(f"/sweeps/{sweep_id}/invite")).text
            assert 'data-testid="code-busy"' in page and "2" in page
            for n in range(2, 4):
                async with phone_at(app, f"198.51.100.{60 + n}") as phone:
                    assert (await join(phone, code, name=f"码满{n}", phone=f"1590000006{n}")).status_code == 303
            page = (await worker.get(f"/sweeps/{sweep_id}/invite")).text
            assert 'data-testid="code-used-up"' in page
            async with phone_at(app, "198.51.100.70") as phone:
                answer = await join(phone, code, name="码满4", phone="15900000064")
                assert answer.status_code == 429
                assert "新的邀请码" in error_of(answer.text)
            fresh = await make_code(worker, sweep_id)  # a new code lets them in at once
            async with phone_at(app, "198.51.100.70") as phone:
                assert (await join(phone, fresh, name="码满4", phone="15900000064")).status_code == 303
        finally:
            app.state.settings = settings
