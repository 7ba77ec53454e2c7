from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table


class LoginAttempt(Table, tablename="login_attempt"):
    pass


ID = "2026-12-06T22:04:08:000000"
VERSION = "1.38.0"
DESCRIPTION = "log-in attempts made before outcomes were kept"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def outcomes():
        # A success stays one, the rest were failures (the new column's default); join attempts were marked by the
        # phone "join" (docs/decisions/0019). Raw steps run before a migration's columns are added: hence apart.
        await LoginAttempt.raw("UPDATE login_attempt SET outcome = 'succeeded' WHERE succeeded = TRUE")
        await LoginAttempt.raw("UPDATE login_attempt SET kind = 'join', phone = '' WHERE phone = 'join'")

    manager.add_raw(outcomes)
    return manager
