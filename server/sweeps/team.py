"""Who sweeps what: the volunteers of a sweep and their claims on floors. Knows nothing of HTTP.

Volunteers join with a code (joining.py). A volunteer then claims a unit or a range of its floors, so that two people
do not climb the same stairs; a claim runs out by itself, can be extended or released, and a coordinator can hand it
to someone else. Claims decide where a volunteer may record doors (see ticks._check). Withdrawing a code, and closing
the sweep: lifecycle.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from server.access.scope import CurrentUser
from server.accounts.services import answered_for
from server.db import write_transaction
from server.errors import DomainError
from server.places.tables import Unit
from server.sweeps.tables import Sweep, SweepArea, SweepClaim, SweepMember, SweepTick

MEMBER_NAMESPACE = uuid.UUID("6b1f5d0e-2a8c-5e59-9c7d-1f3e0b7a4c21")
COORDINATORS = ("admin", "grid_worker")


class TeamError(DomainError):
    """A refused join or claim; `code` picks the message shown to the person."""

    def __init__(self, code: str, **details) -> None:
        super().__init__(code)
        self.details = details


def member_id(sweep_id: uuid.UUID, user_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(MEMBER_NAMESPACE, f"{sweep_id}:{user_id}")


async def add_member(sweep_id: uuid.UUID, user_id: uuid.UUID, invite_id: uuid.UUID | None, now: datetime) -> None:
    """Joining with a code records that code (the latest one used) and lets someone signed out back in; claiming
    floors while logged in only makes sure the volunteer is listed."""
    member = SweepMember(id=member_id(sweep_id, user_id), sweep=sweep_id, user=user_id, invite=invite_id, joined_at=now)
    if invite_id is None:
        await SweepMember.insert(member).on_conflict(action="DO NOTHING")
        return
    await SweepMember.insert(member).on_conflict(
        target=SweepMember.id,
        action="DO UPDATE",
        values=[SweepMember.invite, SweepMember.joined_at, (SweepMember.ended_at, None)],
    )


async def is_member(sweep_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Joined (or claimed floors of) the sweep and not signed out of it since."""
    return await SweepMember.exists().where(
        (SweepMember.id == member_id(sweep_id, user_id)) & SweepMember.ended_at.is_null()
    )


def parse_grids(text: str | None) -> tuple[uuid.UUID, ...] | None:
    """A code's grids as stored (SweepInvite.grids): None for the whole sweep."""
    if not text:
        return None
    return tuple(uuid.UUID(part) for part in text.split(",") if part and part != "none")


async def code_opens(grids: str | None, maker: dict) -> tuple[uuid.UUID, ...] | None:
    """What a code opens now (None: the whole sweep; (): nothing): the grids stored with it (its maker's when they
    made it) that its maker still answers for. A deactivated maker's codes open nothing, and a grid worker's code
    no longer opens a grid whose cover ended (docs/decisions/0019). `maker`: role, grid, is_active of its maker."""
    if maker is None or not maker.get("is_active"):
        return ()
    stored = parse_grids(grids)
    if maker["role"] == "admin":
        return stored
    if maker["role"] != "grid_worker":
        return ()
    now = await answered_for(maker["id"], maker["grid"])
    return tuple(grid for grid in (now if stored is None else stored) if grid in now)


# The code a member last joined with, and its maker as they are now: what code_opens(grids, maker_of(row)) needs.
MEMBER_CODE = (
    SweepMember.invite.grids.as_alias("grids"),
    SweepMember.invite.created_by.as_alias("maker_id"),
    SweepMember.invite.created_by.role.as_alias("maker_role"),
    SweepMember.invite.created_by.grid.as_alias("maker_grid"),
    SweepMember.invite.created_by.is_active.as_alias("maker_active"),
)


async def guest_grids(sweep_id: uuid.UUID, user_id: uuid.UUID) -> tuple[bool, tuple[uuid.UUID, ...] | None]:
    """Whether a guest is in the sweep (joined, not signed out since), and the grids the code they last joined with
    opens now: a grid worker's code opens that grid worker's part of the sweep only, as it is at each use."""
    row = (
        await SweepMember.select(SweepMember.invite.as_alias("invite"), *MEMBER_CODE)
        .where((SweepMember.id == member_id(sweep_id, user_id)) & SweepMember.ended_at.is_null())
        .first()
    )
    if row is None:
        return False, None
    if row["invite"] is None:
        return True, None  # in the sweep by a claim made while logged in with an account (no code)
    return True, await code_opens(row["grids"], maker_of(row))


