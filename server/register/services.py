"""The register of elderly residents: profiles read and written, their phones, the export and the audit log, always
inside a Scope. Knows nothing of HTTP. The daily round of calls is round.py's.

Every read of a profile and every phone number shown whole is written to the audit log by the caller's service
function here, not by the page: an API added later cannot forget it.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal

import msgspec

from server.access.masks import mask_phone
from server.access.scope import CurrentUser, Scope
from server.accounts.tables import User
from server.audit.services import record_read
from server.db import write_transaction
from server.places.services import ELDERLY_AGE, age_on
from server.places.tables import Household, Resident
from server.register import changes, history
from server.register.tables import Contact, ElderProfile
from server.text import clean_name

LIVING = ("alone", "spouse", "family")
MOBILITY = ("good", "limited", "bedridden")
MAX_CONTACTS = 5


class ProfileError(Exception):
    """Bad input on the profile form: `errors` maps each field to a message code, shown in place."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


class ProfileConflict(Exception):
    """Someone saved the profile after this form was opened: nothing is overwritten."""

    def __init__(self, current: ProfileView) -> None:
        super().__init__("conflict")
        self.current = current


def auto_priority(living: str, mobility: str, age: int | None = None) -> bool:
    """一号专线: elders living alone, and people who cannot walk well, are answered first. Living alone alone does not
    make a 38-year-old 一号专线 (a stranger's walk of issue 16: one joined the daily round so); an unknown age is
    taken as an elder's, as the register is of elders."""
    alone = living == "alone" and (age is None or age >= ELDERLY_AGE)
    return alone or mobility != "good"


# Reading -----------------------------------------------------------------------------------------------------------


@dataclass
class ContactView:
    id: uuid.UUID
    name: str
    relation: str
    phone_masked: str
    lives: str


@dataclass
class ProfileView:
    resident_id: uuid.UUID
    name: str
    sex: str
    birth_date: date | None
    age: int | None
    door: str
    household_id: uuid.UUID
    phone_masked: str | None
    exists: bool  # False: the resident has no register entry yet (the form starts empty)
    living: str = "family"
    mobility: str = "good"
    conditions: str = ""
    medicines: str = ""
    interests: str = ""
    best_time: str = ""
    priority: bool = False
    priority_set_by_hand: bool = False
    in_round: bool = True
    notes: str = ""
    version: int = 0
    updated_at: datetime | None = None
    updated_by: str | None = None
    contacts: list[ContactView] = field(default_factory=list)
    calls: list[history.CallRecord] = field(default_factory=list)  # the newest calls, newest first
    calls_older: int | None = None  # more calls before these: the seq to page from (history.calls_of)


async def resident_in_scope(scope: Scope, resident_id: uuid.UUID) -> dict | None:
    """The resident with their door and grid, if the scope may see them; None otherwise (not admitted to exist)."""
    row = await (
        Resident.select(
            Resident.id,
            Resident.name,
            Resident.sex,
            Resident.birth_date,
            Resident.phone,
            Resident.status,
            Resident.household,
            Resident.household.door.as_alias("door"),
            Resident.household.building.grid.as_alias("grid"),
        )
        .where((Resident.id == resident_id) & (Resident.community == scope.community_id))
        .first()
    )
    if row is None or not scope.allows_grid(row["grid"]):
        return None
    return row


async def get_profile(
    scope: Scope, user: CurrentUser, resident_id: uuid.UUID, today: date, address: str = "", for_edit: bool = False
) -> ProfileView | None:
    """The register entry of one resident, with contacts and calls; numbers masked, on the edit form too (a
    contact's number is shown whole only by reveal_phone, logged). The read is audited ("profile.view", or
    "profile.edit" for the edit form)."""
    resident = await resident_in_scope(scope, resident_id)
    if resident is None:
        return None
    await record_read(user, "profile.edit" if for_edit else "profile.view", "resident", resident_id, address)
    return await _profile_view(resident, today)


