"""Where people live: city district > subdistrict > community > grid > building > unit > household > resident.

Every table that a phone may one day write to has a UUID key, so records can be made offline without clashes.
Community is repeated on the lower tables so that every query can be scoped to one community cheaply.
"""

from piccolo.columns import (
    UUID,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class District(Table):
    id = UUID(primary_key=True)
    city = Varchar(length=32)
    name = Varchar(length=32)


class Subdistrict(Table):
    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, null=False)
    name = Varchar(length=32)


class Community(Table):
    id = UUID(primary_key=True)
    subdistrict = ForeignKey(Subdistrict, on_delete=OnDelete.restrict, null=False)
    name = Varchar(length=32)
    address = Varchar(length=128, default="")


class Grid(Table):
    id = UUID(primary_key=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    number = Integer()
    name = Varchar(length=32)


class Building(Table):
    id = UUID(primary_key=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, null=False, index=True)
    number = Integer()
    name = Varchar(length=32)
    address = Varchar(length=128, default="")


class Unit(Table):
    id = UUID(primary_key=True)
    building = ForeignKey(Building, on_delete=OnDelete.restrict, null=False, index=True)
    number = Integer()
    floors = Integer()


class Household(Table):
    """One door. `door` is how people write it: "2-1-301" is building 2, unit 1, room 301."""

    id = UUID(primary_key=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    building = ForeignKey(Building, on_delete=OnDelete.restrict, null=False, index=True)
    unit = ForeignKey(Unit, on_delete=OnDelete.restrict, null=False, index=True)
    floor = Integer()
    room = Varchar(length=16)
    door = Varchar(length=32, index=True)


class Resident(Table):
    id = UUID(primary_key=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    household = ForeignKey(Household, on_delete=OnDelete.restrict, null=False, index=True)
    name = Varchar(length=32, index=True)
    sex = Varchar(length=1, choices=None)  # "M" or "F", checked in services
    birth_date = Date(null=True, default=None)
    phone = Varchar(length=20, null=True, default=None, index=True)
    id_number = Varchar(length=18, null=True, default=None)
    relation = Varchar(length=16, default="head")  # see places.services.RELATIONS
    status = Varchar(length=16, default="living")  # living / away / moved_out
    created_at = Timestamptz()
    updated_at = Timestamptz()
    # Name, phone and door in one text for the search's trigram index (places/search_index.py, decision 0038).
    search_key = Text(default="")
