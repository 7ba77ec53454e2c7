"""The accounts of a community's admin and grid workers: made, given a new password, deactivated. By whoever runs
Gridcare (`python -m server add-user | reset-password | deactivate-user`) and by the community's admin on the
people page (accounts/people_controllers.py). Volunteers join sweeps with a code; residents' accounts are not made
here.

A password is made here, shown once to the person running the command, and stored only as its hash: they pass it on
(in person, or by phone), as communities hand out keys. Knows nothing of the command line.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from piccolo.engine.postgres import PostgresEngine

from server.accounts import attempts, login_devices
from server.accounts.passwords import PasswordsBusy, hash_password_async
from server.accounts.services import end_sessions, normalize_phone, sessions_changed
from server.accounts.tables import GridCover, User
from server.db import write_transaction
from server.errors import DomainError
from server.piccolo_conf import DB
from server.places.tables import Community, Grid
from server.staff.handover import record_handover
from server.text import clean_name

ROLES = ("admin", "grid_worker")
_ADMINS = "SELECT id FROM account WHERE community = {} AND role = 'admin' AND is_active"
_ADMINS_LOCKED = _ADMINS + " FOR UPDATE"
# Easy to read out over the phone: no 0/O, 1/l/I.
_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


class ProvisioningError(DomainError):
    """`code` for the admin's page (which says it in their language); the text for the command line."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(code, text)


async def _hashed(password: str) -> str:
    """The new password's hash, off the event loop and before the database is held (argon2 held every request while
    an admin added someone: issue 15)."""
    try:
        return await hash_password_async(password)
    except PasswordsBusy:
        raise ProvisioningError("busy", "the server is busy checking passwords: try again in a moment") from None


@dataclass(frozen=True, slots=True)
class Made:
    user_id: uuid.UUID
    phone: str  # as they type it to log in
    password: str


def new_password() -> str:
    """Twelve characters from 31: about 59 bits, more than enough behind the log-in limits."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(12))


async def community_named(name: str) -> uuid.UUID:
    """The community of that name (or id); several of that name (in other subdistricts) must be told apart by id."""
    as_id = _as_id(name)
    found = await Community.select(
        Community.id,
        Community.subdistrict.name.as_alias("subdistrict"),
        Community.subdistrict.district.name.as_alias("district"),
        Community.subdistrict.district.city.as_alias("city"),
    ).where((Community.id == as_id) if as_id else (Community.name == name))
    if not found:
        raise ProvisioningError("no_community", f"no community is called {name}: load its places first (load-places)")
    if len(found) > 1:
        choices = "; ".join(f"{r['id']} ({r['city']} {r['district']} {r['subdistrict']})" for r in found)
        raise ProvisioningError(
            "several_communities", f"several communities are called {name}; give one of these ids instead: {choices}"
        )
    return found[0]["id"]


def _as_id(name: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(name)
    except ValueError:
        return None


async def add_user(community_id: uuid.UUID, role: str, phone: str, name: str, grid: int | None = None) -> Made:
    """An admin of the community, or the grid worker of one of its grids (each grid has one).

    A phone that already has an account is refused, but for an admin or grid worker of this community who was
    deactivated and comes back under the same name (their records stay theirs: another name is refused, so that
    nobody's history is put under someone else's name). A guest who joined a sweep with the number, here or in
    another community, takes nothing: a guest is an identity of a community, not a log-in number, and stays a guest
    apart from the new account, their records theirs (docs/decisions/0019). Making a guest into this account would
    hand whoever typed the number first (perhaps not its owner) the account's records, or the account theirs."""
    if role not in ROLES:
        raise ProvisioningError("bad_role", f"role must be one of {', '.join(ROLES)}")
    phone = normalize_phone(phone)
    name = clean_name(name)  # as a form's name is (the command line is no form: server/text.py)
    if len(phone) != 11 or not phone.startswith("1"):
        raise ProvisioningError("bad_phone", "the phone must be an 11-digit mobile number: it is what they log in with")
    if not name:
        raise ProvisioningError("bad_name", "give their name (at most 32 characters)")
    if len(name) > 32:
        raise ProvisioningError("name_too_long", "their name is too long: at most 32 characters")
    if (role == "grid_worker") != (grid is not None):
        raise ProvisioningError("grid_needed", "a grid worker needs --grid, and only a grid worker has one")
    grid_id = None
    password = new_password()
    password_hash = await _hashed(password)
    async with write_transaction():
        existing = (
            await User.select(User.id, User.name, User.role, User.is_guest, User.is_active, User.community)
            .where(User.phone == phone)
            .first()
        )
        if existing is not None and not _comes_back(existing, community_id, name):
            raise ProvisioningError(
                "phone_taken", f"{phone} already has an account (reset-password gives it a new password)"
            )
        if grid is not None:
            row = await Grid.select(Grid.id).where((Grid.community == community_id) & (Grid.number == grid)).first()
            if row is None:
                raise ProvisioningError("no_grid", f"the community has no grid {grid}")
            grid_id = row["id"]
            holder = await User.select(User.name).where(User.grid == grid_id).first()
            if holder is not None:
                raise ProvisioningError("grid_taken", f"grid {grid} already has its grid worker, {holder['name']}")
            # The grid's new worker answers for it: a colleague who covered it while it had nobody hands it back.
            if await GridCover.exists().where(GridCover.grid == grid_id):
                newcomer = existing["id"] if existing is not None else None
                await record_handover(grid_id, newcomer, None, datetime.now(UTC))
            await GridCover.delete().where(GridCover.grid == grid_id)
        if existing is not None:
            user_id = existing["id"]
            await User.update(
                {
                    User.name: name,
                    User.role: role,
                    User.grid: grid_id,
                    User.password_hash: password_hash,
                    User.is_active: True,
                }
            ).where(User.id == user_id)
            await end_sessions([user_id])
        else:
            user = User(
                community=community_id,
                phone=phone,
                name=name,
                role=role,
                grid=grid_id,
                password_hash=password_hash,
                created_at=datetime.now(UTC),
            )
            await user.save()
            user_id = user.id
    await sessions_changed()  # sessions kept carry the grids they answered for (a cover may have ended)
    return Made(user_id=user_id, phone=phone, password=password)


