"""Loading a real community from the list of households and people it already keeps (户籍 / 人口台账, .xlsx or
.csv: one row a person, with their door and their grid). Run once by whoever sets Gridcare up for a community
(`python -m server load-places`), and again when the list has new people: what is already there stays as it is
(the app is where it is kept up to date), what is new is added.

Reading the file, its headers and its spellings of doors, phones and dates are the reconciliation's (server.imports).
Every row is checked first; one problem anywhere and nothing is written. Knows nothing of HTTP or the command line.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from server.db import insert_in_chunks, write_transaction
from server.imports import columns, normalize, reader
from server.imports.normalize import text
from server.places.tables import Building, Community, District, Grid, Household, Resident, Subdistrict, Unit

# The grid and the living status have no place in the lists people are reconciled against: read here only, by
# their exact headers (a "网格员电话" column is not the grid).
_EXTRA = {
    **dict.fromkeys(["网格", "所属网格", "网格号", "网格编号", "grid"], "grid"),
    **dict.fromkeys(["状态", "居住状态", "人员状态", "在住状态", "status"], "status"),
}
_RELATIONS = (
    ("head", ("户主", "本人", "head")),
    ("spouse", ("配偶", "妻", "夫", "老伴", "spouse")),
    ("grandchild", ("孙", "外孙", "grandchild")),
    ("child", ("子", "女", "儿", "媳", "婿", "child")),
    ("parent", ("父", "母", "岳", "公公", "婆婆", "parent")),
    ("sibling", ("兄", "弟", "姐", "妹", "sibling")),
)
_STATUSES = (("moved_out", ("迁出", "搬走", "已搬", "moved")), ("away", ("外出", "不在", "外地", "away")))
_CHINESE_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}
_GRID = re.compile(r"\d+|[零一二三四五六七八九十]+")


@dataclass(slots=True)
class Problem:
    line: int
    code: str  # no_name / no_door / no_grid / grid_conflict / bad_phone / bad_birth_date
    detail: str = ""


@dataclass(slots=True)
class Loaded:
    """What a load found and did (dry run: would do). Nothing is written while `problems` is not empty."""

    community_id: uuid.UUID | None = None
    rows: int = 0
    added: dict[str, int] = field(default_factory=dict)  # table -> rows added
    residents_known: int = 0  # already there: left as they are
    problems: list[Problem] = field(default_factory=list)


@dataclass(slots=True)
class _Person:
    line: int
    grid: int
    building: int
    unit: int
    room: str
    floor: int
    name: str
    sex: str
    birth_date: date | None
    phone: str | None
    id_number: str | None
    relation: str
    status: str


class LoadError(Exception):
    """The file as a whole is unusable (unreadable, or no column for names, doors or grids)."""


def grid_number(value: object) -> int | None:
    """ "2", "第2网格", "第二网格", "十二网格" -> the grid's number."""
    found = _GRID.findall(text(value))
    if len(found) != 1:
        return None
    written = found[0]
    if written.isdigit():
        return int(written)
    tens, _, ones = written.rpartition("十")
    if "十" not in written:
        return _CHINESE_DIGITS[written] if len(written) == 1 else None
    return (_CHINESE_DIGITS.get(tens, 0) if tens else 1) * 10 + (_CHINESE_DIGITS.get(ones, 0) if ones else 0)


def grid_name(number: int) -> str:
    """第二网格, as grids are called."""
    digits = "零一二三四五六七八九"
    if number < 10:
        written = digits[number]
    else:
        tens, ones = divmod(number, 10)
        written = ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")
    return f"第{written}网格"


def _kind(value: str, kinds: tuple, default: str) -> str:
    cleaned = text(value).lower()
    return next((kind for kind, words in kinds if any(word in cleaned for word in words)), default)


