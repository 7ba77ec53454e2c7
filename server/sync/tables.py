from piccolo.columns import UUID, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from server.accounts.tables import User


class SyncRejection(Table):
    """A write from a phone that the server refused, kept so that nothing a person entered is silently lost."""

    id = UUID(primary_key=True)
    write_id = UUID(index=True)  # the id the phone gave it
    kind = Varchar(length=32)
    user = ForeignKey(User, on_delete=OnDelete.restrict, null=False, index=True)
    reason = Varchar(length=32)
    detail = Text(default="")
    body = Text(default="")  # the write as it came, JSON
    device_time = Timestamptz(null=True, default=None)
    received_at = Timestamptz()
    # Someone who could act on it (the admin, the grid's worker, its author) said it is dealt with: no longer counted
    # on their home page (docs/decisions/0034).
    settled_at = Timestamptz(null=True, default=None)
    settled_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)