def _comes_back(existing: dict, community_id: uuid.UUID, name: str) -> bool:
    if existing["community"] != community_id or existing["is_guest"]:
        return False
    return not existing["is_active"] and existing["role"] in ROLES and existing["name"] == name


async def _staff_member(phone: str, community_id: uuid.UUID | None) -> dict:
    """The account of that phone; with a community (the admin's page), only an admin or grid worker of it: residents'
    and volunteers' accounts are not the admin's to take over."""
    row = await (
        User.select(User.id, User.name, User.role, User.is_guest, User.is_active, User.community)
        .where(User.phone == normalize_phone(phone))
        .first()
    )
    if row is None or (community_id is not None and (row["community"] != community_id or row["role"] not in ROLES)):
        raise ProvisioningError("no_account", f"{phone} has no account")
    return row


async def reset_password(phone: str, community_id: uuid.UUID | None = None) -> Made:
    """A new password for someone who lost theirs; their sessions end (a lost phone is logged out too).
    community_id: only an admin or grid worker of that community (the admin's page)."""
    password = new_password()
    password_hash = await _hashed(password)
    async with write_transaction():
        row = await _staff_member(phone, community_id)
        if row["is_guest"]:
            raise ProvisioningError("no_account", f"{phone} has no account with a password")
        if not row["is_active"]:
            raise ProvisioningError("deactivated", f"{phone} was deactivated: add-user makes their account again")
        await User.update({User.password_hash: password_hash}).where(User.id == row["id"])
        await end_sessions([row["id"]])  # in every process, from the next request on
        # The reset is how an admin lets in a worker whose number strangers keep locked or whose phone was lost:
        # the number's count starts again (the new password is random and long). The phones it knew stay known:
        # forgetting them locked her out of the one she holds at the strangers' next tries, and helped nothing
        # against a stolen one, whose session ends here and whose guesses have their own small limit, counted at
        # the number too (docs/decisions/0026).
        await attempts.forgive_number(normalize_phone(phone))
    return Made(user_id=row["id"], phone=normalize_phone(phone), password=password)


async def deactivate_user(phone: str, community_id: uuid.UUID | None = None) -> str:
    """Someone leaves (or a phone is lost for good): no more log-in, sessions end, their grid is free for the next
    grid worker, the grids they covered for colleagues go back to nobody's cover. What they did stays theirs in
    every record; their name is returned. The community's last active admin is not deactivated. community_id: as
    above."""
    async with write_transaction():
        row = await _staff_member(phone, community_id)
        if row["role"] == "admin":
            # Every admin of the community, locked (PostgreSQL) so that two admins deactivating each other at once
            # cannot both pass; SQLite's write transactions already run one at a time.
            admins = await User.raw(_ADMINS_LOCKED if isinstance(DB, PostgresEngine) else _ADMINS, row["community"])
            if not any(admin["id"] != row["id"] for admin in admins):
                raise ProvisioningError("last_admin", "the community's last admin is not deactivated")
        await User.update({User.is_active: False, User.grid: None, User.password_hash: ""}).where(User.id == row["id"])
        await GridCover.delete().where(GridCover.user == row["id"])
        await login_devices.forget(row["id"])
        await end_sessions([row["id"]])  # in the same transaction: the grid and covers go with the sessions
    return row["name"]


PEOPLE_PAGE = 50  # people a page of /people shows (issue 18: a city's community may have many)


async def staff(community_id: uuid.UUID, page: int = 1) -> tuple[list[dict], list[dict], int]:
    """A page of the community's admins and grid workers (deactivated ones last), its grids with no grid worker, and
    how many people there are in all."""
    mine = (User.community == community_id) & User.role.is_in(list(ROLES)) & (User.is_guest.eq(False))
    people = await (
        User.select(
            User.id,
            User.name,
            User.phone,
            User.role,
            User.is_active,
            User.grid.as_alias("grid_id"),
            User.grid.number.as_alias("grid_number"),
            User.grid.name.as_alias("grid_name"),
        )
        .where(mine)
        .order_by(User.is_active, ascending=False)
        .order_by(User.role)
        .order_by(User.grid.number)
        .order_by(User.phone)  # a total order: a page never shares a person with the next
        .limit(PEOPLE_PAGE)
        .offset((page - 1) * PEOPLE_PAGE)
    )
    total = await User.count().where(mine)
    taken = {row["number"] for row in await User.select(User.grid.number.as_alias("number")).where(mine)}
    grids = await Grid.select(Grid.number, Grid.name).where(Grid.community == community_id).order_by(Grid.number)
    return people, [grid for grid in grids if grid["number"] not in taken], total