async def _profile_view(resident: dict, today: date) -> ProfileView:
    view = ProfileView(
        resident_id=resident["id"],
        name=resident["name"],
        sex=resident["sex"],
        birth_date=resident["birth_date"],
        age=age_on(resident["birth_date"], today),
        door=resident["door"],
        household_id=resident["household"],
        phone_masked=mask_phone(resident["phone"]),
        exists=False,
    )
    profile = await (
        ElderProfile.select(*ElderProfile.all_columns(), ElderProfile.updated_by.name.as_alias("updated_by_name"))
        .where(ElderProfile.resident == resident["id"])
        .first()
    )
    if profile is not None:
        view.exists = True
        for name in (
            "living",
            "mobility",
            "conditions",
            "medicines",
            "interests",
            "best_time",
            "priority",
            "priority_set_by_hand",
            "in_round",
            "notes",
            "version",
            "updated_at",
        ):
            setattr(view, name, profile[name])
        view.updated_by = profile["updated_by_name"]
        view.contacts = [
            ContactView(
                id=c["id"],
                name=c["name"],
                relation=c["relation"],
                phone_masked=mask_phone(c["phone"]),
                lives=c["lives"],
            )
            for c in await Contact.select().where(Contact.profile == profile["id"]).order_by(Contact.position)
        ]
    calls = await history.calls_of(resident["id"], None, history.ON_PROFILE)
    view.calls, view.calls_older = calls.calls, calls.older
    return view


async def get_calls(
    scope: Scope, user: CurrentUser, resident_id: uuid.UUID, before: int | None, address: str = ""
) -> tuple[dict, history.CallPage] | None:
    """A page of the resident's older calls, for whoever may read their profile (None otherwise, or for a `before`
    that is not one of theirs); the read is logged as the profile's is ("profile.view")."""
    resident = await resident_in_scope(scope, resident_id)
    if resident is None:
        return None
    page = await history.calls_of(resident_id, before, history.A_PAGE)
    if page is None:
        return None
    await record_read(user, "profile.view", "resident", resident_id, address)
    return resident, page


async def reveal_phone(
    scope: Scope, user: CurrentUser, resident_id: uuid.UUID, contact_id: uuid.UUID | None, address: str = ""
) -> str | None:
    """A whole phone number, on a tap that is written to the audit log: the resident's own or a contact's."""
    resident = await resident_in_scope(scope, resident_id)
    if resident is None:
        return None
    if contact_id is None:
        phone = resident["phone"]
    else:
        row = await (
            Contact.select(Contact.phone)
            .where((Contact.id == contact_id) & (Contact.profile.resident == resident_id))
            .first()
        )
        if row is None:
            return None
        phone = row["phone"]
    await record_read(user, "phone.view", "contact" if contact_id else "resident", contact_id or resident_id, address)
    return phone


# Writing the profile -----------------------------------------------------------------------------------------------


class ContactForm(msgspec.Struct, kw_only=True):
    id: str = ""  # the stored contact this block edits ("" for a new one): its masked number stands for the whole
    name: str = ""
    relation: str = ""
    phone: str = ""
    lives: str = ""


class ProfileForm(msgspec.Struct, kw_only=True):
    version: int = 0  # the version the form was opened at
    birth_date: str = ""
    living: str = "family"
    mobility: str = "good"
    conditions: str = ""
    medicines: str = ""
    interests: str = ""
    best_time: str = ""
    priority: Literal["auto", "yes", "no"] = "auto"
    in_round: bool = True
    notes: str = ""
    contacts: list[ContactForm] = []


LIMITS = {"conditions": 500, "medicines": 500, "interests": 200, "best_time": 64, "notes": 1000}
CONTACT_LIMITS = {"name": 32, "relation": 16, "lives": 64}  # as stored; a longer value is refused, never cut

# The fields a form carries as it was drawn (hidden `was_<field>`), so that a save refused for a conflict can keep
# what this person changed and take the other person's values for the rest.
SIMPLE_FIELDS = ("birth_date", "living", "mobility", "priority", "in_round", *LIMITS)


def form_values(profile: ProfileView) -> dict[str, str]:
    """A stored profile as the edit form shows it: text per field, and its contacts as one signature."""
    values = {
        "birth_date": profile.birth_date.isoformat() if profile.birth_date else "",
        "living": profile.living,
        "mobility": profile.mobility,
        "priority": "auto" if not profile.priority_set_by_hand else ("yes" if profile.priority else "no"),
        "in_round": "1" if profile.in_round else "",
        **{name: getattr(profile, name) for name in LIMITS},
    }
    rows = [
        ContactForm(id=str(c.id), name=c.name, relation=c.relation, phone=c.phone_masked or "", lives=c.lives)
        for c in profile.contacts
    ]
    values["contacts"] = contacts_signature(rows)
    return values


def contacts_signature(rows: list[ContactForm]) -> str:
    return msgspec.json.encode(
        [[c.id, c.name.strip(), c.relation.strip(), c.phone.strip(), c.lives.strip()] for c in rows]
    ).decode()


