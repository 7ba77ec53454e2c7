"""Which fields of a register entry were changed, when and by whom; and an older export imported after them.

Every save of a profile (the edit form, an import) appends one ProfileChange naming the fields it changed. The
register's export carries the moment it was made, in a line above its header that a person reads too; an import of
that file finds the fields changed here after that moment. A row whose value of such a field differs from the
register's is set aside, never written back over the newer change (a stranger's walk of issue 16: a worker's older
export put 陈润生's 独居 back over the 空巢 a colleague had saved since; decision 0028). A file without that line (a
list typed by hand) is read as before. Knows nothing of HTTP.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from server.access.scope import Scope
from server.db import insert_in_chunks
from server.register.tables import ProfileChange
from server.settings import get_settings

# The profile's fields a save may change, as importing.Plan.changes names them.
FIELDS = (
    "living",
    "mobility",
    "conditions",
    "medicines",
    "interests",
    "best_time",
    "priority",
    "in_round",
    "notes",
    "contacts",
    "birth_date",
)
CONTACT_KEYS = ("name", "relation", "phone", "lives")
STAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
_STAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
# Words of the export's line in either catalog ("格格帮台账，导出时间 …", "Gridcare register, exported …"): a title
# of a list typed by hand holding a time is not taken for it unless it says so.
_STAMP_WORDS = ("导出", "export")


@dataclass(slots=True)
class Changed:
    at: datetime
    by: str  # the name of who saved it ("" when the account is gone)


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def stamp(now: datetime) -> str:
    """The moment an export was made, on the community's clock, to the second: what the file's line says."""
    return now.astimezone(_zone()).strftime(STAMP_FORMAT)


def said(moment: datetime) -> str:
    """A moment as the preview says it: 2026-12-08 10:23 on the community's clock."""
    return moment.astimezone(_zone()).strftime("%Y-%m-%d %H:%M")


def exported_at(above: Iterable[str]) -> datetime | None:
    """The moment the register's export line above the header says (None: no such line, a list typed by hand, or a
    moment not yet come: a time typed over, which would protect nothing)."""
    for line in above:
        found = _STAMP.search(line)
        if found is None or not any(word in line.lower() for word in _STAMP_WORDS):
            continue
        try:
            moment = datetime(*map(int, found.groups()), tzinfo=_zone()).astimezone(UTC)
        except ValueError:
            return None
        return moment if moment <= datetime.now(UTC) else None
    return None


def export_line_unread(above: Iterable[str]) -> bool:
    """A line above the header says it is the register's export, but its moment cannot be used (typed over, cut to
    the minute, in the future): said, since what was changed here after the export is then not protected (a
    stranger's walk of issue 16 found the protection gone without a word)."""
    said = [line for line in above if any(word in line.lower() for word in _STAMP_WORDS)]
    return bool(said) and exported_at(said) is None


def profile_changes(
    current: dict | None,
    values: dict,
    contacts_before: list[dict],
    contacts_after: list[dict] | None,
    birth_before: date | None,
    birth_after: date | None,
) -> list[str]:
    """The fields a save changes (the edit form's): every field of a new entry; else those whose value differs."""
    if current is None:
        return list(FIELDS[:-2]) + (["contacts"] if contacts_after else []) + (["birth_date"] if birth_after else [])
    changed = [name for name in FIELDS[:-2] if name in values and values[name] != current[name]]
    if contacts_after is not None and _contacts_key(contacts_after) != _contacts_key(contacts_before):
        changed.append("contacts")
    if birth_after is not None and birth_after != birth_before:
        changed.append("birth_date")
    return changed


def _contacts_key(contacts: list[dict]) -> list[tuple]:
    return [tuple(c.get(k, "") for k in CONTACT_KEYS) for c in contacts]


async def record(community: uuid.UUID, user: uuid.UUID, at: datetime, saved: Iterable[tuple[uuid.UUID, list[str]]]):
    """One row per resident whose entry a save changed; inside the save's transaction."""
    await insert_in_chunks(
        ProfileChange,
        [
            ProfileChange(community=community, resident=resident, fields=",".join(fields), at=at, by=user)
            for resident, fields in saved
            if fields
        ],
    )


async def changed_since(scope: Scope, since: datetime) -> dict[uuid.UUID, dict[str, Changed]]:
    """Per resident of the community, each field changed after `since`, with its latest change. Changes after an
    export are few: one query, whatever the register's size (scoped to the people of the import by the caller)."""
    rows = await (
        ProfileChange.select(
            ProfileChange.resident, ProfileChange.fields, ProfileChange.at, ProfileChange.by.name.as_alias("who")
        )
        .where((ProfileChange.community == scope.community_id) & (ProfileChange.at > since))
        .order_by(ProfileChange.at)
    )
    out: dict[uuid.UUID, dict[str, Changed]] = {}
    for row in rows:
        fields = out.setdefault(row["resident"], {})
        for name in row["fields"].split(","):
            fields[name] = Changed(row["at"], row["who"] or "")  # in time order: the latest stays
    return out
