"""The end of a sweep's work: closing it (and reopening it), and withdrawing a join code with what it gave.
Knows nothing of HTTP. The rules, and why: docs/decisions/0011-closing-a-sweep.md.

Closing ends live claims and withdraws the codes, so nobody new joins or climbs; the results stay readable and
exportable, and outcomes that phones queued before the close are still stored when they arrive (ticks.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from server.access.scope import CurrentUser
from server.accounts.services import end_sessions
from server.db import write_transaction
from server.sweeps.queries import building_grids
from server.sweeps.tables import Sweep, SweepClaim, SweepInvite, SweepMember
from server.sweeps.team import COORDINATORS, TeamError


def may_close(user: CurrentUser, grids: Iterable[uuid.UUID]) -> bool:
    """Admins, and a grid worker whose grids hold every building of the sweep: closing ends the work of all of its
    grids, which a grid worker of one of them must not decide for the others."""
    return user.role == "admin" or (user.role == "grid_worker" and set(grids) <= set(user.grid_ids))


async def may_close_sweep(user: CurrentUser, sweep_id: uuid.UUID) -> bool:
    return may_close(user, (await building_grids(sweep_id)).values())


@dataclass(frozen=True, slots=True)
class Ending:
    """What closing ends now, said on the confirm step."""

    live_claims: int
    live_codes: int


def _live_claims(sweep_id: uuid.UUID, now: datetime):
    return (SweepClaim.sweep == sweep_id) & SweepClaim.ended_at.is_null() & (SweepClaim.expires_at > now)


def _live_codes(sweep_id: uuid.UUID, now: datetime):
    return (SweepInvite.sweep == sweep_id) & SweepInvite.revoked_at.is_null() & (SweepInvite.expires_at > now)


async def ending(sweep_id: uuid.UUID, now: datetime) -> Ending:
    return Ending(
        live_claims=await SweepClaim.count().where(_live_claims(sweep_id, now)),
        live_codes=await SweepInvite.count().where(_live_codes(sweep_id, now)),
    )


async def close_sweep(user: CurrentUser, sweep_id: uuid.UUID, now: datetime) -> None:
    """Close a sweep the user can see (the caller checked that): its live claims end, its codes stop working. Closing
    a closed sweep changes nothing."""
    if not await may_close_sweep(user, sweep_id):
        raise TeamError("may_not_close")
    async with write_transaction():
        if not await Sweep.exists().where((Sweep.id == sweep_id) & (Sweep.status == "open")):
            return
        await Sweep.update({Sweep.status: "closed", Sweep.closed_at: now, Sweep.closed_by: user.id}).where(
            Sweep.id == sweep_id
        )
        await SweepClaim.update(
            {SweepClaim.ended_at: now, SweepClaim.ended_by: user.id, SweepClaim.end_reason: "closed"}
        ).where(_live_claims(sweep_id, now))
        await SweepInvite.update({SweepInvite.revoked_at: now}).where(_live_codes(sweep_id, now))


async def reopen_sweep(user: CurrentUser, sweep_id: uuid.UUID) -> None:
    """Open a closed sweep again. Claims and codes ended by the close stay ended: volunteers claim again, and the
    coordinator shows a new code."""
    if not await may_close_sweep(user, sweep_id):
        raise TeamError("may_not_close")
    await Sweep.update({Sweep.status: "open", Sweep.closed_at: None, Sweep.closed_by: None}).where(
        (Sweep.id == sweep_id) & (Sweep.status == "closed")
    )


# Join codes --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CodeGuests:
    """The guests still in a sweep who joined with one of its codes (live, withdrawn or run out)."""

    code: str
    live: bool
    guests: int
    may_sign_out: bool  # for the user asking: see may_sign_out


async def guests_by_code(user: CurrentUser, sweep_id: uuid.UUID, now: datetime) -> dict[uuid.UUID, CodeGuests]:
    """For each code of the sweep that guests joined with and are still in (not signed out), by the code's id.

    Volunteers who entered the code while logged in to their own account are not counted: they are not signed out.
    """
    rows = await SweepMember.select(
        SweepMember.invite,
        SweepMember.invite.code.as_alias("code"),
        SweepMember.invite.created_by.as_alias("maker"),
        SweepMember.invite.revoked_at.as_alias("revoked_at"),
        SweepMember.invite.expires_at.as_alias("expires_at"),
    ).where(
        (SweepMember.sweep == sweep_id)
        & SweepMember.ended_at.is_null()
        & SweepMember.invite.is_not_null()
        & SweepMember.user.is_guest.eq(True)
    )
    whole = await may_close_sweep(user, sweep_id) if rows else False
    found: dict[uuid.UUID, CodeGuests] = {}
    for row in rows:
        earlier = found.get(row["invite"])
        found[row["invite"]] = CodeGuests(
            code=row["code"],
            live=row["revoked_at"] is None and row["expires_at"] > now,
            guests=(earlier.guests if earlier else 0) + 1,
            may_sign_out=whole or row["maker"] == user.id,
        )
    return found


async def may_sign_out(user: CurrentUser, sweep_id: uuid.UUID, invite_created_by: uuid.UUID) -> bool:
    """Who may end what a code gave: whoever made the code, or may close the whole sweep (its guests may be working
    in other grids)."""
    return invite_created_by == user.id or await may_close_sweep(user, sweep_id)


async def withdraw_code(
    user: CurrentUser, sweep_id: uuid.UUID, invite_id: uuid.UUID, sign_out: bool, now: datetime
) -> int:
    """No one joins with the code any more. With sign_out, the guests who joined with it also leave the sweep: their
    claims in it end and they are signed out, unless still in another open sweep (then that one stays theirs).
    Volunteers with accounts of their own stay. Returns how many guests were signed out.

    What they recorded stays; what their phones still hold is refused as `signed_out` if it arrives (and kept with
    the refused writes), or stored if they join again with a new code (the same phone number, the same account).
    """
    if user.role not in COORDINATORS:
        raise TeamError("not_allowed")
    invite = (
        await SweepInvite.select(SweepInvite.id, SweepInvite.created_by)
        .where((SweepInvite.id == invite_id) & (SweepInvite.sweep == sweep_id))
        .first()
    )
    if invite is None:
        return 0  # gone already: nothing to withdraw
    if sign_out and not await may_sign_out(user, sweep_id, invite["created_by"]):
        raise TeamError("may_not_sign_out")
    async with write_transaction():
        await SweepInvite.update({SweepInvite.revoked_at: now}).where(
            (SweepInvite.id == invite_id) & SweepInvite.revoked_at.is_null()
        )
        if not sign_out:
            return 0
        guests = [
            row["user"]
            for row in await SweepMember.select(SweepMember.user).where(
                (SweepMember.sweep == sweep_id)
                & (SweepMember.invite == invite_id)
                & SweepMember.ended_at.is_null()
                & SweepMember.user.is_guest.eq(True)
            )
        ]
        if not guests:
            return 0
        await SweepMember.update({SweepMember.ended_at: now}).where(
            (SweepMember.sweep == sweep_id) & SweepMember.user.is_in(guests)
        )
        await SweepClaim.update(
            {SweepClaim.ended_at: now, SweepClaim.ended_by: user.id, SweepClaim.end_reason: "signed_out"}
        ).where(_live_claims(sweep_id, now) & SweepClaim.holder.is_in(guests))
        elsewhere = {
            row["user"]
            for row in await SweepMember.select(SweepMember.user).where(
                SweepMember.user.is_in(guests) & SweepMember.ended_at.is_null() & (SweepMember.sweep.status == "open")
            )
        }
        await end_sessions([guest for guest in guests if guest not in elsewhere])
    return len(guests)
