"""Reconciliations: a list from outside (or a person sweep's outcomes) held against the register.

What was expected is kept as it stood when the list was saved: the register may change later (someone moves out,
someone is added), and a result must still say what it said the day it was made.
"""

from piccolo.columns import UUID, Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from server.accounts.tables import User
from server.places.tables import Building, Community, Grid, Household, Resident
from server.sweeps.tables import Sweep


class Reconciliation(Table):
    """Who may see one follows from its buildings (ReconcileArea): admins all, a grid worker those of their grids."""

    id = UUID(primary_key=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    title = Varchar(length=128)  # the file's name, or the sweep's
    source = Varchar(length=16, default="file")  # file / sweep
    sweep = ForeignKey(Sweep, on_delete=OnDelete.restrict, null=True, default=None)
    listed = Integer(default=0)  # rows on the list, blank and duplicated rows left out
    created_by = ForeignKey(User, on_delete=OnDelete.restrict, null=False)
    created_at = Timestamptz()


class ReconcileArea(Table):
    """A building whose living residents were expected on the list."""

    id = UUID(primary_key=True)
    reconciliation = ForeignKey(Reconciliation, on_delete=OnDelete.cascade, null=False, index=True)
    building = ForeignKey(Building, on_delete=OnDelete.restrict, null=False)


class ExpectedResident(Table):
    """Every registered person of the area when the list was saved. Only those living here are expected; people
    away or moved out are kept too, so that the page can say they were not expected (and whether they were listed).
    """

    id = UUID(primary_key=True)
    reconciliation = ForeignKey(Reconciliation, on_delete=OnDelete.cascade, null=False, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.restrict, null=False)
    household = ForeignKey(Household, on_delete=OnDelete.restrict, null=False)
    building = ForeignKey(Building, on_delete=OnDelete.restrict, null=False)
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, null=False)
    name = Varchar(length=32)
    door = Varchar(length=32)
    status = Varchar(length=16)  # the register's status then: living / away / moved_out
    present = Boolean(default=False)  # on the list
    line = Integer(null=True, default=None)  # the list's row that named them
    reason = Varchar(length=16, default="")  # why missing: away / hospital / refused / will_come
    reason_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    reason_at = Timestamptz(null=True, default=None)


class ListRow(Table):
    """A row of the list that the matching could not settle, or that matched someone outside the area."""

    id = UUID(primary_key=True)
    reconciliation = ForeignKey(Reconciliation, on_delete=OnDelete.cascade, null=False, index=True)
    line = Integer()
    status = Varchar(length=16)  # ambiguous / unknown / repeated / incomplete / outside
    reason = Varchar(length=32, default="")
    name = Varchar(length=32, default="")
    sex = Varchar(length=1, default="")
    door = Varchar(length=32, default="")  # normalised ("2-1-301") when the row gave a whole door
    door_text = Varchar(length=128, default="")  # as the list wrote it
    phone = Varchar(length=20, default="")  # as it can be compared: digits, a masked middle as "*"
    resident = ForeignKey(Resident, on_delete=OnDelete.restrict, null=True, default=None)
    candidates = Text(default="")  # ambiguous: the residents it could be, ids separated by spaces
    decision = Varchar(length=16, default="")  # "" / chosen / not_registered / added
    decided_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
