"""Accounts, server-side sessions and log-in attempts."""

from piccolo.columns import UUID, BigInt, Boolean, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

# Named, not imported: accounts sit below places (a grid's page says who answers for it), so the tables a user belongs
# to are named here the way audit names them (docs/decisions/0030). Same columns, same migrations.
_COMMUNITY = LazyTableReference("Community", module_path="server.places.tables")
_GRID = LazyTableReference("Grid", module_path="server.places.tables")
_RESIDENT = LazyTableReference("Resident", module_path="server.places.tables")


class User(Table, tablename="account"):
    id = UUID(primary_key=True)
    community = ForeignKey(_COMMUNITY, on_delete=OnDelete.restrict, null=False, index=True)
    phone = Varchar(length=20, unique=True)
    name = Varchar(length=32)
    role = Varchar(length=16)  # admin / grid_worker / volunteer / resident
    # A grid worker's grid; unique, so that each grid has one grid worker.
    grid = ForeignKey(_GRID, on_delete=OnDelete.set_null, null=True, unique=True)
    # A resident's own register entry.
    resident = ForeignKey(_RESIDENT, on_delete=OnDelete.set_null, null=True)
    password_hash = Varchar(length=128)
    is_active = Boolean(default=True)
    is_demo = Boolean(default=False)
    # Joined a sweep with its code (name and phone, no password): sees only the sweeps joined, until the session ends.
    is_guest = Boolean(default=False)
    # A guest's phone number. A guest is an identity of one community (the same number may be a guest in two, and an
    # account's login number too): `phone` holds a unique stand-in for them, never eleven digits, so that it opens
    # no log-in and takes no number from anyone; unique with `community` (an index made by a migration).
    guest_phone = Varchar(length=20, null=True, default=None, index=True)
    created_at = Timestamptz()


class UserSession(Table):
    """A logged-in browser. Kept in the database so that every worker process sees it.

    Only a hash of the cookie's token is stored: a leaked table does not log anyone in.
    """

    id = UUID(primary_key=True)
    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, null=False, index=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    user_agent = Varchar(length=256, default="")


class LoginAttempt(Table):
    """A log-in or a join by code, kept for the rate limits (accounts/attempts.py)."""

    id = UUID(primary_key=True)
    phone = Varchar(length=20, index=True)
    address = Varchar(length=64, index=True)
    at = Timestamptz(index=True)
    succeeded = Boolean(default=False)
    kind = Varchar(length=8, default="login")  # login / join
    # pending (being checked) / succeeded / failed (counted) / limited (refused by the limit: not counted) /
    # forgiven (a wrong password counted no longer: the account's password was reset since)
    outcome = Varchar(length=16, default="failed")
    # What proved the client was someone known (a phone that logged in to this account before, a guest's join
    # cookie, a session): such attempts count against that proof's own limit, not the address's (attempts.py).
    device = Varchar(length=64, default="", index=True)
    # An IPv6 client's /48 (a site: wrong join codes are counted over it too); "" for IPv4.
    network = Varchar(length=64, default="", index=True)


class GuestDevice(Table):
    """A phone a guest joined a sweep on: the hash of a random secret kept in that phone's join cookie. Showing it
    proves the phone is the same one, so that the guest can join again as themselves after being signed out, while
    their phone number alone opens nothing (docs/decisions/0019)."""

    id = UUID(primary_key=True)
    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, null=False, index=True)
    created_at = Timestamptz()
    used_at = Timestamptz()


class LoginDevice(Table):
    """A phone (a browser) that logged in to an account before: the hash of a random secret kept in its log-in
    cookie. Its wrong passwords count against its own small limit, so that neither strangers' tries at the number nor
    a NAT's at the address lock its owner out (accounts/login_devices.py, docs/decisions/0026). Apart from
    GuestDevice, which proves a guest with no password."""

    id = UUID(primary_key=True)
    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, null=False, index=True)
    created_at = Timestamptz()
    used_at = Timestamptz()


class GridCover(Table):
    """A grid handed to another grid worker while its own is away (sick, quarantined): its residents, round and
    task cards go with it. One row per covered grid; handing it back deletes the row."""

    id = UUID(primary_key=True)
    grid = ForeignKey(_GRID, on_delete=OnDelete.cascade, null=False, unique=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, null=False, index=True)
    since = Timestamptz()
    by = ForeignKey(User, on_delete=OnDelete.set_null, null=True)


class GridHandover(Table):
    """A grid passing from whoever answered for it to someone else (a cover begun, passed on or ended), kept: a call a
    grid worker made while the grid was theirs, sent from their phone after it was handed on, is still theirs to
    record (docs/decisions/0034). Append-only."""

    id = UUID(primary_key=True)
    grid = ForeignKey(_GRID, on_delete=OnDelete.cascade, null=False, index=True)
    # Who answered for the grid until `at` (none: nobody did), and since when (none: their own grid, since before
    # any hand-over kept here).
    from_user = ForeignKey(User, on_delete=OnDelete.cascade, null=True, index=True)
    held_since = Timestamptz(null=True, default=None)
    to_user = ForeignKey(User, on_delete=OnDelete.set_null, null=True)
    at = Timestamptz()
    by = ForeignKey(User, on_delete=OnDelete.set_null, null=True)


class SessionGeneration(Table):
    """One row (id 1): a number raised whenever sessions end or what a session carries changes (a log-out, an
    account deactivated, a grid handed over). Each worker process keeps the sessions it read for a few seconds and
    reads this number on every request: once it moved, the process reads every session again, so a change made by
    any process (or the command line) holds on the next request everywhere (docs/decisions/0002)."""

    value = BigInt(default=0)
