"""Retention: when an emergency ends, personal information is kept no longer than needed (PIPL art. 19). An admin
purges what is older than N days from their community: sweep ticks and what the doors remembered of them (who,
when, notes, help), photos of finished errand cards, the details of audit entries, refused writes, requests to
join and the rows register imports set aside (`python -m server purge`, README: "Backup, restore and retention";
decision 0016 lists every column).

What never goes:
- Door states. Each keeps the memory its state is computed from (decision 0007); the sweep is folded before its
  ticks go, and only ticks already folded in (seq <= sweep.folded_seq) are deleted. The memory is rewritten
  without the purged ticks' who, when, notes and help (rules.DoorMemory.forget), keeping their outcomes, so no
  sweep's progress, door state or person-sweep reconciliation changes. (A later change that folds a sweep again
  from its first tick would now miss the purged ones: such a migration must keep the memories, not rebuild them.)
- Errand cards, open cards' photos; the receipt of money advanced and not yet paid back, whatever the card.
- The register, guides, accounts, and the audit entries themselves: who did what and when stays; whose record
  they read and from which address goes.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from server.audit.tables import AuditEntry
from server.db import RawSQL, write_transaction
from server.errands.rules import FINISHED
from server.piccolo_conf import DB
from server.sweeps.rules import MEMORY_DECODER, MEMORY_ENCODER
from server.sweeps.services import door_state_id, fold_afresh, fold_door_states, serialise_per_sweep

log = logging.getLogger("gridcare")

PURGE_ACTION = "retention.purge"  # the audit entry of a purge (it keeps its own details)

_TICKS = "FROM sweep_tick AS t WHERE t.received_at < {} AND t.sweep IN (SELECT id FROM sweep WHERE community = {})"
_FOLDED = " AND t.seq <= (SELECT s.folded_seq FROM sweep s WHERE s.id = t.sweep)"
# Photos of finished cards (states passed as FINISHED), except the receipt of money advanced and not yet paid back
# (the worker is still owed it).
_PHOTOS = (
    "FROM errand_photo AS p WHERE p.at < {} AND p.errand IN"
    " (SELECT e.id FROM errand e WHERE e.community = {} AND e.state IN ({*})"
    "  AND NOT (p.role = 'receipt' AND e.advanced_cents > 0 AND NOT e.reimbursed))"
)
_AUDIT = (
    f"FROM audit_entry AS a WHERE a.community = {{}} AND a.at < {{}} AND a.action <> '{PURGE_ACTION}'"
    " AND (a.target_id <> '' OR a.address <> '')"
)
# Writes the server refused (kept a month for the phone's owner, sync.services.purge_refused): a refused tick holds
# the note and help typed at a door.
_REFUSED = (
    'FROM sync_rejection AS r WHERE r.received_at < {} AND r."user" IN (SELECT id FROM account WHERE community = {})'
)
# Asking to join with someone else's guest number: the name typed with it (join codes last minutes, these too).
_REQUESTS = (
    "FROM join_request AS j WHERE j.expires_at < {} AND j.invite IN"
    " (SELECT i.id FROM sweep_invite i JOIN sweep s ON s.id = i.sweep WHERE s.community = {})"
)

# What an import set aside, kept for the page that says so (names, doors, values typed): read the day it was made.
_IMPORTS = "FROM register_import AS r WHERE r.at < {} AND r.community = {}"


class RetentionError(Exception):
    """Said to the admin in words; nothing was removed."""


@dataclass(frozen=True)
class Purger:
    admin_id: uuid.UUID
    name: str
    community_id: uuid.UUID
    community: str


async def purger(phone: str, community: str | None) -> Purger:
    """The admin who decides a purge (named in its audit entry) and their community, the only one it touches."""
    from server.accounts.tables import User
    from server.places.tables import Community
    from server.staff.provisioning import ProvisioningError, community_named, normalize_phone

    row = await (
        User.select(User.id, User.name, User.role, User.is_active, User.community, User.community.name.as_alias("at"))
        .where(User.phone == normalize_phone(phone))
        .first()
    )
    if row is None or row["role"] != "admin" or not row["is_active"]:
        raise RetentionError(f"{phone} is not an active community admin; a purge is an admin's decision")
    if community is not None:
        try:
            named = await community_named(community)
        except ProvisioningError as exc:
            raise RetentionError(str(exc)) from exc
        if named != row["community"]:
            at = await Community.select(Community.name).where(Community.id == named).first()
            raise RetentionError(f"{phone} is the admin of {row['at']}, not of {at['name']}")
    return Purger(admin_id=row["id"], name=row["name"], community_id=row["community"], community=row["at"])


@dataclass(frozen=True)
class Purge:
    ticks: int
    sweeps: int  # sweeps those ticks belong to
    photos: int
    photo_bytes: int
    audit: int
    refused: int  # refused writes, requests to join and the rows imports set aside

    def summary(self) -> str:
        return (
            f"{self.ticks} sweep ticks (of {self.sweeps} sweeps), {self.photos} errand photos "
            f"({self.photo_bytes / 1e6:.1f} MB), details of {self.audit} audit entries, "
            f"{self.refused} refused writes, requests to join and import results"
        )


async def _count(sql: RawSQL, community_id: uuid.UUID, cutoff: datetime, *, folded: bool) -> Purge:
    at = sql.timestamp(cutoff)
    [ticks] = await sql.fetch(
        "SELECT count(*) AS n, count(DISTINCT t.sweep) AS sweeps " + _TICKS + (_FOLDED if folded else ""),
        at,
        community_id,
    )
    [photos] = await sql.fetch(
        "SELECT count(*) AS n, coalesce(sum(length(p.data)), 0) AS size " + _PHOTOS, at, community_id, FINISHED
    )
    [audit] = await sql.fetch("SELECT count(*) AS n " + _AUDIT, community_id, at)
    [refused] = await sql.fetch("SELECT count(*) AS n " + _REFUSED, at, community_id)
    [requests] = await sql.fetch("SELECT count(*) AS n " + _REQUESTS, at, community_id)
    [imports] = await sql.fetch("SELECT count(*) AS n " + _IMPORTS, at, community_id)
    return Purge(
        ticks=int(ticks["n"]),
        sweeps=int(ticks["sweeps"]),
        photos=int(photos["n"]),
        photo_bytes=int(photos["size"]),
        audit=int(audit["n"]),
        refused=int(refused["n"]) + int(requests["n"]) + int(imports["n"]),
    )


async def preview(community_id: uuid.UUID, cutoff: datetime) -> Purge:
    """What a purge with this cutoff would remove; nothing is written (the transaction is RawSQL's way of reading,
    and ends with nothing in it)."""
    async with write_transaction():
        return await _count(RawSQL(), community_id, cutoff, folded=False)


async def purge(community_id: uuid.UUID, cutoff: datetime, by: uuid.UUID, days: int, now: datetime) -> Purge:
    """Remove it, all in one transaction, with an audit entry saying what went; then one log line."""
    async with write_transaction():
        sql = RawSQL()
        sweeps = [
            row["sweep"]
            for row in await sql.fetch(
                "SELECT DISTINCT CAST(t.sweep AS TEXT) AS sweep " + _TICKS, sql.timestamp(cutoff), community_id
            )
        ]
    for sweep in sweeps:  # each door's memory takes in every tick before any goes
        await fold_door_states(uuid.UUID(sweep))
    async with write_transaction():
        sql = RawSQL()
        if sql.sqlite:
            # Deleted rows are overwritten with zeros, not left in free pages of the file for anyone who copies it.
            sql.connection.execute("PRAGMA secure_delete = ON")
        try:
            await serialise_per_sweep(sql, {uuid.UUID(sweep) for sweep in sweeps})  # no fold meanwhile
            gone = await _count(sql, community_id, cutoff, folded=True)
            at = sql.timestamp(cutoff)
            going = await sql.fetch(
                "SELECT CAST(t.sweep AS TEXT) AS sweep, CAST(t.household AS TEXT) AS household,"
                " CAST(t.seq AS BIGINT) AS seq " + _TICKS + _FOLDED,
                at,
                community_id,
            )
            await sql.fetch("DELETE " + _TICKS + _FOLDED, at, community_id)
            await _forget(sql, going)
            await sql.fetch("DELETE " + _REFUSED, at, community_id)
            await sql.fetch("DELETE " + _REQUESTS, at, community_id)
            await sql.fetch("DELETE " + _IMPORTS, at, community_id)
            await sql.fetch("DELETE " + _PHOTOS, at, community_id, FINISHED)
            await sql.fetch(
                "UPDATE audit_entry SET target_id = '', address = '' WHERE id IN (SELECT a.id " + _AUDIT + ")",  # noqa: S608
                community_id,
                at,
            )
            await AuditEntry.insert(  # on the transaction's connection
                AuditEntry(
                    community=community_id,
                    user=by,
                    action=PURGE_ACTION,
                    target_type="older_than_days",
                    target_id=f"{days}d ticks={gone.ticks} photos={gone.photos} audit={gone.audit}"[:64],
                    address="",
                    at=now,
                )
            )
        finally:
            if sql.sqlite:
                sql.connection.execute("PRAGMA secure_delete = OFF")
    await _reclaim()
    log.info(
        "retention: purged %s older than %d days (before %s) in community %s, by account %s",
        gone.summary(),
        days,
        cutoff.isoformat(timespec="seconds"),
        community_id,
        by,
    )
    return gone


async def _forget(sql: RawSQL, going: list) -> None:
    """The door memories of the purged ticks' doors, rewritten without them (rules.DoorMemory.forget): the who,
    when, notes and help those ticks left there go; each door's state and counts stay."""
    doors: dict[str, dict[str, set[int]]] = {}
    for tick in going:
        doors.setdefault(tick["sweep"], {}).setdefault(tick["household"], set()).add(int(tick["seq"]))
    for sweep, purged in doors.items():
        sweep_id = uuid.UUID(sweep)
        ids = {str(door_state_id(sweep_id, uuid.UUID(household))): household for household in purged}
        kept = await fold_afresh(sql, sweep_id, purged.keys())
        rows = []
        for row in await sql.fetch(
            "SELECT CAST(id AS TEXT) AS id, memory FROM door_state WHERE sweep = {} AND memory <> ''", sweep_id
        ):
            household = ids.get(row["id"])
            if household is not None:
                memory = MEMORY_DECODER.decode(row["memory"]).forget(purged[household], kept[household])
                rows.append((MEMORY_ENCODER.encode(memory).decode(), uuid.UUID(row["id"])))
        await sql.execute_many("UPDATE door_state SET memory = {} WHERE id = {}", rows)


async def _reclaim() -> None:
    """What was deleted leaves the files too: SQLite's log is checkpointed into the (zeroed) database file;
    PostgreSQL's dead rows are vacuumed."""
    if DB.engine_type == "sqlite":
        await DB.run_ddl("PRAGMA wal_checkpoint(TRUNCATE);")
    else:
        for table in ("sweep_tick", "door_state", "errand_photo", "audit_entry", "sync_rejection", "join_request"):
            await DB.run_ddl(f"VACUUM {table};")