def keep_others_changes(form: ProfileForm, was: dict[str, str], current: ProfileView) -> ProfileForm:
    """After a conflict: the fields this person left as they were drawn take the values saved meanwhile, the fields
    they changed keep their change. Saved again, the form then overwrites nothing of the other person's (a stranger
    saw 方便接电话的时间 go back to its old value when the second person saved again after the warning)."""
    now = form_values(current)
    mine = {
        **{name: getattr(form, name) for name in SIMPLE_FIELDS if name != "in_round"},
        "in_round": "1" if form.in_round else "",
    }
    merged = {name: now[name] if name in was and mine[name] == was[name] else mine[name] for name in SIMPLE_FIELDS}
    contacts = form.contacts
    if "contacts" in was and contacts_signature(form.contacts) == was["contacts"]:
        contacts = [
            ContactForm(id=str(c.id), name=c.name, relation=c.relation, phone=c.phone_masked or "", lives=c.lives)
            for c in current.contacts
        ]
    return msgspec.structs.replace(
        form,
        version=current.version,
        **{name: value for name, value in merged.items() if name != "in_round"},
        in_round=merged["in_round"] == "1",
        contacts=contacts,
    )


def normalize_digits(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


_DIALLABLE = re.compile(r"1\d{10}|0\d{9,11}")


def clean_phone(text: str) -> str | None:
    """A phone as people write it (+86, spaces, dashes, full-width digits) to plain digits; None if it is not one."""
    text = normalize_digits(text)
    if re.search(r"[^\d\s+\-()]", text):
        return None
    digits = re.sub(r"\D", "", text)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    # A number that can be dialled from a mobile: a mainland mobile (11 digits from 1), or a landline with its area
    # code (0 + 2-3 digits, then 7-8). "139 0681" was 7 digits a relative's phone dialled in vain (issue 16).
    return digits if _DIALLABLE.fullmatch(digits) else None


def validate_profile(
    form: ProfileForm, today: date, stored: dict[str, str] | None = None
) -> tuple[dict, date | None, list[dict]]:
    """The rules of a profile, for the edit form and the import alike: errors (field -> message code), the birth
    date, and the contacts cleaned (empty rows dropped, phones as digits).

    `stored` maps the id of each contact the profile has to its whole number. The edit form shows a stored
    contact's number masked (decision 0023): the masked number sent back untouched keeps the stored one; a new
    number replaces it; a number cleared removes that contact (a contact without a number cannot be called); a
    masked number partly edited is refused, since the hidden digits cannot be known."""
    stored = dict(stored or {})
    errors: dict[str, str] = {}
    birth: date | None = None
    if form.birth_date.strip():
        try:
            birth = date.fromisoformat(normalize_digits(form.birth_date))
        except ValueError:
            errors["birth_date"] = "bad_date"
        else:
            if birth > today or birth.year < today.year - 120:
                errors["birth_date"] = "impossible_birth"
    if form.living not in LIVING:
        errors["living"] = "choose"
    if form.mobility not in MOBILITY:
        errors["mobility"] = "choose"
    for name, limit in LIMITS.items():
        if len(getattr(form, name)) > limit:
            errors[name] = "too_long"
    contacts = []
    for n, contact in enumerate(form.contacts[:MAX_CONTACTS]):
        if not any((contact.name.strip(), contact.relation.strip(), contact.phone.strip(), contact.lives.strip())):
            continue  # an empty row of the form
        whole = stored.pop(contact.id, None) if contact.id else None  # pop: one block per stored contact
        typed = normalize_digits(contact.phone)
        if whole is not None and not typed:
            continue  # a stored contact's number cleared: the contact is removed, as the form says
        name = clean_name(contact.name)  # a person's name: a letter or a digit at least (server/text.py)
        if not name:
            errors[f"contacts.{n}.name"] = "contact_name"
        # Cut without a word, a relative's name from a file lost its end (a stranger's walk of issue 16).
        for part, value in (("name", name), ("relation", contact.relation.strip()), ("lives", contact.lives.strip())):
            if len(value) > CONTACT_LIMITS[part]:
                errors[f"contacts.{n}.{part}"] = "too_long"
        if whole is not None and typed == mask_phone(whole):
            phone = whole  # left as shown: the stored number stays, never sent to the phone whole
        else:
            phone = clean_phone(contact.phone)
            if not typed:
                errors[f"contacts.{n}.phone"] = "contact_unreachable"
            elif "*" in typed:
                errors[f"contacts.{n}.phone"] = "masked_edited"
            elif phone is None:
                errors[f"contacts.{n}.phone"] = "bad_phone"
        kept = {"id": uuid.UUID(contact.id)} if whole is not None else {}
        contacts.append(
            {
                **kept,
                "name": name,
                "relation": contact.relation.strip(),
                "phone": phone or "",
                "lives": contact.lives.strip(),
            }
        )
    return errors, birth, contacts


async def save_profile(
    scope: Scope, user: CurrentUser, resident_id: uuid.UUID, form: ProfileForm, today: date
) -> int | None:
    """Save the whole form, or nothing. Returns the new version; None if the resident is not in scope.

    Raises ProfileError for bad input and ProfileConflict if someone saved since `form.version` was read.
    """
    resident = await resident_in_scope(scope, resident_id)
    if resident is None:
        return None
    # Read before the transaction: a save in between bumps the version, so the check below refuses this one.
    stored = {
        str(row["id"]): row["phone"]
        for row in await Contact.select(Contact.id, Contact.phone).where(Contact.profile == resident_id)
    }
    errors, birth, contacts = validate_profile(form, today, stored)
    if errors:
        raise ProfileError(errors)
    age = age_on(birth or resident["birth_date"], today)
    priority = auto_priority(form.living, form.mobility, age) if form.priority == "auto" else form.priority == "yes"
    now = datetime.now(UTC)
    async with write_transaction():
        current = await ElderProfile.select().where(ElderProfile.resident == resident_id)
        version = current[0]["version"] if current else 0
        if version != form.version:
            raise ProfileConflict(await _profile_view(resident, today))
        values = {
            "living": form.living,
            "mobility": form.mobility,
            "conditions": form.conditions.strip(),
            "medicines": form.medicines.strip(),
            "interests": form.interests.strip(),
            "best_time": form.best_time.strip(),
            "priority": priority,
            "priority_set_by_hand": form.priority != "auto",
            "in_round": form.in_round,
            "notes": form.notes.strip(),
            "updated_at": now,
            "updated_by": user.id,
        }
        if current:
            # The version in the WHERE makes the check and the write one step, also between two processes.
            await ElderProfile.update({**values, "version": version + 1}).where(
                (ElderProfile.id == resident_id) & (ElderProfile.version == version)
            )
        else:
            await ElderProfile.insert(
                ElderProfile(id=resident_id, community=scope.community_id, resident=resident_id, version=1, **values)
            )
        # Which fields this save changed, for an older export imported later (decision 0028).
        before = (
            await Contact.select(*[getattr(Contact, k) for k in changes.CONTACT_KEYS])
            .where(Contact.profile == resident_id)
            .order_by(Contact.position)
        )
        changed = changes.profile_changes(
            current[0] if current else None, values, before, contacts, resident["birth_date"], birth
        )
        await changes.record(scope.community_id, user.id, now, [(resident_id, changed)])
        await Contact.delete().where(Contact.profile == resident_id)
        if contacts:
            await Contact.insert(
                *[Contact(profile=resident_id, position=n, **contact) for n, contact in enumerate(contacts)]
            )
        if birth is not None and birth != resident["birth_date"]:
            await Resident.update({Resident.birth_date: birth, Resident.updated_at: now}).where(
                Resident.id == resident_id
            )
    return version + 1


# Export and the audit log ------------------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "name",
    "sex",
    "age",
    "birth_date",
    "door",
    "phone",
    "living",
    "mobility",
    "priority",
    "conditions",
    "medicines",
    "interests",
    "best_time",
    "contacts",  # a group of columns per contact, as the import reads them (name, relation, phone, where they live)
    "notes",
)
CONTACT_PARTS = ("name", "relation", "phone", "lives")


