"""The register of elderly residents (台账): a profile per resident, whom to call in an emergency, and the daily
round of calls with its follow-ups."""

from piccolo.columns import UUID, BigSerial, Boolean, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from server.accounts.tables import User
from server.places.tables import Community, Grid, Resident


class ElderProfile(Table):
    """What the paper register holds about one elderly resident. The id is the resident's id: one profile each."""

    id = UUID(primary_key=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.restrict, null=False, unique=True)
    living = Varchar(length=16, default="family")  # alone (独居) / spouse (空巢) / family
    mobility = Varchar(length=16, default="good")  # good / limited / bedridden
    conditions = Text(default="")  # chronic conditions
    medicines = Text(default="")  # regular medicines
    interests = Text(default="")
    best_time = Varchar(length=64, default="")  # best time to call
    # 一号专线: answered first everywhere. Set automatically for people living alone or with poor mobility, unless a
    # grid worker decided otherwise (priority_set_by_hand).
    priority = Boolean(default=False)
    priority_set_by_hand = Boolean(default=False)
    in_round = Boolean(default=True)  # called in the daily round
    notes = Text(default="")
    version = Integer(default=1)  # bumped on every save: a save from an older version is a conflict
    updated_at = Timestamptz()
    updated_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True)


class Contact(Table):
    """A relative or neighbour to call in an emergency."""

    id = UUID(primary_key=True)
    profile = ForeignKey(ElderProfile, on_delete=OnDelete.cascade, null=False, index=True)
    name = Varchar(length=32)
    relation = Varchar(length=16)  # 儿子, 女儿, 邻居...: written as people say it
    phone = Varchar(length=20)
    lives = Varchar(length=64, default="")  # where they live: "same building", "Beijing"
    position = Integer(default=0)  # the order to call them in


class CheckIn(Table):
    """One call of the daily round and its outcome. Append-only; made on the phone, also offline."""

    seq = BigSerial(primary_key=True)
    id = UUID(unique=True)  # made by the phone (the sync layer's write id)
    content_hash = Varchar(length=64)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.restrict, null=False, index=True)
    day = Date(index=True)  # the community's day the call belongs to
    outcome = Varchar(length=16)  # ok / needs / no_answer / unwell
    need = Text(default="")  # what they need: the errand issue turns it into a card
    note = Text(default="")
    caller = ForeignKey(User, on_delete=OnDelete.restrict, null=False)
    device_time = Timestamptz()
    received_at = Timestamptz()


class FollowUp(Table):
    """A task card: two calls unanswered today, so someone must go and look (a building lead, a relative, a visit)."""

    id = UUID(primary_key=True)  # uuid5(resident, day): one card per person and day
    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, null=False, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.restrict, null=False)
    day = Date()
    reason = Varchar(length=16, default="no_answer")
    status = Varchar(length=16, default="open")  # open / done
    outcome = Text(default="")  # what was found
    created_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)
    closed_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)


class ProfileChange(Table):
    """Which fields of a resident's register entry a save changed, when and by whom (the edit form, an import).
    Append-only. An import of an older export reads it: a field changed here after the file was made is not put
    back by the file's old value (issue 16, decision 0028)."""

    id = UUID(primary_key=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.restrict, null=False, index=True)
    fields = Varchar(length=255)  # the names changed, comma-joined: living,mobility,...,contacts,birth_date
    at = Timestamptz(index=True)
    by = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)


class RegisterImport(Table):
    """An import saved: its counts and the rows it did not apply, each with its reason, for the page that says
    what was saved (issue 16: "2 行没有导入" named no row). Read only by the person who imported."""

    id = UUID(primary_key=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, null=False, index=True)
    at = Timestamptz()
    result = Text(default="")  # JSON: the counts and the rows not applied (importing.Saved)
