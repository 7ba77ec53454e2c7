from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table


class User(Table, tablename="account"):
    pass


ID = "2026-12-07T01:28:28:000000"
VERSION = "1.38.0"
DESCRIPTION = "guests keep their number apart from log-in numbers"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def guest_phones():
        # A guest's number moves to guest_phone; `phone` gets a stand-in that is never eleven digits, so that a guest
        # takes no log-in number and the same number can be a guest in another community (docs/decisions/0019).
        # Raw steps run before a migration's columns are added: hence apart from the column's migration.
        for row in await User.raw("SELECT id, phone FROM account WHERE is_guest = TRUE"):
            stand_in = "g" + str(row["id"]).replace("-", "")[:19]
            await User.raw("UPDATE account SET guest_phone = {}, phone = {} WHERE id = {}", row["phone"], stand_in, row["id"])
        await User.raw("CREATE UNIQUE INDEX IF NOT EXISTS account_guest_phone_unique ON account (community, guest_phone)")

    manager.add_raw(guest_phones)
    return manager
