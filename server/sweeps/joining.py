"""Joining a sweep by code, and who a guest is. Knows nothing of HTTP.

A coordinator shows a code (invites.py); a volunteer types it with their name and phone and gets a session
that sees only that sweep, or only the part of it its maker answers for. A phone number is no secret: joining never
hands over an identity that a phone number already has. The phone that joined proves itself with the secret in its
join cookie (accounts/devices.py); another phone needs a one-time code that the coordinator sees on the invite page
and tells the right person. Why, and what an attacker and a volunteer who changed phones each meet:
docs/decisions/0019-guest-identity.md. Claims on floors: team.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from server.access.scope import CurrentUser
from server.accounts import attempts, devices
from server.accounts.services import answered_for, end_sessions, normalize_phone, start_session
from server.accounts.tables import User
from server.db import write_transaction
from server.settings import Settings
from server.sweeps.invites import CODE_DIGITS, MAKER, code_works, digits
from server.sweeps.queries import building_grids
from server.sweeps.tables import JoinRequest, SweepInvite, SweepMember
from server.sweeps.team import MEMBER_CODE, TeamError, add_member, code_opens, maker_of
from server.text import clean_name

MAX_NAME = 32  # a name as stored (Varchar(32)): longer is refused in words, never cut

CONFIRM_MINUTES = 15  # a one-time code to join again from another phone
# Refusals counted like wrong passwords: each is a guess (a code, a confirmation) or asks about a phone number.
COUNTED = ("unknown_code", "confirm_needed", "wrong_confirmation")
# Refused by the limits of new guests (attempts.new_guest): per client address, or the code's own (used up for now:
# a new code opens again; the coordinator's invite page says so).
NEW_GUESTS = {"address": "too_many_guests", "code": "code_used_up"}


# Joining -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Joined:
    sweep_id: uuid.UUID
    token: str | None = None  # a new session's cookie token, for someone who was not logged in
    device_token: str | None = None  # the secret that proves this phone for the guest: first in its join cookie


@dataclass(frozen=True, slots=True)
class JoinAsking:
    """What a person not logged in typed, and what their phone holds."""

    name: str = ""
    phone: str = ""
    confirm: str = ""  # the one-time code the coordinator told them
    again: bool = False  # "join again as the one this phone joined as": the code alone
    device_tokens: tuple[str, ...] = ()  # from the join cookie, newest first
    user_agent: str = ""


async def join(
    settings: Settings,
    code: str,
    address: str,
    now: datetime,
    current: CurrentUser | None = None,
    asking: JoinAsking = JoinAsking(),
) -> Joined:
    """Join the sweep of a live code. A logged-in volunteer joins as themselves; anyone else gives a name and a
    phone (or, on a phone a guest joined on before, the code alone) and gets a guest's session for this sweep.

    Limited like log-in, per phone number and per client address (six digits are too few to stand guessing); only
    wrong codes and refusals count (COUNTED), never a refusal by the limit itself. A number that this phone's join
    cookie proves is its own, or whose session is signed in, is not held up by others' wrong guesses at it. Wrong
    codes are limited also per IPv6 /48 and from everyone together (attempts.begin). New
    guests are limited per address and per code (attempts.new_guest): a 429 that counts as nothing.
    """
    if current is not None and current.is_guest:
        # A guest of one community with another's code: they join there as that community's guest of their number
        # (another identity: guests never cross communities), proven by this phone as anyone would be.
        community = (
            await SweepInvite.select(SweepInvite.sweep.community.as_alias("community"))
            .where(SweepInvite.code == normalize_phone(code))
            .first()
        )
        if community is not None and community["community"] != current.community_id:
            asking = replace(asking, name=current.name, phone=current.phone, again=False)
            current = None
    on_phone = await devices.guests_on(list(asking.device_tokens)) if current is None else []
    if current is not None:
        phone = current.phone
    elif asking.again:
        phone = on_phone[0]["phone"] if on_phone else ""
    else:
        phone = normalize_phone(asking.phone)
    # The number is proven theirs by a session of it (signed in, typing a new code) or by this phone's join cookie:
    # others' wrong guesses at the number do not lock its owner out (the address's limit still holds). A signed-in
    # guest was locked out by someone else's five posts of their number (a stranger's second review of issue 15).
    # Such a proof has its own small limit instead of the address's, the /48's and everyone's (docs/decisions/0026):
    # a spray of wrong codes that holds up new numbers does not hold up a volunteer coming back on their phone.
    guest = next((guest for guest in on_phone if guest["phone"] == phone), None)
    proof = f"user:{current.id}" if current is not None else f"guest:{guest['id']}" if guest else ""
    try:
        attempt = await attempts.begin(settings, "join", phone, address, device=proof)
    except attempts.TooManyAttempts as limited:
        raise TeamError("too_many_attempts", minutes=limited.minutes, by=limited.by) from None
    try:
        joined = await _join(settings, normalize_phone(code), phone, now, current, asking, on_phone, address)
    except TeamError as refused:
        outcome = (
            "failed" if refused.code in COUNTED else "limited" if refused.code in NEW_GUESTS.values() else "invalid"
        )
        await attempts.finish(attempt, outcome)
        raise
    except BaseException:
        await attempts.finish(attempt, "failed")
        raise
    await attempts.finish(attempt, "succeeded")
    return joined


async def _live_invite(code: str, now: datetime) -> dict:
    invite = (
        await SweepInvite.select(
            SweepInvite.id,
            SweepInvite.sweep,
            SweepInvite.expires_at,
            SweepInvite.revoked_at,
            SweepInvite.sweep.community.as_alias("community"),
            SweepInvite.sweep.status.as_alias("status"),
            SweepInvite.grids,
            *MAKER,
        )
        .where(SweepInvite.code == code)
        .first()
        if len(code) == CODE_DIGITS  # normalize_phone's digit clean-up: full-width digits, spaces
        else None
    )
    if invite is None:
        raise TeamError("unknown_code")
    if invite["status"] != "open":
        raise TeamError("sweep_closed")  # its codes were withdrawn with it; say why
    if invite["revoked_at"] is not None or invite["expires_at"] <= now:
        raise TeamError("expired_code")
    # What the code opens is its maker's scope of now: a cover that ended, a maker who was deactivated, and the code
    # opens less, or nothing (docs/decisions/0019).
    if not await code_works(invite["sweep"], invite):
        raise TeamError("code_no_longer_valid")
    return invite


async def _join(
    settings: Settings,
    code: str,
    phone: str,
    now: datetime,
    current: CurrentUser | None,
    asking: JoinAsking,
    on_phone: list[dict],
    address: str,
) -> Joined:
    invite = await _live_invite(code, now)
    if current is not None:
        if current.role != "volunteer":
            raise TeamError("not_a_volunteer")
        if current.community_id != invite["community"]:
            raise TeamError("other_community")
        await add_member(invite["sweep"], current.id, invite["id"], now)
        return Joined(sweep_id=invite["sweep"])

    if asking.again and not on_phone:
        raise TeamError("who_are_you")  # the phone forgot who joined on it: the whole form
    if asking.again:  # the guest this phone joined as in the code's community, if any: their number, their name
        here = next((guest for guest in on_phone if guest["community"] == invite["community"]), on_phone[0])
        phone = here["phone"]
    name = here["name"] if asking.again else clean_name(asking.name)
    if not name:
        raise TeamError("bad_name")
    if len(name) > MAX_NAME:  # said as it is: a long name was told to write a name
        raise TeamError("name_too_long", limit=MAX_NAME)
    if len(phone) != 11 or not phone.startswith("1"):
        raise TeamError("bad_phone")

    tokens = list(asking.device_tokens)
    account = await devices.guest_of_phone(invite["community"], phone)
    device_token = None
    if account is None:
        account, device_token = await _new_guest(settings, invite, code, address, name, phone, tokens, now)
    else:
        proven = _proof(account, on_phone)
        if proven is None:
            await _confirmed(invite, account, asking, now)  # or raises, the same for every phone
            # The coordinator vouched, in person, that this is the number's owner: this phone is theirs now, and
            # phones that proved it before no longer do (a lost phone; someone who made the guest with a number
            # not theirs, before its owner came).
            await devices.forget(account["id"])
            await end_sessions([account["id"]])
        else:
            device_token = proven["token"]
    async with write_transaction():
        await add_member(invite["sweep"], account["id"], invite["id"], now)
        if device_token is None:  # confirmed by the coordinator: this phone proves itself from now on
            device_token = await devices.remember(account["id"], tokens, now)
        else:
            await devices.used(device_token, now)
    token, _ = await start_session(account["id"], timedelta(hours=settings.join_session_hours), asking.user_agent)
    return Joined(sweep_id=invite["sweep"], token=token, device_token=device_token)


async def _new_guest(
    settings: Settings,
    invite: dict,
    code: str,
    address: str,
    name: str,
    phone: str,
    tokens: list[str],
    now: datetime,
) -> tuple[dict, str]:
    """A guest of the code's community for a phone number it has no guest of, with this phone's secret bound to it
    in the same transaction; if another join made the guest a moment ago, this phone's proof for it. Within the
    limits of new guests per client address and per code (attempts.new_guest)."""
    user_id = uuid.uuid4()
    async with write_transaction():
        try:
            await attempts.new_guest(settings, code, address)
        except attempts.TooManyAttempts as limited:
            raise TeamError(NEW_GUESTS[limited.by], minutes=limited.minutes) from None
        await User.insert(
            User(
                id=user_id,
                community=invite["community"],
                phone=devices.stand_in(user_id),
                guest_phone=phone,
                name=name,
                role="volunteer",
                password_hash="",
                is_guest=True,
                created_at=now,
            )
        ).on_conflict(action="DO NOTHING")  # the community's guest of this number, made a moment ago
        account = await devices.guest_of_phone(invite["community"], phone)
        if account["id"] == user_id:
            return account, await devices.remember(user_id, tokens, now)
    # A second tap on "join" while the first was on its way: the first bound this phone's secret to the guest.
    proven = _proof(account, await devices.guests_on(tokens))
    if proven is None:
        raise TeamError("confirm_needed")
    return account, proven["token"]


def _proof(account: dict, on_phone: list[dict]) -> dict | None:
    """This phone's join cookie holds the guest's secret: the same phone they joined on."""
    return next((guest for guest in on_phone if guest["id"] == account["id"]), None)


async def _may_ask(invite: dict, account: dict) -> bool:
    """Only a guest of the code's community can be confirmed by its coordinator. An account with a password, a
    switched-off one, a guest of another community: nobody is asked, and the phone hears the same as for a guest.

    And only by a coordinator who already answers for everything the guest's identity opens: vouching hands the
    new phone every sweep the guest is in, so a grid worker's own code must not reach, through a guest's number, an
    admin's sweep of other grids (a stranger's review). Anyone else is not asked; the guest asks whoever made the
    code of the sweep they were in."""
    if not (account["is_guest"] and account["is_active"] and account["community"] == invite["community"]):
        return False
    maker = maker_of(invite)
    if maker is None or not maker["is_active"]:
        return False
    if maker["role"] == "admin":
        return True
    theirs = set(await answered_for(maker["id"], maker["grid"]))
    memberships = await SweepMember.select(SweepMember.sweep, *MEMBER_CODE).where(
        (SweepMember.user == account["id"]) & SweepMember.ended_at.is_null()
    )
    for member in memberships:
        opens = await code_opens(member["grids"], maker_of(member))
        if opens is None:  # the whole sweep: every grid of its buildings
            opens = tuple((await building_grids(member["sweep"])).values())
        if not set(opens) <= theirs:
            return False
    return True


async def _confirmed(invite: dict, account: dict, asking: JoinAsking, now: datetime) -> None:
    """Another phone with a guest's number: through with the coordinator's one-time code, used up here. Without
    one, the coordinator is asked (a request on the invite page), and the phone is told to ask them in person."""
    typed = normalize_phone(asking.confirm)
    if typed:
        if len(typed) == CODE_DIGITS and await _may_ask(invite, account):
            used = (
                await JoinRequest.update({JoinRequest.used_at: now})
                .where(
                    (JoinRequest.invite == invite["id"])
                    & (JoinRequest.user == account["id"])
                    & (JoinRequest.code == typed)
                    & JoinRequest.used_at.is_null()
                    & (JoinRequest.expires_at > now)
                )
                .returning(JoinRequest.id)
            )
            if used:
                return
        raise TeamError("wrong_confirmation")
    if await _may_ask(invite, account):
        await _ask_coordinator(invite, account, now, clean_name(asking.name)[:32])
    raise TeamError("confirm_needed")


async def _ask_coordinator(invite: dict, account: dict, now: datetime, typed_name: str = "") -> None:
    """One live request per guest and code: asking again keeps the code the coordinator may already have said."""
    if await JoinRequest.exists().where(
        (JoinRequest.invite == invite["id"])
        & (JoinRequest.user == account["id"])
        & JoinRequest.used_at.is_null()
        & (JoinRequest.expires_at > now)
    ):
        return
    await JoinRequest(
        invite=invite["id"],
        user=account["id"],
        code=digits(CODE_DIGITS),
        typed_name=typed_name,
        created_at=now,
        expires_at=now + timedelta(minutes=CONFIRM_MINUTES),
    ).save()


# A guest signed out ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LastSweep:
    """What became of the last sweep a guest joined, to tell them in words why they are signed out."""

    name: str
    why: str  # signed_out (a coordinator withdrew the code with its guests) / closed / ended (time ran out)
    at: datetime | None


async def last_sweep(user_id: uuid.UUID) -> LastSweep | None:
    row = (
        await SweepMember.select(
            SweepMember.sweep.name.as_alias("name"),
            SweepMember.sweep.status.as_alias("status"),
            SweepMember.sweep.closed_at.as_alias("closed_at"),
            SweepMember.ended_at,
        )
        .where(SweepMember.user == user_id)
        .order_by(SweepMember.joined_at, ascending=False)
        .first()
    )
    if row is None:
        return None
    if row["ended_at"] is not None:
        return LastSweep(name=row["name"], why="signed_out", at=row["ended_at"])
    if row["status"] == "closed":
        return LastSweep(name=row["name"], why="closed", at=row["closed_at"])
    return LastSweep(name=row["name"], why="ended", at=None)