async def export_rows(
    scope: Scope, user: CurrentUser, today: date, unmasked: bool, address: str = ""
) -> list[dict] | None:
    """The register of the scope as rows for a spreadsheet. Phone numbers (and ID-like detail) are masked unless
    an admin asks for them whole; either way the export is audited. None: not allowed (unmasked by a non-admin)."""
    if unmasked and user.role != "admin":
        return None
    profiles = await ElderProfile.select(
        *ElderProfile.all_columns(),
        ElderProfile.resident.name.as_alias("name"),
        ElderProfile.resident.sex.as_alias("sex"),
        ElderProfile.resident.birth_date.as_alias("birth_date"),
        ElderProfile.resident.phone.as_alias("phone"),
        ElderProfile.resident.household.door.as_alias("door"),
        ElderProfile.resident.household.building.grid.as_alias("grid"),
    ).where(ElderProfile.community == scope.community_id)
    profiles = [p for p in profiles if scope.allows_grid(p["grid"])]
    # Each contact in the import's own columns, its number masked: imported back, a masked number of a contact the
    # person has keeps the number (decision 0023), so the export comes back changing nothing (issue 16).
    contacts: dict[uuid.UUID, list[dict]] = {}
    for c in (
        await Contact.select()
        .where(Contact.profile.is_in([p["id"] for p in profiles] or [uuid.UUID(int=0)]))
        .order_by(Contact.position)
    ):
        phone = c["phone"] if unmasked else mask_phone(c["phone"])
        contacts.setdefault(c["profile"], []).append({**{k: c[k] for k in CONTACT_PARTS}, "phone": phone or ""})
    await record_read(user, "register.export_unmasked" if unmasked else "register.export", "register", "all", address)
    rows = [
        {
            "name": p["name"],
            "sex": p["sex"],
            "age": age_on(p["birth_date"], today),
            "birth_date": p["birth_date"].isoformat() if p["birth_date"] and unmasked else "",
            "door": p["door"],
            "phone": (p["phone"] if unmasked else mask_phone(p["phone"])) or "",
            "living": p["living"],
            "mobility": p["mobility"],
            "priority": p["priority"],
            "conditions": p["conditions"],
            "medicines": p["medicines"],
            "interests": p["interests"],
            "best_time": p["best_time"],
            "contacts": contacts.get(p["id"], []),
            "notes": p["notes"],
        }
        for p in profiles
    ]
    rows.sort(key=lambda r: (not r["priority"], r["door"]))
    return rows