def _birth(row: dict[str, str]) -> date | None | str:
    """The birth date written, else the one in an 18-digit ID number; "" when written but impossible."""
    written = row.get("birth_date", "")
    parts = normalize.date_parts(written) if written else None
    if parts is None:
        id_number = normalize.id_key(row.get("id_number", ""))
        if len(id_number) == 18 and id_number[6:14].isdigit():
            parts = (int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
        elif written:
            return ""
        else:
            return None
    year, month, day = parts
    try:
        return date(year, month, day or 1)
    except ValueError:
        return ""


def read_people(data: bytes, filename: str) -> tuple[list[_Person], list[Problem], int]:
    """Every row as a person, or the problems of the rows that cannot be; and how many rows were read."""
    try:
        table = reader.read_table(data, filename)
    except reader.ImportProblem as exc:
        raise LoadError(f"the file cannot be read ({exc.code})") from exc
    mapping = columns.detect(table.headers, columns.FIELDS)
    for index, header in enumerate(table.headers):
        extra = _EXTRA.get(columns.header_key(header))
        if extra and index not in mapping:
            mapping[index] = extra
    fields = set(mapping.values())
    if "name" not in fields or "grid" not in fields or not ({"address", "room"} & fields):
        raise LoadError(
            "the first row must name the columns for each person's name (姓名), door (地址, or 楼号 单元 房号)"
            f" and grid (网格); found: {', '.join(h for h in table.headers if h) or 'nothing'}"
        )
    people, problems = [], []
    today = datetime.now(UTC).date()
    for source in table.rows:
        if source.duplicate_of is not None:
            continue  # the very same cells twice: one person
        row = {name: source.cells[index] if index < len(source.cells) else "" for index, name in mapping.items()}
        line = source.line
        name = text(row.get("name", ""))
        door = (
            normalize.door_from_parts(row.get("building"), row.get("unit"), row.get("room"))
            if row.get("room")
            else normalize.door_key(row.get("address", ""))
        )
        grid = grid_number(row.get("grid", ""))
        phone = normalize.phone_key(row.get("phone", ""))
        birth = _birth(row)
        if not name or len(name) > 32:
            problems.append(Problem(line, "no_name", name))
        if door is None:
            problems.append(Problem(line, "no_door", text(row.get("address") or row.get("room", ""))))
        if grid is None:
            problems.append(Problem(line, "no_grid", text(row.get("grid", ""))))
        if row.get("phone") and not (phone.isdigit() and 7 <= len(phone) <= 12):
            problems.append(Problem(line, "bad_phone", text(row["phone"])))
        if birth == "" or (isinstance(birth, date) and not date(1900, 1, 1) <= birth <= today):
            problems.append(Problem(line, "bad_birth_date", text(row.get("birth_date") or row.get("id_number", ""))))
        if door is None or grid is None or not name or birth == "":
            continue
        building, unit, room = door.split("-")
        id_number = normalize.id_key(row.get("id_number", ""))
        people.append(
            _Person(
                line=line,
                grid=grid,
                building=int(building),
                unit=int(unit),
                room=room,
                floor=int(room[:-2]) if len(room) >= 3 else 1,  # 301 is on floor 3; a bungalow's 1 on floor 1
                name=name,
                sex=normalize.sex_key(row.get("sex", "")),
                birth_date=birth or None,
                phone=phone or None,
                id_number=id_number if len(id_number) in (15, 18) and "*" not in id_number else None,
                relation=_kind(row.get("relation", ""), _RELATIONS, "head" if not row.get("relation") else "other"),
                status=_kind(row.get("status", ""), _STATUSES, "living"),
            )
        )
    grids_of: dict[int, int] = {}
    for person in people:
        first = grids_of.setdefault(person.building, person.grid)
        if first != person.grid:
            problems.append(Problem(person.line, "grid_conflict", f"{person.building}号楼: {first} / {person.grid}"))
    return people, problems, len(table.rows)


async def load_places(
    data: bytes, filename: str, *, community: str, subdistrict: str, district: str, city: str, dry_run: bool = False
) -> Loaded:
    """Add the community (and its subdistrict and district, found by name or made), its grids, buildings, units,
    doors and the people the file lists; people already at their door (by name) are left as they are."""
    people, problems, rows = read_people(data, filename)
    loaded = Loaded(rows=rows, problems=problems)
    if problems:
        return loaded
    async with write_transaction():
        added: dict[str, list] = {}
        place = await _community(added, community, subdistrict, district, city)
        loaded.community_id = place
        grids = {
            row["number"]: row["id"] for row in await Grid.select(Grid.id, Grid.number).where(Grid.community == place)
        }
        for number in sorted({p.grid for p in people} - set(grids)):
            grids[number] = _add(added, Grid(community=place, number=number, name=grid_name(number)))
        buildings = {
            row["number"]: row["id"]
            for row in await Building.select(Building.id, Building.number).where(Building.community == place)
        }
        for person in people:
            if person.building not in buildings:
                buildings[person.building] = _add(
                    added,
                    Building(
                        community=place,
                        grid=grids[person.grid],
                        number=person.building,
                        name=f"{person.building}号楼",
                    ),
                )
        units = {
            (row["building"], row["number"]): (row["id"], row["floors"])
            for row in await Unit.select(Unit.id, Unit.building, Unit.number, Unit.floors).where(
                Unit.building.community == place
            )
        }
        top: dict[tuple, int] = {}
        taller: list[tuple[uuid.UUID, int]] = []  # units the list shows with more floors than known
        for person in people:
            key = (buildings[person.building], person.unit)
            top[key] = max(top.get(key, 0), person.floor)
        for key, floors in top.items():
            if key not in units:
                units[key] = (_add(added, Unit(building=key[0], number=key[1], floors=floors)), floors)
            elif floors > units[key][1]:
                taller.append((units[key][0], floors))
        doors = {
            row["door"]: row["id"]
            for row in await Household.select(Household.id, Household.door).where(Household.community == place)
        }
        for person in people:
            door = f"{person.building}-{person.unit}-{person.room}"
            if door not in doors:
                doors[door] = _add(
                    added,
                    Household(
                        community=place,
                        building=buildings[person.building],
                        unit=units[(buildings[person.building], person.unit)][0],
                        floor=person.floor,
                        room=person.room,
                        door=door,
                    ),
                )
        known = {
            (row["household"], normalize.name_key(row["name"]))
            for row in await Resident.select(Resident.household, Resident.name).where(Resident.community == place)
        }
        now = datetime.now(UTC)
        for person in people:
            key = (doors[f"{person.building}-{person.unit}-{person.room}"], normalize.name_key(person.name))
            if key in known:
                loaded.residents_known += 1
                continue
            known.add(key)
            _add(
                added,
                Resident(
                    community=place,
                    household=key[0],
                    name=person.name,
                    sex=person.sex,  # "" when the list does not say
                    birth_date=person.birth_date,
                    phone=person.phone,
                    id_number=person.id_number,
                    relation=person.relation,
                    status=person.status,
                    created_at=now,
                    updated_at=now,
                ),
            )
        loaded.added = {name: len(items) for name, items in added.items()}
        if dry_run:
            return loaded  # read and counted as a load would, nothing written
        for items in added.values():
            await insert_in_chunks(type(items[0]), items)
        for unit_id, floors in taller:
            await Unit.update({Unit.floors: floors}).where(Unit.id == unit_id)
    return loaded


def _add(added: dict[str, list], row) -> uuid.UUID:
    added.setdefault(type(row)._meta.tablename, []).append(row)
    return row.id


async def _community(added: dict[str, list], community: str, subdistrict: str, district: str, city: str) -> uuid.UUID:
    found = await District.select(District.id).where((District.city == city) & (District.name == district)).first()
    district_id = found["id"] if found else _add(added, District(city=city, name=district))
    found = (
        await Subdistrict.select(Subdistrict.id)
        .where((Subdistrict.district == district_id) & (Subdistrict.name == subdistrict))
        .first()
    )
    subdistrict_id = found["id"] if found else _add(added, Subdistrict(district=district_id, name=subdistrict))
    found = (
        await Community.select(Community.id)
        .where((Community.subdistrict == subdistrict_id) & (Community.name == community))
        .first()
    )
    return found["id"] if found else _add(added, Community(subdistrict=subdistrict_id, name=community))