def maker_of(row: dict) -> dict | None:
    """A code's maker from a row that selected maker_id, maker_role, maker_grid and maker_active."""
    if row["maker_id"] is None:
        return None
    return {
        "id": row["maker_id"],
        "role": row["maker_role"],
        "grid": row["maker_grid"],
        "is_active": row["maker_active"],
    }


async def members(sweep_id: uuid.UUID, viewer: CurrentUser | None = None) -> list[dict]:
    """Volunteers of the sweep a coordinator can hand a claim to. A grid worker sees those who joined with a code
    they made, those who claimed or recorded doors of their grids, and those who joined with the admin's code and
    have not started anywhere yet (anyone's to send); not the volunteers of other grids."""
    rows = (
        await SweepMember.select(
            SweepMember.user.id.as_alias("id"),
            SweepMember.user.name.as_alias("name"),
            SweepMember.invite.created_by.as_alias("inviter"),
            SweepMember.invite.created_by.role.as_alias("inviter_role"),
        )
        .where((SweepMember.sweep == sweep_id) & SweepMember.ended_at.is_null())
        .order_by(SweepMember.joined_at)
    )
    if viewer is None or viewer.role != "grid_worker":
        return rows
    worked = [
        *await SweepClaim.select(SweepClaim.holder.as_alias("who"), SweepClaim.unit.building.grid.as_alias("grid"))
        .where(SweepClaim.sweep == sweep_id)
        .distinct(),
        *await SweepTick.select(SweepTick.volunteer.as_alias("who"), SweepTick.household.building.grid.as_alias("grid"))
        .where(SweepTick.sweep == sweep_id)
        .distinct(),
    ]
    here = {row["who"] for row in worked if row["grid"] in viewer.grid_ids}
    anywhere = {row["who"] for row in worked}
    return [
        row
        for row in rows
        if row["inviter"] == viewer.id
        or row["id"] in here
        or (row["inviter_role"] == "admin" and row["id"] not in anywhere)
    ]