async def audit_entries(
    user: CurrentUser, action: str = "", who: str = "", day: tuple[datetime, datetime] | None = None, limit: int = 200
) -> list[dict]:
    """The audit log of the admin's community, newest first, filtered by action, by who (name or phone), and by a
    day given as its start and end instants on the community's clock."""
    from server.audit.tables import AuditEntry  # only here: the register reads the log, never writes it directly

    if user.role != "admin":
        return []
    query = AuditEntry.select(
        AuditEntry.at,
        AuditEntry.action,
        AuditEntry.target_type,
        AuditEntry.target_id,
        AuditEntry.address,
        AuditEntry.user.name.as_alias("who"),
        AuditEntry.user.phone.as_alias("who_phone"),
    ).where(AuditEntry.community == user.community_id)
    if action:
        query = query.where(AuditEntry.action == action)
    if who.strip():
        needle = who.strip()
        query = query.where((AuditEntry.user.name == needle) | (AuditEntry.user.phone == needle))
    if day is not None:
        query = query.where((AuditEntry.at >= day[0]) & (AuditEntry.at < day[1]))
    rows = await query.order_by(AuditEntry.at, ascending=False).limit(limit)
    ids: dict[str, list[uuid.UUID]] = {}
    for row in rows:
        try:
            ids.setdefault(row["target_type"], []).append(uuid.UUID(row["target_id"]))
        except ValueError:
            pass
    none = [uuid.UUID(int=0)]
    # What each entry was about, by name: a relative's number read is said with whose relative it is (issue 16: the
    # log said "contact" and nothing else).
    names = {
        str(r["id"]): {"name": r["name"]}
        for r in await Resident.select(Resident.id, Resident.name).where(Resident.id.is_in(ids.get("resident", none)))
    }
    for r in await Contact.select(
        Contact.id, Contact.name, Contact.relation, Contact.profile.resident.name.as_alias("resident")
    ).where(Contact.id.is_in(ids.get("contact", none))):
        names[str(r["id"])] = {"name": r["name"], "relation": r["relation"], "of": r["resident"]}
    for r in await Household.select(Household.id, Household.door).where(Household.id.is_in(ids.get("household", none))):
        names[str(r["id"])] = {"name": r["door"]}
    for r in await User.select(User.id, User.name).where(User.id.is_in(ids.get("user", none))):
        names[str(r["id"])] = {"name": r["name"]}
    for row in rows:
        target = names.get(row["target_id"], {})
        row["target_name"] = target.get("name", "")
        row["target_of"] = target.get("of", "")
        row["target_relation"] = target.get("relation", "")
    return rows
