"""Importing a community's register of elderly residents (台账) from .xlsx/.csv, always inside a Scope.

Reading the file, mapping its columns and matching its rows to residents are the reconciliation's (server.imports,
docs/decisions/0006): a row is a resident of the importer's scope by name and door, never by a guess. What a
profile may hold is the edit form's rule (services.validate_profile). A preview writes nothing; saving reads
everything again inside one write transaction and writes every row or none. Knows nothing of HTTP.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import msgspec

from server.access.masks import mask_id_number, mask_phone
from server.access.scope import CurrentUser, Scope
from server.audit.services import record_read
from server.db import insert_in_chunks, write_transaction
from server.imports import columns, matching
from server.imports import draft as drafts
from server.imports.normalize import cell, id_matches, phone_matches
from server.offload import in_thread
from server.places.services import ELDERLY_AGE, age_on
from server.places.tables import Household, Resident
from server.register import changes, import_diffs, import_results, import_rows, services
from server.register.import_diffs import Change
from server.register.import_people import Person, load_people
from server.register.tables import Contact, ElderProfile

FIELDS = columns.REGISTER_FIELDS
PROFILE_COLUMNS = ("living", "mobility", *import_rows.TEXTS, "priority", "in_round")
# Rows that are for a person to look at but do not stop the saving.
MASKED = {"masked_other", "masked_unknown"}  # a masked number of no contact the person has (now)
NOT_BLOCKING = {"duplicate", "not_living", "birth_partial", "alone_with_others", "younger_than_elderly"}
# Columns only the register's own export has all of: a file with every one and no export line is an export whose
# line was deleted, and what was changed here since would go back to the file's older values without a word.
EXPORT_SHAPE = {"name", "sex", "age", "birth_date", "phone", "living", "mobility", "priority", "best_time", "notes"}
CHUNK = 1000  # ids per IN (...): far below both databases' limits on bound parameters


class RowProblem(msgspec.Struct, kw_only=True):
    """`kind` picks the words; `other` fills them in (the earlier line, a field, a contact's number)."""

    line: int
    kind: str
    name: str = ""
    door: str = ""
    other: str = ""
    known: str = ""  # what the register or the ID number says, where the row contradicts it
    blocking: bool = True
    set_aside: bool = False  # the row is not applied (it contradicts what is known); the others may be saved
    resident: str = ""  # the registered person the row is of: a row set aside links to their profile


class Planned(msgspec.Struct, kw_only=True):
    line: int
    name: str
    door: str
    action: str  # new (the person has no register entry yet) / update / same
    changes: list[str] = []  # fields that change: living, mobility, ..., birth_date, contacts
    diffs: list[Change] = []  # the same fields, each with its old and new value
    resident: str = ""  # the person's id: the saved page links each one to their profile


class Preview(msgspec.Struct, kw_only=True):
    filename: str
    draft: str  # carried by the page to the confirming request
    columns: list[drafts.Column]
    header_line: int
    notes: list[str]
    rows: int
    duplicates: int
    blank_rows: int
    created: int
    updated: int
    unchanged: int
    unknown: int  # rows naming nobody of the scope
    set_aside: int  # rows not applied: they contradict the register or the ID number
    skip_unknown: bool
    problems: list[RowProblem]
    planned: list[Planned]
    blocking: list[str]  # codes about the whole file: no_identifying_column, no_rows
    exported_at: str = ""  # when the register's export was made, as said (a file typed by hand: "")
    export_unread: bool = False  # a line says it is the register's export, but its moment cannot be used
    export_headless: bool = False  # the export's columns without its line: its moment is lost

    @property
    def set_aside_as_newer(self) -> int:
        return import_results.newer_here(msgspec.to_builtins(self.problems))

    @property
    def set_aside_unknown_when(self) -> int:
        return import_results.unknown_when(msgspec.to_builtins(self.problems))

    @property
    def rows_to_fix(self) -> int:
        """Rows with a problem to fix first (a row may have two: it is one row to fix)."""
        return len({p.line for p in self.problems if p.blocking})

    @property
    def rows_to_look_at(self) -> int:
        return len({p.line for p in self.problems})

    @property
    def can_save(self) -> bool:
        return not self.blocking and not any(p.blocking for p in self.problems) and bool(self.created + self.updated)


@dataclass(slots=True)
class Saved:
    created: int
    updated: int
    unchanged: int
    skipped: int
    set_aside: int = 0
    id: uuid.UUID | None = field(default=None, compare=False)  # the kept result (import_results)


class ImportRefused(Exception):
    """Saving found what the preview shows as problems (or someone saved a profile meanwhile): nothing written."""

    def __init__(self, preview: Preview, conflict: bool = False) -> None:
        super().__init__("conflict" if conflict else "problems")
        self.preview = preview
        self.conflict = conflict


# Evaluating a draft: everything the preview shows and the saving writes -----------------------------------------


@dataclass(slots=True)
class Plan:
    person: Person
    line: int
    values: dict  # the profile's columns after the import
    contacts: list[dict] | None  # the contacts after the import; None: unchanged
    birth: date | None  # a birth date to write on the resident
    changes: list[str]


@dataclass
class Evaluation:
    draft: drafts.Draft
    mapping: dict[int, str]
    problems: list[RowProblem]
    plans: list[Plan]
    unknown: int
    skip_unknown: bool
    blocking: list[str]
    set_aside: int = 0
    exported_at: datetime | None = None  # when the file was exported from the register (None: typed by hand)


def _blank_placeholders(column: list[str]) -> list[str]:
    return ["" if import_rows.says_nothing(cell) else cell for cell in column]


async def evaluate(
    scope: Scope, draft: drafts.Draft, choices: dict[int, str], today: date, skip_unknown: bool = False
) -> Evaluation:
    """The scope's people from the database, then the rest in a worker thread: normalising and matching 100,000 rows
    is seconds of CPU, which in the event loop held every other request (a stranger's second review of issue 15)."""
    people = await load_people(scope)
    exported = changes.exported_at(draft.above)
    checked = _moment(draft.checked_at)
    cutoff = min((m for m in (exported, checked) if m is not None), default=None)
    # An export whose time line was deleted: when it was made is lost, so any change recorded here may be newer than
    # the file, and a row that would change such a field is set aside saying so (a stranger's walk of issue 16: the
    # warning was shown, but the save still put a colleague's edit back to the file's older value).
    headless = headless_export(draft, drafts.mapping_for(draft, choices, FIELDS))
    if headless:
        cutoff = datetime(2000, 1, 1, tzinfo=UTC)
    since = await changes.changed_since(scope, cutoff) if cutoff is not None else {}
    outside = await _doors_outside(scope)
    ev = await in_thread(_evaluate, draft, choices, today, skip_unknown, people, since, checked, headless, outside)
    ev.exported_at = exported
    return ev


def headless_export(draft: drafts.Draft, mapping: dict[int, str]) -> bool:
    """The register's export (its columns) without its line saying when it was exported."""
    return (
        changes.exported_at(draft.above) is None
        and not changes.export_line_unread(draft.above)
        and EXPORT_SHAPE <= set(mapping.values())
    )


def _moment(iso: str) -> datetime | None:
    try:
        return datetime.fromisoformat(iso) if iso else None
    except ValueError:
        return None


def checked(ev: Evaluation) -> Evaluation:
    """The preview about to be shown is what the person now knows of the register: its save sets aside a row whose
    fields change after this moment (a stranger's walk of issue 16: an import saved after a colleague's edit wrote
    over it, the preview having shown the value before it)."""
    ev.draft.checked_at = datetime.now(UTC).isoformat()
    return ev


async def _doors_outside(scope: Scope) -> frozenset[str]:
    """The community's doors outside the scope's grids (none for an admin): a row naming one is of someone not in this
    register, whatever name it gives."""
    if scope.grid_ids is None:
        return frozenset()
    rows = await Household.select(Household.door).where(
        (Household.community == scope.community_id) & Household.building.grid.not_in(list(scope.grid_ids) or [None])
    )
    return frozenset(row["door"] for row in rows)


def _evaluate(
    draft: drafts.Draft,
    choices: dict[int, str],
    today: date,
    skip_unknown: bool,
    people: list[Person],
    since: dict[uuid.UUID, dict[str, changes.Changed]] | None = None,
    checked: datetime | None = None,
    headless: bool = False,
    outside: frozenset[str] = frozenset(),
) -> Evaluation:
    mapping = drafts.mapping_for(draft, choices, FIELDS)
    headers = {mapping[i]: draft.headers[i] for i in mapping}
    cells = [_blank_placeholders(column) for column in draft.columns]
    # Who else lives at each door: a row saying 独居 of someone whose door holds others is said (issue 16).
    living_at: dict[uuid.UUID, list[Person]] = {}
    for person in people:
        if person.status == "living":
            living_at.setdefault(person.household, []).append(person)
    problems = [
        RowProblem(line=line, kind="duplicate", other=str(first), blocking=False) for line, first in draft.duplicates
    ]
    blocking = []
    if not columns.can_identify(mapping):
        blocking.append("no_identifying_column")
    if not draft.lines:
        blocking.append("no_rows")
    if blocking:
        return Evaluation(draft, mapping, problems, [], 0, skip_unknown, blocking)
    found = drafts.read_rows(draft.lines, cells, mapping)
    matcher = matching.Matcher(matching.registered(people))
    residents, others = matcher.match_positions(found)
    plans, unknown, set_aside = [], 0, 0
    for position, f in enumerate(found):
        said = [RowProblem(line=f.line, kind=code, name=f.name, door=f.door or f.door_text) for code in f.problems]
        if residents[position] < 0:
            result = others[position]
            if result.reason == "door_differs" and f.door in outside:
                # A name of hers at a door of another grid: another person, not in her register (a stranger's walk
                # of issue 16: a community-wide list blocked the save with 请核对门牌, the file's door being right).
                result = matching.Match(f.line, matching.UNKNOWN)
            if result.status == matching.UNKNOWN:
                unknown += 1
            differs = [] if said else _differs_from_register(f, result, people)
            if differs:  # the person at the door, but the row's ID number or phone is not theirs: set aside
                problems += differs
                set_aside += 1
                continue
            if not said:  # a row that cannot be read says so; else why it matched nobody
                kind = "cannot_identify" if result.status == matching.INCOMPLETE else result.status
                # The name at another door: where the register has it, so that the worker sees which is right.
                elsewhere = (
                    sorted({people[i].door for i in result.candidates}) if result.reason == "door_differs" else []
                )
                said.append(
                    RowProblem(
                        line=f.line,
                        kind=kind,
                        name=f.name,
                        door=f.door or f.door_text,
                        other=result.reason,
                        known="、".join(elsewhere[:3]) + ("…" if len(elsewhere) > 3 else ""),
                    )
                )
                said[-1].blocking = not (kind == "unknown" and skip_unknown)  # left out by the person's choice
            problems += said
            continue
        person = people[residents[position]]
        values = {field: cell(cells[i][position]) for i, field in mapping.items()}
        housemates = [p.name for p in living_at.get(person.household, []) if p.id != person.id]
        plan, codes = _plan(person, f.line, values, headers, today, housemates)
        said += [
            RowProblem(line=f.line, kind=c[0], name=person.name, door=person.door, other=c[1], known=_known(c))
            for c in codes
        ]
        if person.status != "living":
            said.append(RowProblem(line=f.line, kind="not_living", name=person.name, door=person.door))
        for problem in said:
            problem.blocking = problem.kind not in NOT_BLOCKING
        contradicted = [
            RowProblem(line=f.line, kind=k, name=person.name, door=person.door, other=o, known=was, blocking=False)
            for k, o, was in import_rows.contradictions(
                person.birth_date, person.sex, person.id_number, f.birth, f.sex, f.id_number
            )
        ]
        if "living" in plan.changes:
            # 独居 written over a door where the register has others living: the register would then say a person
            # lives alone in a household of two (a stranger's walk of issue 16). Set aside as a contradiction is;
            # an import moves nobody out, so no other row of the file can make them the only one (decision 0023).
            for problem in said:
                if problem.kind == "alone_with_others":
                    problem.kind = "alone_vs_door"
                    contradicted.append(problem)
            said = [p for p in said if p.kind != "alone_vs_door"]
        stale = (since or {}).get(person.id)
        if stale:
            also = ()
            if "contacts" in stale and any(p.kind in MASKED for p in said):
                # A masked number of a contact changed here since the export: that change, not the file's slip.
                said, also = [p for p in said if p.kind not in MASKED], ("contacts",)
            contradicted += _changed_here(plan, stale, f.line, also, checked, headless)
        for problem in contradicted:
            problem.set_aside = not any(p.blocking for p in said)  # a row to fix first is fixed first
        if contradicted:  # a row not applied: what it would have said of the door is noise
            said = [p for p in said if p.kind != "alone_with_others"]
            contradicted += _also_not_applied(plan, contradicted, f.line)
        for problem in said + contradicted:
            problem.resident = str(person.id)
        problems += said + contradicted
        if any(problem.blocking for problem in said):  # a row to fix is counted there, not as saved
            continue
        if contradicted:
            set_aside += 1
            continue
        plans.append(plan)
    problems.sort(key=lambda p: p.line)
    return Evaluation(draft, mapping, problems, plans, unknown, skip_unknown, blocking, set_aside)


def _changed_here(
    plan: Plan,
    stale: dict[str, changes.Changed],
    line: int,
    also=(),
    checked: datetime | None = None,
    headless: bool = False,
) -> list[RowProblem]:
    """Each field the row would change that was changed in the register after the file was exported, or after the
    person last saw its preview (`checked`): the file's value is older than the register's, so the row is set aside,
    saying when, by whom, and both values (decision 0028). In an export whose moment is lost (`headless`), each field
    changed here at all: which value is newer is not known."""
    person = plan.person
    values = {c.field: c for c in import_diffs.diffs(plan) if c.field != "contact_added"}
    out = []
    for name in [*plan.changes, *(a for a in also if a not in plan.changes)]:
        if name not in stale:
            continue
        change = values.get(name) if name != "contacts" else None
        said = (
            changes.said(stale[name].at),
            stale[name].by,
            change.old if change else "",
            change.new if change else "",
        )
        out.append(
            RowProblem(
                line=line,
                kind="changed_since_check"
                if checked and stale[name].at > checked
                else "changed_unknown_when"
                if headless
                else "changed_since",
                name=person.name,
                door=person.door,
                other=name,
                known="\t".join(said),
                blocking=False,
            )
        )
    return out


# The field a set-aside kind is about, where its `other` is not the field's name itself.
_FIELD_OF = {"birth_vs_id": "birth_date", "birth_differs": "birth_date", "alone_vs_door": "living"}


def _also_not_applied(plan: Plan, contradicted: list[RowProblem], line: int) -> list[RowProblem]:
    """The row's other changes, which a row set aside does not apply either: said with their values, so that a
    worker's edits of other fields in that row are not lost without a word (a stranger's walk of issue 16: a
    hobby edited beside a date the ID number contradicts vanished). `known` holds field, old and new per line."""
    held = {_FIELD_OF.get(p.kind, p.other) for p in contradicted}
    if held & {"living", "birth_date"}:
        # 一号专线 and the daily call follow from living alone and age by the rule: not an edit of the file's to make
        # by hand (a stranger's walk: 一号专线 否 → 是 was said for a row whose 独居 was set aside).
        held |= {"priority", "in_round"}
    others = [
        c for c in import_diffs.diffs(plan) if ("contacts" if c.field == "contact_added" else c.field) not in held
    ]
    if not others:
        return []
    known = "\n".join(f"{c.field}\t{c.old}\t{c.new}" for c in others)
    person = plan.person
    said = RowProblem(line=line, kind="also_not_applied", name=person.name, door=person.door, known=known)
    said.blocking, said.set_aside = False, contradicted[0].set_aside
    return [said]


def _known(code: tuple[str, ...]) -> str:
    return code[2] if len(code) > 2 else ""


def _differs_from_register(f: drafts.Fields, result: matching.Match, people: list[Person]) -> list[RowProblem]:
    """A row whose name and door are one registered person's, but whose ID number (or phone) is not theirs: said
    as that, with both numbers masked, not as "could be more than one person" (a stranger's walk of issue 16). Such
    a row is set aside as a contradiction is (decision 0023): the worker checks which number is right."""
    if result.status != matching.AMBIGUOUS or result.reason != "details_differ" or len(result.candidates) != 1:
        return []
    person = people[result.candidates[0]]
    said = []
    if f.id_number and person.id_number and not id_matches(f.id_number, person.id_number):
        said.append(("id_differs", mask_id_number(f.id_number), mask_id_number(person.id_number)))
    if f.phone and person.phone and not phone_matches(f.phone, person.phone):
        said.append(("phone_differs", mask_phone(f.phone) or "", mask_phone(person.phone) or ""))
    return [
        RowProblem(
            line=f.line,
            kind=kind,
            name=person.name,
            door=person.door,
            other=row,
            known=known,
            blocking=False,
            set_aside=True,
        )
        for kind, row, known in said
    ]


def _plan(
    person: Person,
    line: int,
    values: dict[str, str],
    headers: dict[str, str],
    today: date,
    housemates: Sequence[str] = (),
) -> tuple[Plan, list[tuple[str, ...]]]:
    """What the row makes of the person's profile, and the problems (kind, other) it has."""
    given, birth, contacts, codes = import_rows.read_row(values, headers, person.birth_date, today, person.contacts)
    if given.get("living") == "alone" and housemates:
        # Not refused: someone may have moved out without the register knowing; but said, with who is there.
        names = "、".join(housemates[:3]) + ("…" if len(housemates) > 3 else "")
        codes.append(("alone_with_others", str(len(housemates)), names))
    current = person.profile
    if current is not None:
        # What the file says as the register already says it changes nothing: a text as the file reads it (one
        # line, its punctuation as written), 一号专线 as the rule gives it (not then "set by hand"). The register's
        # own export comes back with nothing to change (issue 16).
        for name in import_rows.TEXTS:
            if name in given and given[name] == cell(current[name]):
                del given[name]
    after = {name: current[name] for name in PROFILE_COLUMNS} if current else dict(import_rows.DEFAULTS)
    after.update(given)
    age = age_on(birth or person.birth_date, today)
    if current is None and age is not None and age < ELDERLY_AGE:
        codes.append(("younger_than_elderly", str(age)))  # said: the register is of elders; added all the same
    if (
        "priority" in given
        and current is not None
        and not current["priority_set_by_hand"]
        and given["priority"] == services.auto_priority(after["living"], after["mobility"], age)
    ):
        del given["priority"]
    by_hand = "priority" in given or bool(current and current["priority_set_by_hand"])
    if not by_hand:
        after["priority"] = services.auto_priority(after["living"], after["mobility"], age)
    if current is None:
        after["in_round"] = after["priority"]  # as the demo register: the priority line is called every day
    if current is None:  # a new entry: what the file gives, and what follows from it (一号专线, called daily)
        changes = [name for name in PROFILE_COLUMNS if name in given or after[name] != import_rows.DEFAULTS[name]]
    else:
        changes = [name for name in PROFILE_COLUMNS if after[name] != current[name]]
    merged = None
    if contacts:
        merged = import_rows.merge_contacts(person.contacts, contacts)
        if len(merged) > services.MAX_CONTACTS:
            codes.append(("too_many_contacts", str(services.MAX_CONTACTS)))
        if import_rows.same_contacts(merged, person.contacts):
            merged = None
        else:
            changes.append("contacts")
    if birth == person.birth_date:
        birth = None
    elif birth is not None:
        changes.append("birth_date")
    if "priority" in given:
        after["priority_set_by_hand"] = True
    return Plan(person, line, after, merged, birth, changes), codes


def build_preview(ev: Evaluation) -> Preview:
    created = sum(1 for p in ev.plans if p.person.profile is None)
    updated = sum(1 for p in ev.plans if p.person.profile is not None and p.changes)
    return Preview(
        filename=ev.draft.filename,
        draft=drafts.encode(ev.draft),
        columns=drafts.columns_of(ev.draft, ev.mapping),
        header_line=ev.draft.header_line,
        # The export's own line above its header is no title skipped: it is said as when the file was made.
        notes=[n for n in ev.draft.notes if not (ev.exported_at and n == "header_not_first")],
        rows=ev.draft.row_count,
        duplicates=len(ev.draft.duplicates),
        blank_rows=ev.draft.blank_rows,
        created=created,
        updated=updated,
        unchanged=len(ev.plans) - created - updated,
        unknown=ev.unknown,
        set_aside=ev.set_aside,
        skip_unknown=ev.skip_unknown,
        problems=ev.problems,
        planned=[
            Planned(
                line=p.line,
                name=p.person.name,
                door=p.person.door,
                action="new" if p.person.profile is None else "update" if p.changes else "same",
                changes=p.changes,
                diffs=import_diffs.diffs(p),
                resident=str(p.person.id),
            )
            for p in ev.plans
        ],
        blocking=ev.blocking,
        exported_at=changes.said(ev.exported_at) if ev.exported_at else "",
        export_unread=ev.exported_at is None and changes.export_line_unread(ev.draft.above),
        export_headless=headless_export(ev.draft, ev.mapping),
    )


async def preview(
    scope: Scope, draft: drafts.Draft, choices: dict[int, str], today: date, skip_unknown: bool = False
) -> Preview:
    """What saving would do, with every row's problem; writes nothing. The draft is packed for the page in the
    worker thread too (a 100,000-row list: a second of CPU)."""
    return await in_thread(build_preview, checked(await evaluate(scope, draft, choices, today, skip_unknown)))


# Saving: every row or none ----------------------------------------------------------------------------------------


async def save(
    user: CurrentUser,
    scope: Scope,
    draft: drafts.Draft,
    choices: dict[int, str],
    today: date,
    skip_unknown: bool = False,
    address: str = "",
) -> Saved:
    """Raises ImportRefused, with the preview to show again, when any row has a problem or a profile changed
    under the import; then nothing is written. An updated profile's version goes up, as by the edit form."""
    now = datetime.now(UTC)
    async with write_transaction():
        ev = await evaluate(scope, draft, choices, today, skip_unknown)
        preview_now = await in_thread(build_preview, checked(ev))  # shown again if refused: what is known now
        if not preview_now.can_save:
            raise ImportRefused(preview_now)
        stamp = {"updated_at": now, "updated_by": user.id}
        new = [p for p in ev.plans if p.person.profile is None]
        changed = [p for p in ev.plans if p.person.profile is not None and p.changes]
        await insert_in_chunks(
            ElderProfile,
            [
                ElderProfile(
                    id=p.person.id, community=scope.community_id, resident=p.person.id, version=1, **p.values, **stamp
                )
                for p in new
            ],
        )
        for p in changed:
            version = p.person.profile["version"]
            # The version in the WHERE: a profile saved by someone since it was read here is not overwritten.
            done = (
                await ElderProfile.update({**p.values, **stamp, "version": version + 1})
                .where((ElderProfile.id == p.person.id) & (ElderProfile.version == version))
                .returning(ElderProfile.id)
            )
            if not done:
                raise ImportRefused(preview_now, conflict=True)
        with_contacts = [p for p in new + changed if p.contacts is not None]
        ids = [p.person.id for p in with_contacts if p.person.profile is not None]
        for start in range(0, len(ids), CHUNK):
            await Contact.delete().where(Contact.profile.is_in(ids[start : start + CHUNK]))
        await insert_in_chunks(
            Contact,
            [
                Contact(profile=p.person.id, position=n, **contact)
                for p in with_contacts
                for n, contact in enumerate(p.contacts)
            ],
        )
        # Which fields each entry changed: an older export imported later does not put them back (decision 0028).
        await changes.record(scope.community_id, user.id, now, [(p.person.id, p.changes) for p in new + changed])
        for p in ev.plans:
            if p.birth is not None:
                await Resident.update({Resident.birth_date: p.birth, Resident.updated_at: now}).where(
                    Resident.id == p.person.id
                )
        saved = Saved(
            len(new),
            len(changed),
            len(ev.plans) - len(new) - len(changed),
            ev.unknown if skip_unknown else 0,
            ev.set_aside,
        )
        # Kept for the page that says it, each row not imported with its reason (issue 16).
        result = import_results.Result(
            created=saved.created,
            updated=saved.updated,
            unchanged=saved.unchanged,
            skipped=saved.skipped,
            set_aside=saved.set_aside,
            rows=import_results.not_applied(preview_now.problems),
            applied=import_results.applied(preview_now.planned),
        )
        saved.id = await import_results.store(user, now, result)
        # In the same transaction: an import that is not written is not logged, and one that is always is.
        await record_read(user, "register.import", "import", str(saved.created + saved.updated), address)
    return saved
