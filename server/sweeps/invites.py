"""A sweep's join codes, and who asks to join again from another phone, as its coordinators see them. Knows
nothing of HTTP. Joining with a code: joining.py; why codes open what they open: docs/decisions/0019."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from server.access.scope import CurrentUser
from server.accounts import attempts
from server.settings import Settings
from server.sweeps.lifecycle import may_sign_out
from server.sweeps.queries import building_grids
from server.sweeps.tables import JoinRequest, SweepInvite
from server.sweeps.team import COORDINATORS, TeamError, code_opens, maker_of, parse_grids

INVITE_HOURS = (1, 2, 4, 8)
CODE_DIGITS = 6  # typed on a phone's number pad, read out across a stairwell


def digits(length: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(length))


async def create_invite(user: CurrentUser, sweep: dict, hours: int, now: datetime) -> SweepInvite:
    """A new code for a sweep the coordinator can see (the caller checked that). Codes are unique among all. A grid
    worker's code opens the grids they answer for now, also in an admin's sweep over several grids."""
    if user.role not in COORDINATORS or sweep["status"] != "open":
        raise TeamError("not_allowed")
    if hours not in INVITE_HOURS:
        raise TeamError("bad_hours")
    for _ in range(20):
        code = digits(CODE_DIGITS)
        if not await SweepInvite.exists().where(SweepInvite.code == code):
            break
    grids = "" if user.role == "admin" else ",".join(str(grid) for grid in user.grid_ids) or "none"
    invite = SweepInvite(
        sweep=sweep["id"],
        code=code,
        created_by=user.id,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
        grids=grids,
    )
    await invite.save()
    return invite


def within_scope(user: CurrentUser, grids: str) -> bool:
    """Whether a code opens nothing beyond what this coordinator answers for: an admin sees every code; a grid
    worker the codes that open their own grids only."""
    if user.role == "admin":
        return True
    opens = parse_grids(grids)
    return opens is not None and set(opens) <= set(user.grid_ids)


MAKER = (
    SweepInvite.created_by.as_alias("maker_id"),
    SweepInvite.created_by.role.as_alias("maker_role"),
    SweepInvite.created_by.grid.as_alias("maker_grid"),
    SweepInvite.created_by.is_active.as_alias("maker_active"),
)


async def code_works(sweep_id: uuid.UUID, row: dict) -> bool:
    """Whether a live code still opens some of the sweep: its maker, as they are now, still answers for a grid of
    it (`row` has the code's grids and MAKER's columns). A deactivated maker's codes open nothing."""
    opens = await code_opens(row["grids"], maker_of(row))
    return opens is None or bool(set(opens) & set((await building_grids(sweep_id)).values()))


async def live_invites(sweep_id: uuid.UUID, now: datetime) -> list[dict]:
    """The sweep's codes not withdrawn nor run out, each with `works`: False once its maker no longer answers for
    what it opened (the invite page says so instead of showing the digits)."""
    rows = await (
        SweepInvite.select(SweepInvite.id, SweepInvite.code, SweepInvite.expires_at, SweepInvite.grids, *MAKER)
        .where((SweepInvite.sweep == sweep_id) & SweepInvite.revoked_at.is_null() & (SweepInvite.expires_at > now))
        .order_by(SweepInvite.created_at, ascending=False)
    )
    return [row | {"works": await code_works(sweep_id, row)} for row in rows]


@dataclass(frozen=True, slots=True)
class CodeUse:
    """How many new volunteers a live code let in within the window, against its limit: a code handed round a
    crowd, or used up by a script making made-up volunteers, shows on its coordinator's page before (and when) new
    numbers are turned away with it; a new code has a limit of its own (docs/decisions/0019)."""

    new_guests: int
    limit: int
    minutes: int

    @property
    def used_up(self) -> bool:
        return self.new_guests >= self.limit

    @property
    def busy(self) -> bool:  # half of it gone: worth a look at who joined
        return self.new_guests * 2 >= self.limit


async def code_use(settings: Settings, codes: list[str]) -> dict[str, CodeUse]:
    counts = await attempts.new_guests_by_code(settings, codes)
    return {
        code: CodeUse(new_guests=n, limit=settings.join_max_new_guests_per_code, minutes=settings.login_window_minutes)
        for code, n in counts.items()
    }


@dataclass(frozen=True, slots=True)
class Asking:
    """A guest who asks to join again from another phone, as the coordinator sees it."""

    id: uuid.UUID
    name: str
    phone_tail: str
    code: str
    expires_at: datetime
    typed_name: str


async def asking_to_join(user: CurrentUser, sweep_id: uuid.UUID, now: datetime) -> list[Asking]:
    """Live requests made with the sweep's codes, for those who may end what a code gives (its maker, or whoever
    may close the sweep): confirming someone gives what the code gives."""
    rows = await JoinRequest.select(
        JoinRequest.id,
        JoinRequest.code,
        JoinRequest.expires_at,
        JoinRequest.typed_name,
        JoinRequest.user.name.as_alias("name"),
        JoinRequest.user.guest_phone.as_alias("phone"),
        JoinRequest.invite.created_by.as_alias("maker"),
    ).where((JoinRequest.invite.sweep == sweep_id) & JoinRequest.used_at.is_null() & (JoinRequest.expires_at > now))
    return [
        Asking(
            id=row["id"],
            name=row["name"],
            phone_tail=(row["phone"] or "")[-4:],
            code=row["code"],
            expires_at=row["expires_at"],
            typed_name=row["typed_name"] if row["typed_name"] != row["name"] else "",
        )
        for row in sorted(rows, key=lambda r: r["expires_at"])
        if await may_sign_out(user, sweep_id, row["maker"])
    ]
