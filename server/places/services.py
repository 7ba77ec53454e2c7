"""Reading the register of places and people, always inside a Scope. Knows nothing of HTTP."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import date

import msgspec

from server.access.masks import mask_phone
from server.access.scope import Scope
from server.accounts.tables import GridCover, User
from server.db import as_datetime
from server.places import schemas, search_index
from server.places.tables import Building, Community, Grid, Household, Resident, Unit

ELDERLY_AGE = 60  # China's Law on the Protection of the Rights of the Elderly counts from 60
RELATIONS = ("head", "spouse", "child", "parent", "grandchild", "sibling", "other")
STATUSES = ("living", "away", "moved_out")
SEARCH_LIMIT = 20
SEARCH_CANDIDATES = 200  # fetched, then ranked in Python, then cut to SEARCH_LIMIT


def age_on(birth: date | None, today: date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def elderly_cutoff(today: date) -> date:
    """Born on or before this day means 60 or older today (29 February falls back to the 28th)."""
    try:
        return today.replace(year=today.year - ELDERLY_AGE)
    except ValueError:
        return today.replace(year=today.year - ELDERLY_AGE, day=28)


def _placeholders(values) -> str:
    return ", ".join("{}" for _ in values)


def _grid_filter(scope: Scope, column: str) -> tuple[str, list]:
    if scope.grid_ids is None:
        return "", []
    if not scope.grid_ids:
        return " AND 1 = 0", []
    return f" AND {column} IN ({_placeholders(scope.grid_ids)})", list(scope.grid_ids)


_GRID_SUMMARY_SQL = """
SELECT g.id, g.number, g.name,
  (SELECT count(*) FROM building b WHERE b.grid = g.id) AS buildings,
  (SELECT count(*) FROM household h JOIN building b ON h.building = b.id WHERE b.grid = g.id)
    AS households,
  (SELECT count(*) FROM resident r JOIN household h ON r.household = h.id
     JOIN building b ON h.building = b.id WHERE b.grid = g.id AND r.status = 'living') AS residents,
  (SELECT count(*) FROM resident r JOIN household h ON r.household = h.id
     JOIN building b ON h.building = b.id
     WHERE b.grid = g.id AND r.status = 'living' AND r.birth_date <= {}
       AND NOT EXISTS (SELECT 1 FROM resident o WHERE o.household = r.household
                       AND o.status = 'living' AND o.id <> r.id)) AS elderly_alone
