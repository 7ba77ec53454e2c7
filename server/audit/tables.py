from piccolo.columns import UUID, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from server.accounts.tables import User
from server.places.tables import Community


class AuditEntry(Table):
    """Who read or exported which sensitive record, and when. Append-only."""

    id = UUID(primary_key=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    user = ForeignKey(User, on_delete=OnDelete.restrict, null=False, index=True)
    action = Varchar(length=32)  # e.g. "household.view"
    target_type = Varchar(length=32)
    target_id = Varchar(length=64)
    address = Varchar(length=64, default="")
    at = Timestamptz(index=True)