# Claims ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClaimView:
    id: uuid.UUID
    holder_id: uuid.UUID
    holder_name: str
    building_id: uuid.UUID
    unit_id: uuid.UUID
    unit: int
    floor_from: int
    floor_to: int
    expires_at: datetime

    def minutes_left(self, now: datetime) -> int:
        return max(0, int((self.expires_at - now).total_seconds() // 60))


def _live(now: datetime):
    return SweepClaim.ended_at.is_null() & (SweepClaim.expires_at > now)


async def live_claims(sweep_id: uuid.UUID, now: datetime) -> list[ClaimView]:
    """Claims holding now, in the order of the building."""
    rows = await SweepClaim.select(
        SweepClaim.id,
        SweepClaim.holder,
        SweepClaim.holder.name.as_alias("holder_name"),
        SweepClaim.unit,
        SweepClaim.unit.building.as_alias("building"),
        SweepClaim.unit.number.as_alias("number"),
        SweepClaim.floor_from,
        SweepClaim.floor_to,
        SweepClaim.expires_at,
    ).where((SweepClaim.sweep == sweep_id) & _live(now))
    claims = [
        ClaimView(
            id=r["id"],
            holder_id=r["holder"],
            holder_name=r["holder_name"],
            building_id=r["building"],
            unit_id=r["unit"],
            unit=r["number"],
            floor_from=r["floor_from"],
            floor_to=r["floor_to"],
            expires_at=r["expires_at"],
        )
        for r in rows
    ]
    return sorted(claims, key=lambda c: (str(c.building_id), c.unit, c.floor_from))


async def _unit_in_sweep(sweep_id: uuid.UUID, unit_id: uuid.UUID) -> dict | None:
    unit = (
        await Unit.select(Unit.id, Unit.building, Unit.floors, Unit.building.grid.as_alias("grid"))
        .where(Unit.id == unit_id)
        .first()
    )
    if unit is None:
        return None
    in_sweep = await SweepArea.exists().where(
        (SweepArea.sweep == sweep_id)
        & (SweepArea.building == unit["building"])
        & (SweepArea.unit.is_null() | (SweepArea.unit == unit_id))
        & (SweepArea.household.is_null() | (SweepArea.household.unit == unit_id))
    )
    return unit if in_sweep else None


async def claim(
    user: CurrentUser,
    sweep: dict,
    unit_id: uuid.UUID,
    floor_from: int,
    floor_to: int,
    now: datetime,
    minutes: int,
) -> SweepClaim:
    """Hold floors floor_from..floor_to of a unit for `minutes`. Refused when someone else holds any of them."""
    if user.role != "volunteer" or sweep["status"] != "open":
        raise TeamError("not_allowed")
    unit = await _unit_in_sweep(sweep["id"], unit_id)
    if unit is None or (sweep.get("grids") is not None and unit["grid"] not in sweep["grids"]):
        raise TeamError("not_in_sweep")  # or not in the part of it the guest's code opens
    if not 1 <= floor_from <= floor_to <= unit["floors"]:
        raise TeamError("bad_floors", floors=unit["floors"])
    async with write_transaction():
        # Again inside the transaction: a close that committed meanwhile has ended every claim, and so must this one.
        if not await Sweep.exists().where((Sweep.id == sweep["id"]) & (Sweep.status == "open")):
            raise TeamError("sweep_closed")
        await _refuse_overlap(sweep["id"], unit_id, floor_from, floor_to, now, user.id)
        await add_member(sweep["id"], user.id, None, now)
        held = SweepClaim(
            sweep=sweep["id"],
            holder=user.id,
            unit=unit_id,
            floor_from=floor_from,
            floor_to=floor_to,
            claimed_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
        await held.save()
    return held


async def _refuse_overlap(
    sweep_id: uuid.UUID, unit_id: uuid.UUID, floor_from: int, floor_to: int, now: datetime, holder: uuid.UUID
) -> None:
    """Refuse floors that a live claim holds already: naming whoever else holds them, or, when it is the one who
    asks, telling them that they hold those floors themselves (their own name read as a stranger's confused them)."""
    overlaps = await (
        SweepClaim.select(
            SweepClaim.holder, SweepClaim.holder.name.as_alias("name"), SweepClaim.floor_from, SweepClaim.floor_to
        )
        .where(
            (SweepClaim.sweep == sweep_id)
            & (SweepClaim.unit == unit_id)
            & _live(now)
            & (SweepClaim.floor_from <= floor_to)
            & (SweepClaim.floor_to >= floor_from)
        )
        .order_by(SweepClaim.floor_from)
    )
    others = [row for row in overlaps if row["holder"] != holder]
    if others:
        first = others[0]
        raise TeamError("taken", name=first["name"], floor_from=first["floor_from"], floor_to=first["floor_to"])
    if overlaps:
        raise TeamError("yours", floor_from=overlaps[0]["floor_from"], floor_to=overlaps[0]["floor_to"])


async def _live_claim(sweep_id: uuid.UUID, claim_id: uuid.UUID, now: datetime) -> dict:
    row = await SweepClaim.select().where((SweepClaim.id == claim_id) & (SweepClaim.sweep == sweep_id) & _live(now))
    if not row:
        raise TeamError("claim_gone")
    return row[0]


async def extend(user: CurrentUser, sweep_id: uuid.UUID, claim_id: uuid.UUID, now: datetime, minutes: int) -> None:
    """The holder (or a coordinator) gives a claim another full period from now."""
    held = await _live_claim(sweep_id, claim_id, now)
    if held["holder"] != user.id and user.role not in COORDINATORS:
        raise TeamError("not_allowed")
    await SweepClaim.update({SweepClaim.expires_at: now + timedelta(minutes=minutes)}).where(SweepClaim.id == claim_id)


async def release(user: CurrentUser, sweep_id: uuid.UUID, claim_id: uuid.UUID, now: datetime) -> None:
    held = await _live_claim(sweep_id, claim_id, now)
    if held["holder"] != user.id and user.role not in COORDINATORS:
        raise TeamError("not_allowed")
    await SweepClaim.update(
        {SweepClaim.ended_at: now, SweepClaim.ended_by: user.id, SweepClaim.end_reason: "released"}
    ).where(SweepClaim.id == claim_id)


async def reassign(
    user: CurrentUser, sweep_id: uuid.UUID, claim_id: uuid.UUID, to_user: uuid.UUID, now: datetime, minutes: int
) -> None:
    """A coordinator hands the floors to another volunteer of the sweep (the first went quiet, or left).

    The first holder's ticks still count when they arrive: their phone may have been offline all along.
    """
    if user.role not in COORDINATORS:
        raise TeamError("not_allowed")
    async with write_transaction():
        held = await _live_claim(sweep_id, claim_id, now)
        if not await is_member(sweep_id, to_user) or to_user == held["holder"]:
            raise TeamError("not_a_member")
        await SweepClaim.update(
            {SweepClaim.ended_at: now, SweepClaim.ended_by: user.id, SweepClaim.end_reason: "reassigned"}
        ).where(SweepClaim.id == claim_id)
        await SweepClaim(
            sweep=sweep_id,
            holder=to_user,
            unit=held["unit"],
            floor_from=held["floor_from"],
            floor_to=held["floor_to"],
            claimed_at=now,
            expires_at=now + timedelta(minutes=minutes),
        ).save()
