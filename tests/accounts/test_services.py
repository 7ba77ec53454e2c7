"""Log-in, sessions and scope, without HTTP."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from server.access.scope import CurrentUser, Scope
from server.accounts import login_devices, services
from server.accounts.passwords import hash_password, verify_password
from server.accounts.tables import LoginAttempt, User, UserSession
from server.demo.seed import COMMUNITY_ID, GRID_IDS, demo_uuid
from server.settings import get_settings
from server.staff.handover import hand_over_grid


def settings(**changes):
    return msgspec.structs.replace(get_settings(), **changes)


def test_password_hash_is_argon2id_and_verifies():
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse")
    assert not verify_password(stored, "correct horsE")
    assert not verify_password(None, "anything")
    assert not verify_password("not a hash", "anything")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("138 0000 0001", "13800000001"), ("+86 138-0000-0001", "13800000001"), ("１３８００００００01", "13800000001")],
)
def test_phone_numbers_are_normalised(typed, stored):
    assert services.normalize_phone(typed) == stored


async def make_user(role="grid_worker", password="pw-123456", **fields) -> User:
    user = User(
        community=COMMUNITY_ID,
        phone="1" + str(uuid.uuid4().int)[:10],
        name="测试",
        role=role,
        password_hash=hash_password(password),
        created_at=datetime.now(UTC),
        **fields,
    )
    await user.save()
    return user


async def test_log_in_makes_a_session_that_identifies_the_user():
    user = await make_user()
    token, current = await services.log_in(settings(), user.phone, "pw-123456", "10.0.0.1")
    assert current.id == user.id
    found = await services.user_for_token(token)
    assert found is not None and found.id == user.id and found.role == "grid_worker"
    stored = await UserSession.select(UserSession.token_hash).where(UserSession.user == user.id)
    assert len(stored) == 1 and stored[0]["token_hash"] != token  # only a hash is kept


async def test_unknown_tampered_and_expired_tokens_identify_nobody():
    user = await make_user()
    token, _ = await services.log_in(settings(), user.phone, "pw-123456", "10.0.0.2")
    assert await services.user_for_token(token + "x") is None
    assert await services.user_for_token("") is None
    assert await services.user_for_token("a" * 500) is None
    await UserSession.update({UserSession.expires_at: datetime.now(UTC) - timedelta(minutes=1)}).where(
        UserSession.user == user.id
    )
    assert await services.user_for_token(token) is None


async def test_log_out_ends_the_session():
    user = await make_user()
    token, _ = await services.log_in(settings(), user.phone, "pw-123456", "10.0.0.3")
    await services.log_out(token)
    assert await services.user_for_token(token) is None
    assert not await UserSession.exists().where(UserSession.user == user.id)


async def test_log_out_ends_a_session_read_a_moment_ago_at_once():
    user = await make_user()
    token, _ = await services.log_in(settings(), user.phone, "pw-123456", "10.0.0.3")
    assert await services.user_for_token(token) is not None  # now kept in this process for a few seconds
    await services.log_out(token)
    assert await services.user_for_token(token) is None


async def test_a_session_deleted_by_hand_stops_within_the_cache_time(monkeypatch):
    user = await make_user()
    token, _ = await services.log_in(settings(), user.phone, "pw-123456", "10.0.0.3")
    assert await services.user_for_token(token) is not None
    await UserSession.delete().where(UserSession.user == user.id)  # by hand: the generation does not move
    later = services._clock() + services.SESSION_CACHE_SECONDS + 0.01
    monkeypatch.setattr(services, "_clock", lambda: later)
    assert await services.user_for_token(token) is None


async def test_a_kept_session_still_ends_at_its_expiry(monkeypatch):
    user = await make_user()
    token, _ = await services.log_in(settings(session_hours=1), user.phone, "pw-123456", "10.0.0.3")
    assert await services.user_for_token(token) is not None
    in_two_hours = datetime.now(UTC) + timedelta(hours=2)
    monkeypatch.setattr(services, "_now", lambda: in_two_hours)
    assert await services.user_for_token(token) is None


async def test_a_grid_hand_over_reaches_a_kept_session_at_once():
    worker = await make_user()  # a grid worker without a grid of their own (one worker per grid)
    token, _ = await services.log_in(settings(), worker.phone, "pw-123456", "10.0.0.3")
    assert (await services.user_for_token(token)).grid_ids == ()  # kept for a few seconds now
    admin = CurrentUser(demo_uuid("user", "13800000000"), COMMUNITY_ID, "王磊", "13800000000", "admin", None, None)
    now = datetime.now(UTC)
    await hand_over_grid(admin, GRID_IDS[5], worker.id, now)
    try:
        assert (await services.user_for_token(token)).grid_ids == (GRID_IDS[5],)
    finally:
        await hand_over_grid(admin, GRID_IDS[5], demo_uuid("user", "13800000006"), now)  # and back


async def test_unknown_tokens_are_not_kept():
    before = len(services._recent_sessions)
    for _ in range(20):
        assert await services.user_for_token(uuid.uuid4().hex) is None
    assert len(services._recent_sessions) == before


async def test_wrong_password_and_unknown_phone_get_the_same_answer():
    user = await make_user()
    with pytest.raises(services.LoginError) as wrong_password:
        await services.log_in(settings(), user.phone, "nope", "10.0.0.4")
    with pytest.raises(services.LoginError) as unknown_phone:
        await services.log_in(settings(), "19999999999", "nope", "10.0.0.4")
    assert wrong_password.value.code == unknown_phone.value.code == "bad_credentials"
    assert not await UserSession.exists().where(UserSession.user == user.id)


async def test_account_limit_refuses_even_the_right_password():
    user = await make_user()
    limited = settings(login_max_failures_per_account=3, login_max_failures_per_address=1000)
    for n in range(3):
        with pytest.raises(services.LoginError):
            await services.log_in(limited, user.phone, "wrong", f"10.1.0.{n}")  # from different addresses
    with pytest.raises(services.LoginError) as refused:
        await services.log_in(limited, user.phone, "pw-123456", "10.1.0.9")
    assert refused.value.code == "too_many_attempts" and refused.value.minutes == limited.login_window_minutes
    assert not await UserSession.exists().where(UserSession.user == user.id)


async def test_address_limit_covers_many_phone_numbers():
    limited = settings(login_max_failures_per_account=1000, login_max_failures_per_address=4)
    address = f"10.2.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    for n in range(4):
        with pytest.raises(services.LoginError):
            await services.log_in(limited, f"1770000{n:04d}", "guess", address)
    user = await make_user()
    with pytest.raises(services.LoginError) as refused:
        await services.log_in(limited, user.phone, "pw-123456", address)
    assert refused.value.code == "too_many_attempts"
    # Another address is not affected.
    await services.log_in(limited, user.phone, "pw-123456", "10.3.0.1")


async def test_failures_outside_the_window_do_not_count():
    user = await make_user()
    limited = settings(login_max_failures_per_account=2, login_max_failures_per_address=1000)
    old = datetime.now(UTC) - timedelta(minutes=limited.login_window_minutes + 1)
    await LoginAttempt.insert(
        *[LoginAttempt(phone=user.phone, address="10.4.0.1", at=old, succeeded=False) for _ in range(5)]
    )
    await services.log_in(limited, user.phone, "pw-123456", "10.4.0.1")


async def test_inactive_account_cannot_log_in():
    user = await make_user(is_active=False)
    with pytest.raises(services.LoginError) as refused:
        await services.log_in(settings(), user.phone, "pw-123456", "10.5.0.1")
    assert refused.value.code == "inactive"


async def test_scope_follows_the_role():
    admin = CurrentUser(uuid.uuid4(), COMMUNITY_ID, "a", "1", "admin", None, None)
    worker = CurrentUser(
        uuid.uuid4(), COMMUNITY_ID, "w", "2", "grid_worker", GRID_IDS[0], None, grid_ids=(GRID_IDS[0],)
    )
    unassigned = CurrentUser(uuid.uuid4(), COMMUNITY_ID, "u", "3", "grid_worker", None, None)
    volunteer = CurrentUser(uuid.uuid4(), COMMUNITY_ID, "v", "4", "volunteer", None, None)
    assert Scope.for_user(admin).grid_ids is None
    assert Scope.for_user(worker).grid_ids == (GRID_IDS[0],)
    assert Scope.for_user(worker).allows_grid(GRID_IDS[0])
    assert not Scope.for_user(worker).allows_grid(GRID_IDS[1])
    assert Scope.for_user(unassigned).grid_ids == ()
    assert Scope.for_user(volunteer) is None
    assert Scope.for_user(CurrentUser(uuid.uuid4(), COMMUNITY_ID, "r", "5", "resident", None, None)) is None


async def test_demo_accounts_are_marked_demo():
    assert await services.demo_accounts_exist()
    demo = await User.select(User.phone).where(User.is_demo.eq(True))
    assert {"13800000000", "13800000001", "13900000001"} <= {row["phone"] for row in demo}


async def test_housekeeping_drops_expired_sessions_and_old_attempts():
    user = await make_user()
    token, _ = await services.log_in(settings(), user.phone, "pw-123456", "10.6.0.1")
    await UserSession.update({UserSession.expires_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
        UserSession.user == user.id
    )
    ancient = datetime.now(UTC) - timedelta(days=31)
    await LoginAttempt.insert(LoginAttempt(phone=user.phone, address="10.6.0.1", at=ancient))
    live_user = await make_user()
    live_token, _ = await services.log_in(settings(), live_user.phone, "pw-123456", "10.6.0.1")
    await services.purge_expired()
    assert not await UserSession.exists().where(UserSession.user == user.id)
    assert not await LoginAttempt.exists().where(LoginAttempt.at < datetime.now(UTC) - timedelta(days=30))
    assert await services.user_for_token(live_token) is not None


async def test_housekeeping_forgets_phones_not_logged_in_on_for_a_year():
    user = await make_user()
    now = datetime.now(UTC)
    old = await login_devices.remember(user.id, [], now - timedelta(days=login_devices.DEVICE_DAYS + 1))
    recent = await login_devices.remember(user.id, [], now - timedelta(days=30))
    await services.purge_expired()
    assert await login_devices.known_for([old], user.phone) is None
    assert await login_devices.known_for([recent], user.phone) is not None


async def test_a_burst_of_parallel_guesses_gets_no_more_than_the_limit():
    user = await make_user()
    limited = settings(login_max_failures_per_account=5, login_max_failures_per_address=1000)

    async def guess(n: int) -> str:
        try:
            await services.log_in(limited, user.phone, f"guess-{n}", f"10.7.0.{n}")
        except services.LoginError as refused:
            return refused.code
        return "logged_in"

    codes = await asyncio.gather(*(guess(n) for n in range(30)))
    assert codes.count("bad_credentials") <= 5  # only that many passwords were actually tried
    assert codes.count("too_many_attempts") >= 25
    assert await LoginAttempt.count().where(LoginAttempt.phone == user.phone) == 30  # each one is on record


async def test_impossible_phone_numbers_are_refused_without_a_lookup():
    with pytest.raises(services.LoginError) as refused:
        await services.log_in(settings(), "1" * 30, "x", "10.8.0.1")
    assert refused.value.code == "bad_credentials"
    assert await LoginAttempt.exists().where(LoginAttempt.phone == "1" * 20)  # kept, cut to the column's size


async def test_a_refusal_by_the_limit_is_not_a_failure():
    """Only wrong passwords count (issue 15, item 6): tries refused with 429 add nothing to the count, so the lock
    ends when the window passes the wrong passwords, however often someone tried meanwhile."""
    user = await make_user()
    limited = settings(login_max_failures_per_account=2, login_max_failures_per_address=1000)
    for _ in range(2):
        with pytest.raises(services.LoginError):
            await services.log_in(limited, user.phone, "wrong", "10.9.0.1")
    for _ in range(3):
        with pytest.raises(services.LoginError) as refused:
            await services.log_in(limited, user.phone, "pw-123456", "10.9.0.1")
        assert refused.value.code == "too_many_attempts"
    outcomes = await LoginAttempt.select(LoginAttempt.outcome).where(LoginAttempt.phone == user.phone)
    assert sorted(row["outcome"] for row in outcomes) == ["failed", "failed", "limited", "limited", "limited"]
    # The two wrong passwords leave the window: the right one gets in at once.
    await LoginAttempt.update({LoginAttempt.at: datetime.now(UTC) - timedelta(minutes=16)}).where(
        (LoginAttempt.phone == user.phone) & (LoginAttempt.outcome == "failed")
    )
    await services.log_in(limited, user.phone, "pw-123456", "10.9.0.1")
