"""Matching a list's rows to registered residents. Pure and in memory: the register of the scope is loaded in one
query, then every row is matched here by normalised keys (docs/decisions/0006-reconcile-matching.md).

A row matches a resident when its name and door agree and nothing it gives (phone, ID number) disagrees; without a
door, when its name and what it gives single out one person in scope. Anything that could be two people, or a
person whose details disagree, is ambiguous: a person decides, the code never guesses. Where a name could be two
people, a sex or birth date the list gives decides only when the register has it for each of them and exactly one
agrees.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import compress, repeat
from operator import and_, attrgetter, contains, not_
from typing import Protocol

import msgspec

from server.imports.normalize import id_matches, name_key, phone_matches

MATCHED = "matched"
AMBIGUOUS = "ambiguous"
UNKNOWN = "unknown"  # on the list, not in the register of the scope
REPEATED = "repeated"  # a person already matched by an earlier row that is shown to be the same person
INCOMPLETE = "incomplete"  # no name, phone or ID number: nothing to match by


_KEY = attrgetter("key")
_FORMS = attrgetter("forms")
_PHONE_PROBE, _ID_PROBE = attrgetter("phone_probe"), attrgetter("id_probe")


class Registered(msgspec.Struct, gc=False):
    """A resident as matching sees them: normalised name, door "2-1-301", phone digits, ID number.

    Made once with the object (matching many lists against one register reuses them): `key` (name, door), and
    `forms`, the phones and ID numbers a row may give that plainly agree with this person: its phone between bars,
    whole and as lists mask it, then its ID number between hashes, whole, masked and by its last 6 or 4
    characters, each part ending with the empty form (a row that gives none agrees):
    "|13812345678|138*5678||#140109194906250019#140109*0019#250019#0019##". A row's Listed.phone_probe ("|...|")
    and id_probe ("#...#") are looked for in it. A person with no phone registered has "||": a row's phone can
    then not disagree, but that takes the full rule (`_agrees`).
    A Struct, not a dataclass: made in C, it costs half as much over 100,000 people, and holds nothing that could
    make a cycle, so the garbage collector need not track it.
    """

    name: str
    door: str
    building: int
    phone: str | None
    id_number: str | None
    sex: str = ""  # "M", "F" or "" (not known)
    birth_date: date | None = None
    key: str = ""  # made by __post_init__
    forms: str = ""  # made by __post_init__

    def __post_init__(self) -> None:
        self.key = f"{self.name} {self.door}"
        phone, number = self.phone, self.id_number
        if phone and len(phone) == 11:  # as lists mask it: "138*5678"
            phones = f"|{phone}|{phone[:3]}*{phone[-4:]}||"
        else:
            phones = f"|{phone}||" if phone else "||"
        if number:
            number = number.upper()
            self.forms = f"{phones}#{number}#{number[:6]}*{number[-4:]}#{number[-6:]}#{number[-4:]}##"
        else:
            self.forms = f"{phones}##"


class Person(Protocol):
    """A registered resident as the register's query gives them (reconciling and the register import each have one)."""

    name: str
    door: str
    building_number: int
    phone: str | None
    id_number: str | None
    sex: str
    birth_date: date | None


def registered(people: Iterable[Person]) -> list[Registered]:
    """The register as matching sees it; each distinct name is normalised once (registers repeat names)."""
    key = cache(name_key)
    return [
        Registered(key(p.name), p.door, p.building_number, p.phone, p.id_number, p.sex or "", p.birth_date)
        for p in people
    ]


class Listed(msgspec.Struct, gc=False):
    """A list's row, normalised (server.imports.normalize); `key` is None without a name or a whole door.
    A Struct for the reasons Registered is one."""

    line: int
    name: str
    door: str | None = None
    building: int | None = None
    phone: str = ""
    id_number: str = ""
    sex: str = ""  # "M", "F" or "" (not given)
    birth: tuple[int, int, int | None] | None = None  # year, month, day (None for 出生年月)
    key: str | None = None  # made by __post_init__
    # The phone between bars and the ID number between hashes, as Registered.forms holds them: by __post_init__.
    phone_probe: str = ""
    id_probe: str = ""

    def __post_init__(self) -> None:
        self.key = f"{self.name} {self.door}" if self.name and self.door else None
        self.phone_probe = f"|{self.phone}|"
        self.id_probe = f"#{self.id_number}#"


@dataclass(slots=True)
class Match:
    line: int
    status: str
    resident: int | None = None  # index into the register
    candidates: tuple[int, ...] = ()  # for ambiguous rows: whom it could be
    # why ambiguous: "same_name" | "details_differ" | "door_differs" | "same_name_rows" (an earlier row of the list
    # has the name and is matched to the person, and nothing but the name says the two rows are one person);
    # repeated: the first line
    reason: str = ""