FROM grid g WHERE g.community = {}"""


async def community_summary(scope: Scope, today: date, only_grid: uuid.UUID | None = None) -> schemas.CommunitySummary:
    """Each grid in scope (or just `only_grid`) at a glance: buildings, households, residents, elderly alone."""
    community = (
        await Community.select(Community.id, Community.name, Community.address)
        .where(Community.id == scope.community_id)
        .first()
    )
    grid_sql, grid_args = _grid_filter(scope if only_grid is None else Scope(scope.community_id, (only_grid,)), "g.id")
    sql = _GRID_SUMMARY_SQL + grid_sql + " ORDER BY g.number"  # noqa: S608 (grid_sql adds only "{}" placeholders)
    rows = await Grid.raw(sql, elderly_cutoff(today), scope.community_id, *grid_args)
    owners = {
        str(r["grid"]): r
        for r in await User.select(User.id, User.grid, User.name).where(
            (User.community == scope.community_id) & (User.role == "grid_worker") & User.grid.is_not_null()
        )
    }
    covers = {
        str(c["grid"]): c
        for c in await GridCover.select(GridCover.grid, GridCover.since, GridCover.user.name.as_alias("name")).where(
            GridCover.user.community == scope.community_id
        )
    }

    def people(grid_id: str) -> dict:
        owner, cover = owners.get(grid_id), covers.get(grid_id)
        return {
            "worker_name": cover["name"] if cover else owner and owner["name"],  # who answers for it now
            "owner_id": owner and owner["id"],
            "owner_name": owner and owner["name"],
            "covered_since": cover and as_datetime(cover["since"]),
        }

    grids = [msgspec.convert({**r, **people(str(r["id"]))}, schemas.GridSummary, strict=False) for r in rows]
    return schemas.CommunitySummary(
        id=community["id"], name=community["name"], address=community["address"], grids=grids
    )


async def list_buildings(scope: Scope, grid_id: uuid.UUID) -> list[schemas.BuildingSummary] | None:
    """The buildings of one grid, or None when the grid is not in scope."""
    if not scope.allows_grid(grid_id):
        return None
    if not await Grid.exists().where((Grid.id == grid_id) & (Grid.community == scope.community_id)):
        return None
    rows = await Building.raw(
        """
        SELECT b.id, b.number, b.name, b.grid AS grid_id,
          (SELECT count(*) FROM unit u WHERE u.building = b.id) AS units,
          (SELECT count(*) FROM household h WHERE h.building = b.id) AS households,
          (SELECT count(*) FROM resident r JOIN household h ON r.household = h.id
             WHERE h.building = b.id AND r.status = 'living') AS residents
        FROM building b WHERE b.grid = {} AND b.community = {} ORDER BY b.number""",
        grid_id,
        scope.community_id,
    )
    return [msgspec.convert(r, schemas.BuildingSummary, strict=False) for r in rows]


async def _building_in_scope(scope: Scope, building_id: uuid.UUID) -> dict | None:
    row = (
        await Building.select(
            Building.id,
            Building.number,
            Building.name,
            Building.grid.as_alias("grid_id"),
            Building.grid.name.as_alias("grid_name"),
            Building.address,
        )
        .where((Building.id == building_id) & (Building.community == scope.community_id))
        .first()
    )
    if row is None or not scope.allows_grid(row["grid_id"]):
        return None
    return row


async def get_building(scope: Scope, building_id: uuid.UUID) -> schemas.BuildingDetail | None:
    """A building drawn as units side by side, floors from the top, with households and residents per floor."""
    row = await _building_in_scope(scope, building_id)
    if row is None:
        return None
    units = await Unit.select(Unit.number, Unit.floors).where(Unit.building == building_id).order_by(Unit.number)
    counts = await Household.raw(
        """
        SELECT u.number AS unit, h.floor, count(DISTINCT h.id) AS households,
          count(r.id) AS residents
        FROM household h JOIN unit u ON h.unit = u.id
        LEFT JOIN resident r ON r.household = h.id AND r.status = 'living'
        WHERE h.building = {}
        GROUP BY u.number, h.floor""",
        building_id,
    )
    by_cell = {(c["unit"], c["floor"]): c for c in counts}
    unit_floors = [
        schemas.UnitFloors(
            number=u["number"],
            floors=[
                schemas.FloorCell(
                    floor=f,
                    households=by_cell.get((u["number"], f), {}).get("households", 0),
                    residents=by_cell.get((u["number"], f), {}).get("residents", 0),
                )
                for f in range(u["floors"], 0, -1)
            ],
        )
        for u in units
    ]
    summary = schemas.BuildingSummary(
        id=row["id"],
        number=row["number"],
        name=row["name"],
        grid_id=row["grid_id"],
        units=len(units),
        households=sum(c["households"] for c in counts),
        residents=sum(c["residents"] for c in counts),
    )
    return schemas.BuildingDetail(
        building=summary, grid_name=row["grid_name"], address=row["address"], units=unit_floors
    )


def _building_ref(row: dict) -> schemas.BuildingRef:
    return schemas.BuildingRef(id=row["id"], number=row["number"], name=row["name"], grid_id=row["grid_id"])


async def get_floor(scope: Scope, building_id: uuid.UUID, unit: int, floor: int) -> schemas.FloorDetail | None:
    row = await _building_in_scope(scope, building_id)
    if row is None:
        return None
    unit_row = (
        await Unit.select(Unit.id, Unit.floors).where((Unit.building == building_id) & (Unit.number == unit)).first()
    )
    if unit_row is None or not 1 <= floor <= unit_row["floors"]:
        return None
    households = (
        await Household.select(Household.id, Household.door, Household.room)
        .where((Household.unit == unit_row["id"]) & (Household.floor == floor))
        .order_by(Household.room)
    )
    people = (
        await Resident.select(Resident.household, Resident.name)
        .where(
            Resident.household.is_in([h["id"] for h in households] or [uuid.UUID(int=0)])
            & (Resident.status == "living")
        )
        .order_by(Resident.relation)
    )
    names: dict[str, list[str]] = {}
    for p in people:
        names.setdefault(str(p["household"]), []).append(p["name"])
    return schemas.FloorDetail(
        building=_building_ref(row),
        unit=unit,
        floor=floor,
        floors_in_unit=unit_row["floors"],
        households=[
            schemas.HouseholdRow(
                id=h["id"],
                door=h["door"],
                room=h["room"],
                residents=len(names.get(str(h["id"]), [])),
                names=names.get(str(h["id"]), []),
            )
            for h in households
        ],
    )


async def get_household(scope: Scope, household_id: uuid.UUID, today: date) -> schemas.HouseholdDetail | None:
    row = (
        await Household.select(
            Household.id,
            Household.door,
            Household.floor,
            Household.unit.number.as_alias("unit"),
            Household.building.id.as_alias("building_id"),
            Household.building.number.as_alias("building_number"),
            Household.building.name.as_alias("building_name"),
            Household.building.grid.as_alias("grid_id"),
        )
        .where((Household.id == household_id) & (Household.community == scope.community_id))
        .first()
    )
    if row is None or not scope.allows_grid(row["grid_id"]):
        return None
    residents = await Resident.select().where(Resident.household == household_id)
    order = {r: i for i, r in enumerate(RELATIONS)}
    residents.sort(
        key=lambda r: (
            STATUSES.index(r["status"]) if r["status"] in STATUSES else 9,
            order.get(r["relation"], 9),
            r["birth_date"] or date.max,
        )
    )
    return schemas.HouseholdDetail(
        id=row["id"],
        door=row["door"],
        floor=row["floor"],
        unit=row["unit"],
        building=schemas.BuildingRef(
            id=row["building_id"], number=row["building_number"], name=row["building_name"], grid_id=row["grid_id"]
        ),
        residents=[
            schemas.Resident(
                id=r["id"],
                name=r["name"],
                sex=r["sex"],
                birth_date=r["birth_date"],
                age=age_on(r["birth_date"], today),
                phone=r["phone"],
                relation=r["relation"],
                status=r["status"],
            )
            for r in residents
        ],
    )


_DOOR_WORDS = re.compile(r"[号栋幢楼单元室户\-－—_/\\.\s]+")


def normalize_query(q: str) -> str:
    """Full-width to half-width, trimmed: "２栋１单元" is searched as "2栋1单元"."""
    return unicodedata.normalize("NFKC", q).strip()


def door_from_query(q: str) -> str | None:
    """Read a door from the ways people write one: "2-1-301", "2号楼1单元301", "2栋1单元301室"."""
    parts = [p for p in _DOOR_WORDS.split(q) if p]
    if 1 <= len(parts) <= 3 and all(p.isdigit() for p in parts) and _DOOR_WORDS.search(q):
        return "-".join(str(int(p)) for p in parts)
    return None


def _rank(row: dict, q: str, door: str | None) -> tuple:
    """People living here first; then the door asked for, the exact name, and doors in building order."""
    at_door = door is not None and (
        row["door"] == door or row["door"].startswith(door + "-") or row["door"].endswith(door)
    )
    natural_door = tuple(int(part) if part.isdigit() else 0 for part in row["door"].split("-"))
    # Then by name and id: the same order whichever way the database found them (with the index or without).
    return (
        row["status"] != "living",
        not at_door,
        row["name"] != q,
        natural_door,
        row["name"],
        str(row["resident_id"]),
    )


_PHONE_LIKE = re.compile(r"\+?[\d\s\-]+")


def _without_wildcards(text: str) -> str:
    # SQLite and PostgreSQL escape LIKE wildcards differently; names and doors never contain them.
    return text.replace("%", "").replace("_", "")


async def search_residents(scope: Scope, q: str, today: date) -> list[schemas.SearchHit]:
    """Residents in scope whose name, phone or door matches; people living here first."""
    q = _without_wildcards(normalize_query(q))
    if not q or len(q) > 40:
        return []
    if scope.sees_nothing:
        return []
    door = None
    conditions = Resident.name.like(f"%{q}%")
    terms = [q]  # what the resident's search key must hold, one of them (the trigram index's candidates)
    digits = "".join(ch for ch in q if ch.isdigit())
    if _PHONE_LIKE.fullmatch(q) and len(digits) >= 7:
        # "138 1234 5678", "+86 138-1234-5678" or a part of one: a phone number, not a door.
        digits = digits[2:] if len(digits) == 13 and digits.startswith("86") else digits
        conditions |= Resident.phone.like(f"%{digits}%")
        terms.append(digits)
    elif door := door_from_query(q):
        # Whole parts only: "2号楼" is building 2 and its doors, never building 20.
        conditions |= (Resident.household.door == door) | Resident.household.door.like(f"{door}-%")
        terms.append(door)
    elif digits == q and len(digits) >= 3:
        # A bare number: a room ("301" is every 301 in scope) or part of a phone number.
        door = f"-{digits}"
        conditions |= Resident.household.door.like(f"%-{digits}") | Resident.phone.like(f"%{digits}%")
        # Every community has its 301s: the index would name the city's, so the community's own index serves it.
        terms = []
    # Three characters or more: the index names the candidates, the conditions above decide (decision 0038).
    indexed = search_index.candidates(terms)
    if indexed is not None:
        conditions = indexed & conditions
    query = (
        Resident.select(
            Resident.id.as_alias("resident_id"),
            Resident.household.id.as_alias("household_id"),
            Resident.name,
            Resident.household.door.as_alias("door"),
            Resident.birth_date,
            Resident.phone,
            Resident.status,
        )
        .where((Resident.community == scope.community_id) & conditions)
        .limit(SEARCH_CANDIDATES)
    )
    query = scope.filter(query, Resident.household.building.grid)
    rows = await query
    rows.sort(key=lambda r: _rank(r, q, door))
    return [
        schemas.SearchHit(
            resident_id=r["resident_id"],
            household_id=r["household_id"],
            name=r["name"],
            door=r["door"],
            age=age_on(r["birth_date"], today),
            phone_masked=mask_phone(r["phone"]),
            status=r["status"],
        )
        for r in rows[:SEARCH_LIMIT]
    ]
