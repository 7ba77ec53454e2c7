"""Errand cards (代买 + 配送): a phone call or a WeChat message becomes a card that moves from new to delivered."""

from piccolo.columns import (
    UUID,
    BigSerial,
    Boolean,
    Bytea,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from server.accounts.tables import User
from server.places.tables import Community, Grid, Household, Resident


class Errand(Table):
    """One request of one household. Its state is changed only through ErrandEvent writes (server/errands/rules)."""

    id = UUID(primary_key=True)  # drawn by the intake page: a form sent twice makes one card
    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, null=False, index=True)  # the household's, at intake
    household = ForeignKey(Household, on_delete=OnDelete.restrict, null=False, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.restrict, null=True, default=None)
    kind = Varchar(length=16)  # groceries / medicine / repair / visit / doctor / other
    urgency = Varchar(length=8, default="today")  # urgent / today / later
    payment = Varchar(length=8, default="advance")  # advance (worker pays, is reimbursed) / online / free
    drop_point = Varchar(length=8, default="door")  # door / lobby / gate
    note = Text(default="")
    source = Varchar(length=16, default="call")  # call / wechat / self / sweep / checkin
    # Where a prefilled card came from ("sweep:<sweep>:<household>", "checkin:<id>"): one card per need.
    source_key = Varchar(length=96, null=True, default=None, unique=True)
    state = Varchar(length=16, default="new", index=True)
    assignee = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    deliverer = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    created_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz()
    due_at = Timestamptz()  # over this time it stands out on the board
    updated_at = Timestamptz()
    delivered_at = Timestamptz(null=True, default=None)
    called_at = Timestamptz(null=True, default=None)  # the call after a contactless drop
    confirmed_how = Varchar(length=16, default="")  # resident / phone
    cancel_reason = Text(default="")
    advanced_cents = Integer(default=0)  # money the worker advanced, in fen
    reimbursed = Boolean(default=False)
    money_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)
    money_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)  # bumped on every change: the board's live refresh compares it


class ErrandItem(Table):
    """One line of the shopping list, ticked in the shop, with what was bought instead."""

    id = UUID(primary_key=True)
    errand = ForeignKey(Errand, on_delete=OnDelete.cascade, null=False, index=True)
    position = Integer()
    text = Varchar(length=100)
    done = Boolean(default=False)
    substitute = Varchar(length=100, default="")


class ErrandEvent(Table):
    """Every change of a card, as it arrived: append-only. Also the record that makes writes idempotent."""

    seq = BigSerial(primary_key=True)
    id = UUID(unique=True)  # the write's id (made by the phone, or by the page for a plain form)
    content_hash = Varchar(length=64)
    errand = ForeignKey(Errand, on_delete=OnDelete.cascade, null=False, index=True)
    action = Varchar(length=16)  # created / move / item / money / called / handoff / photo
    from_state = Varchar(length=16, default="")
    to_state = Varchar(length=16, default="")
    detail = Text(default="")  # what changed, in words a person reads in the history
    by = ForeignKey(User, on_delete=OnDelete.restrict, null=False)
    device_time = Timestamptz()
    received_at = Timestamptz()


class ErrandPhoto(Table):
    """A photo of the delivery at the door or of a receipt; re-encoded, without its metadata (GPS)."""

    id = UUID(primary_key=True)
    errand = ForeignKey(Errand, on_delete=OnDelete.cascade, null=False, index=True)
    role = Varchar(length=8)  # delivery / receipt
    data = Bytea()
    width = Integer()
    height = Integer()
    by = ForeignKey(User, on_delete=OnDelete.restrict, null=False)
    at = Timestamptz()