def _agrees(row: Listed, person: Registered) -> bool:
    """Nothing the row gives contradicts the person (what the row or the register lacks is no contradiction)."""
    if row.phone and person.phone and not phone_matches(row.phone, person.phone):
        return False
    if row.id_number and person.id_number and not id_matches(row.id_number, person.id_number):
        return False
    return True


def _confirms(row: Listed, person: Registered) -> bool:
    """The row's phone or ID number positively points at the person."""
    return bool(
        (row.phone and phone_matches(row.phone, person.phone))
        or (row.id_number and id_matches(row.id_number, person.id_number))
    )


def _one_person(first: Listed, later: Listed) -> bool:
    """Two rows of one name are one person only when something besides the name says so (a door, a phone, an ID
    number, a birth date they share) and nothing they both give differs: a list of names only would otherwise
    merge two people of one name, and hide one of them (issue 16)."""
    said = False
    if first.door and later.door:
        if first.door != later.door:
            return False
        said = True
    if first.phone and later.phone:
        if not (phone_matches(first.phone, later.phone) or phone_matches(later.phone, first.phone)):
            return False
        said = True
    if first.id_number and later.id_number:
        if not (id_matches(first.id_number, later.id_number) or id_matches(later.id_number, first.id_number)):
            return False
        said = True
    if first.birth and later.birth:
        (y1, m1, d1), (y2, m2, d2) = first.birth, later.birth
        if (y1, m1) != (y2, m2) or (d1 is not None and d2 is not None and d1 != d2):
            return False
        said = True
    if first.sex and later.sex and first.sex != later.sex:
        return False
    return said


def _told_apart(row: Listed, person: Registered) -> bool | None:
    """By the row's sex and birth date: True if the person has both (as far as the row gives them) and they agree,
    False if one that both have differs, None when the register lacks one the row gives (nothing to go by)."""
    verdict: bool | None = True
    if row.sex:
        if not person.sex:
            verdict = None
        elif person.sex != row.sex:
            return False
    if row.birth:
        born = person.birth_date
        if born is None:
            verdict = None
        else:
            year, month, day = row.birth
            if (born.year, born.month) != (year, month) or (day is not None and born.day != day):
                return False
    return verdict


