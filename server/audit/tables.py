from piccolo.columns import UUID, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

# Named, not imported: every domain logs its reads here, so audit sits below accounts and places (docs/decisions/0030).
_COMMUNITY = LazyTableReference("Community", module_path="server.places.tables")
_USER = LazyTableReference("User", module_path="server.accounts.tables")


class AuditEntry(Table):
    """Who read or exported which sensitive record, and when. Append-only."""

    id = UUID(primary_key=True)
    community = ForeignKey(_COMMUNITY, on_delete=OnDelete.restrict, null=False, index=True)
    user = ForeignKey(_USER, on_delete=OnDelete.restrict, null=False, index=True)
    action = Varchar(length=32)  # e.g. "household.view"
    target_type = Varchar(length=32)
    target_id = Varchar(length=64)
    address = Varchar(length=64, default="")
    at = Timestamptz(index=True)
