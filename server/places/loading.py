"""Loading a real community from the list of households and people it already keeps (户籍 / 人口台账, .xlsx or
.csv: one row a person, with their door and their grid). Run once by whoever sets Gridcare up for a community
(`python -m server load-places`), and again when the list has new people: what is already there stays as it is
(the app is where it is kept up to date), what is new is added.

The rows are read by list_rows.py; every row is checked first, and one problem anywhere means nothing is written.
Knows nothing of HTTP or the command line.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from server.db import insert_in_chunks, write_transaction
from server.imports import normalize
from server.places.list_rows import MAX_NAME, Loaded, LoadError, Problem, grid_name, read_people
from server.places.search_index import index_residents
from server.places.tables import Building, Community, District, Grid, Household, Resident, Subdistrict, Unit


async def load_places(
    data: bytes,
    filename: str,
    *,
    community: str,
    subdistrict: str,
    district: str,
    city: str,
    dry_run: bool = False,
    another: bool = False,
) -> Loaded:
    """Add the community (and its subdistrict and district, found by name or made), its grids, buildings, units,
    doors and the people the file lists. People already there (the same name at their door, or the same ID number)
    are left as they are. `another`: a community of that name exists elsewhere and this is truly another one."""
    names = {"community": community, "subdistrict": subdistrict, "district": district, "city": city}
    for what, name in names.items():
        if not 1 <= len(name.strip()) <= MAX_NAME:
            raise LoadError(f"the {what}'s name must be 1 to {MAX_NAME} characters")
    people, problems, loaded = read_people(data, filename)
    loaded.problems = problems
    if problems:
        return loaded
    async with write_transaction():
        added: dict[str, list] = {}
        place = await _community(added, another, **{k: v.strip() for k, v in names.items()})
        loaded.community_id = place
        grids = {
            row["number"]: row["id"] for row in await Grid.select(Grid.id, Grid.number).where(Grid.community == place)
        }
        for number in sorted({p.grid for p in people} - set(grids)):
            grids[number] = _add(added, Grid(community=place, number=number, name=grid_name(number)))
        buildings = {
            row["number"]: (row["id"], row["grid"])
            for row in await Building.select(Building.id, Building.number, Building.grid).where(
                Building.community == place
            )
        }
        for person in people:
            if person.building not in buildings:
                made = Building(
                    community=place, grid=grids[person.grid], number=person.building, name=f"{person.building}号楼"
                )
                buildings[person.building] = (_add(added, made), grids[person.grid])
            elif buildings[person.building][1] != grids[person.grid]:
                loaded.problems.append(
                    Problem(person.line, "building_in_other_grid", f"{person.building}号楼, 网格 {person.grid}")
                )
        if loaded.problems:
            loaded.community_id = None
            return loaded  # nothing written: the transaction has only read
        units = {
            (row["building"], row["number"]): (row["id"], row["floors"])
            for row in await Unit.select(Unit.id, Unit.building, Unit.number, Unit.floors).where(
                Unit.building.community == place
            )
        }
        top: dict[tuple, int] = {}
        taller: list[tuple[uuid.UUID, int]] = []  # units the list shows with more floors than known
        for person in people:
            key = (buildings[person.building][0], person.unit)
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
                        building=buildings[person.building][0],
                        unit=units[(buildings[person.building][0], person.unit)][0],
                        floor=person.floor,
                        room=person.room,
                        door=door,
                    ),
                )
        known, known_ids, heads = set(), set(), set()
        for row in await Resident.select(Resident.household, Resident.name, Resident.id_number).where(
            Resident.community == place
        ):
            known.add((row["household"], normalize.name_key(row["name"])))
            known_ids.add(row["id_number"])
            heads.add(row["household"])  # a door with people already has its head
        now = datetime.now(UTC)
        for person in people:
            household = doors[f"{person.building}-{person.unit}-{person.room}"]
            key = (household, normalize.name_key(person.name))
            if key in known or (person.id_number and person.id_number in known_ids):
                loaded.residents_known += 1
                continue
            known.add(key)
            relation = person.relation or ("other" if household in heads else "head")
            heads.add(household)
            _add(
                added,
                Resident(
                    community=place,
                    household=household,
                    name=person.name,
                    sex=person.sex,  # "" when the list does not say
                    birth_date=person.birth_date,
                    phone=person.phone,
                    id_number=person.id_number,
                    relation=relation,
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
            if isinstance(items[0], Resident):
                await index_residents([item.id for item in items])
        for unit_id, floors in taller:
            await Unit.update({Unit.floors: floors}).where(Unit.id == unit_id)
    return loaded


def _add(added: dict[str, list], row) -> uuid.UUID:
    added.setdefault(type(row)._meta.tablename, []).append(row)
    return row.id


async def _community(
    added: dict[str, list], another: bool, *, community: str, subdistrict: str, district: str, city: str
) -> uuid.UUID:
    found = await Community.select(Community.id).where(
        (Community.name == community)
        & (Community.subdistrict.name == subdistrict)
        & (Community.subdistrict.district.name == district)
        & (Community.subdistrict.district.city == city)
    )
    if found:
        return found[0]["id"]
    elsewhere = await Community.select(
        Community.subdistrict.district.city.as_alias("city"),
        Community.subdistrict.district.name.as_alias("district"),
        Community.subdistrict.name.as_alias("subdistrict"),
    ).where(Community.name == community)
    if elsewhere and not another:
        where = "; ".join(f"{r['city']} {r['district']} {r['subdistrict']}" for r in elsewhere)
        raise LoadError(
            f"{community} already exists in {where}: check --city, --district and --subdistrict"
            " (or, if this is truly another community of that name, add --another)"
        )
    row = await District.select(District.id).where((District.city == city) & (District.name == district)).first()
    district_id = row["id"] if row else _add(added, District(city=city, name=district))
    row = (
        await Subdistrict.select(Subdistrict.id)
        .where((Subdistrict.district == district_id) & (Subdistrict.name == subdistrict))
        .first()
    )
    subdistrict_id = row["id"] if row else _add(added, Subdistrict(district=district_id, name=subdistrict))
    return _add(added, Community(subdistrict=subdistrict_id, name=community))