class Matcher:
    """Indexes of one register, built once; `match` takes any number of rows."""

    def __init__(self, register: list[Registered]) -> None:
        self.register = register
        keys = list(map(_KEY, register))
        # A row without a name or a whole door has the key None, which no register entry has.
        self.by_name_door: dict[str | None, int] = dict(zip(keys, range(len(keys)), strict=True))
        self.shared_door: dict[str, list[int]] = {}  # two people of one name at one door
        # Whom the lookup finds for a row that needs a closer look: no one, or two people of one name at one door.
        # Its forms are "", in which no row's probe is.
        self.nobody = len(register)
        if len(self.by_name_door) != len(keys):
            counts = Counter(keys)
            for index, key in enumerate(keys):
                if counts[key] > 1:
                    self.shared_door.setdefault(key, []).append(index)
                    self.by_name_door[key] = self.nobody
        self._forms = [*map(_FORMS, register), ""]  # by position; "" is nobody's
        self._by_name: dict[str, list[int]] | None = None

    @property
    def by_name(self) -> dict[str, list[int]]:
        if self._by_name is None:  # only rows without a door (or a wrong one) need it
            index: dict[str, list[int]] = {}
            for position, person in enumerate(self.register):
                index.setdefault(person.name, []).append(position)
            self._by_name = index
        return self._by_name

    def match(self, rows: list[Listed]) -> list[Match]:
        """One Match per row, in order (the convenient form; `match_positions` is the fast one)."""
        residents, others = self.match_positions(rows)
        return [
            others[position] if resident < 0 else Match(row.line, MATCHED, resident=resident)
            for position, (row, resident) in enumerate(zip(rows, residents, strict=True))
        ]

    def match_positions(self, rows: list[Listed]) -> tuple[list[int], dict[int, Match]]:
        """Per row, the register index of the person it matched, or -1 with a Match saying why in `others`.

        The common row of a 100,000-row list (name and door find one person, whose phone and ID number are the
        row's or as the row masks them) is settled without a line of Python per row: the lookups and the checks
        run over all rows at once, in C (bench/matching.py keeps it honest). Only the rows left over take the
        rules one by one; people on the list twice are looked for afterwards, all at once.
        """
        nobody = self.nobody
        keys = list(map(_KEY, rows))
        residents = list(map(self.by_name_door.get, keys, repeat(nobody)))
        forms = list(map(self._forms.__getitem__, residents))
        plain = map(and_, map(contains, forms, map(_PHONE_PROBE, rows)), map(contains, forms, map(_ID_PROBE, rows)))
        others: dict[int, Match] = {}
        for position in compress(range(len(rows)), map(not_, plain)):
            result = self._closer(rows[position], residents[position])
            if result.status == MATCHED:
                residents[position] = result.resident
            else:
                others[position] = result
                residents[position] = -1
        unmatched = len(others)
        if len(set(residents)) - (unmatched > 0) != len(residents) - unmatched:  # someone was matched twice
            first: dict[int, int] = {}
            for position, resident in enumerate(residents):
                if resident < 0:
                    continue
                if resident in first:
                    earlier, row = rows[first[resident]], rows[position]
                    if _one_person(earlier, row):  # a person counts once, for the first row
                        others[position] = Match(row.line, REPEATED, resident=resident, reason=str(earlier.line))
                    else:  # two people of one name, perhaps: a person decides whether this row is them
                        others[position] = Match(row.line, AMBIGUOUS, candidates=(resident,), reason="same_name_rows")
                    residents[position] = -1
                else:
                    first[resident] = position
        return residents, dict(sorted(others.items()))

    def _closer(self, row: Listed, found: int) -> Match:
        """A row the quick checks did not settle, by the whole rules."""
        if found != self.nobody:  # its name and door are one person's; something the row gives is not plainly theirs
            if _agrees(row, self.register[found]):
                return Match(row.line, MATCHED, resident=found)
            return Match(row.line, AMBIGUOUS, candidates=(found,), reason="details_differ")
        if row.key in self.shared_door:
            return self._choose(row, self.shared_door[row.key], "same_name")
        return self._without_door(row, door_given=bool(row.door))

    def _choose(self, row: Listed, candidates: list[int], reason: str) -> Match:
        register = self.register
        agreeing = [i for i in candidates if _agrees(row, register[i])]
        confirmed = [i for i in agreeing if _confirms(row, register[i])]
        if len(confirmed) == 1:
            return Match(row.line, MATCHED, resident=confirmed[0])
        if len(agreeing) == 1 and len(candidates) == 1:
            return Match(row.line, MATCHED, resident=agreeing[0])
        if row.sex or row.birth:
            # Two 王芳 in one building: the list's sex or birth date settles it only if the register says it agrees
            # for one of them and differs for every other (a phone both share, as a family's may, counts for both).
            pool = confirmed if len(confirmed) > 1 else candidates
            verdicts = [_told_apart(row, register[i]) for i in pool]
            if verdicts.count(True) == 1 and verdicts.count(False) == len(pool) - 1:
                chosen = pool[verdicts.index(True)]
                if chosen in agreeing:
                    return Match(row.line, MATCHED, resident=chosen)
        return Match(row.line, AMBIGUOUS, candidates=tuple(agreeing or candidates), reason=reason)

    def _without_door(self, row: Listed, door_given: bool) -> Match:
        register = self.register
        if not row.name:
            return self._by_phone_or_id(row)
        candidates = self.by_name.get(row.name, [])
        if not candidates:
            return Match(row.line, UNKNOWN)
        if row.building is not None and not door_given:
            in_building = [i for i in candidates if register[i].building == row.building]
            if not in_building:
                return Match(row.line, UNKNOWN)
            candidates = in_building
        if door_given:
            # Same name elsewhere: the door may be mistyped, or it is someone else. Only a phone or ID number that
            # points at one of them decides; otherwise a person does.
            confirmed = [i for i in candidates if _confirms(row, register[i]) and _agrees(row, register[i])]
            if len(confirmed) == 1:
                return Match(row.line, MATCHED, resident=confirmed[0])
            return Match(row.line, AMBIGUOUS, candidates=tuple(candidates), reason="door_differs")
        if len(candidates) == 1:
            if (row.phone or row.id_number) and not _agrees(row, register[candidates[0]]):
                return Match(row.line, AMBIGUOUS, candidates=tuple(candidates), reason="details_differ")
            return Match(row.line, MATCHED, resident=candidates[0])
        return self._choose(row, candidates, "same_name")

    def _by_phone_or_id(self, row: Listed) -> Match:
        if not (row.phone or row.id_number):
            return Match(row.line, INCOMPLETE)
        register = self.register
        # Rare (a list without names): a scan is simpler than two more indexes and fast enough for a grid.
        confirmed = [i for i, person in enumerate(register) if _confirms(row, person) and _agrees(row, person)]
        if len(confirmed) == 1:
            return Match(row.line, MATCHED, resident=confirmed[0])
        if confirmed:
            return Match(row.line, AMBIGUOUS, candidates=tuple(confirmed[:20]), reason="same_name")
        return Match(row.line, UNKNOWN)


def match_rows(register: list[Registered], rows: list[Listed]) -> list[Match]:
    return Matcher(register).match(rows)
