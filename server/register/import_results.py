"""What a saved import did, kept for the page that says it: its counts and each row it did not apply, with the reason
as the preview said it (issue 16: the page said "2 行没有导入" and named no row). Read back only by the person who
imported, in their community. Knows nothing of HTTP."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from server.access.scope import CurrentUser
from server.register.tables import RegisterImport

# Set aside because the register's value is newer, or may be (an export that lost its moment).
NEWER_HERE = {"changed_since", "changed_since_check", "changed_unknown_when"}


class Result(msgspec.Struct, kw_only=True):
    created: int
    updated: int
    unchanged: int = 0
    skipped: int = 0  # rows of people not in the register, left out by the worker's choice
    set_aside: int = 0  # rows not applied: they contradict the register, the ID number, or a newer change
    rows: list = []  # importing.RowProblem of each row not imported, in line order
    applied: list = []  # importing.Planned of each person created or updated, in line order (kept since issue 16)

    @property
    def set_aside_as_newer(self) -> int:
        return newer_here(self.rows)

    @property
    def set_aside_unknown_when(self) -> int:
        return unknown_when(self.rows)

    @property
    def not_imported(self) -> int:
        return len({p["line"] for p in self.rows})


# Said beside a row's reason for being set aside, never a reason of its own: the row's other changes.
ALSO = "also_not_applied"


def newer_here(problems: list[dict], kinds: set[str] = NEWER_HERE) -> int:
    """Rows set aside only because the register was changed after the file (not because they contradict it): said
    apart, since the worker does something else about them (a stranger's walk of issue 16 read every set-aside row as
    和台账或身份证号对不上). With `kinds`, the rows set aside for those reasons only."""
    found: dict[int, set[str]] = {}
    for p in problems:
        if p.get("set_aside") and p["kind"] != ALSO:
            found.setdefault(p["line"], set()).add(p["kind"])
    return sum(1 for reasons in found.values() if reasons <= kinds)


def unknown_when(problems: list[dict]) -> int:
    """Rows set aside because a field was changed here and the file lost its moment: which is newer is not known
    (said so, not as "changed after the file": a stranger's walk of issue 16)."""
    return newer_here(problems, {"changed_unknown_when"})


def not_applied(problems: list) -> list[dict]:
    """The problems of the rows an import leaves as they are: set aside, or left out as nobody of the register."""
    return [msgspec.to_builtins(p) for p in problems if p.set_aside or (p.kind == "unknown" and not p.blocking)]


def applied(planned: list) -> list[dict]:
    """Who an import created or updated, and each field it changed (old -> new): the saved page names them (a
    stranger's walk of issue 16: it said "12 updated" and named nobody)."""
    return [msgspec.to_builtins(p) for p in planned if p.action != "same"]


async def store(user: CurrentUser, at: datetime, result: Result) -> uuid.UUID:
    """Inside the saving's transaction: the result is kept exactly when the import is written."""
    key = uuid.uuid4()
    await RegisterImport.insert(
        RegisterImport(
            id=key, community=user.community_id, user=user.id, at=at, result=msgspec.json.encode(result).decode()
        )
    )
    return key


async def load(user: CurrentUser, key: uuid.UUID) -> Result | None:
    row = await (
        RegisterImport.select(RegisterImport.result)
        .where(
            (RegisterImport.id == key)
            & (RegisterImport.user == user.id)
            & (RegisterImport.community == user.community_id)
        )
        .first()
    )
    return None if row is None else msgspec.json.decode(row["result"], type=Result)
