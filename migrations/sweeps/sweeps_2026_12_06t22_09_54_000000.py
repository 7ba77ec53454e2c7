from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table


class SweepInvite(Table, tablename="sweep_invite"):
    pass


ID = "2026-12-06T22:09:54:000000"
VERSION = "1.38.0"
DESCRIPTION = "codes made by grid workers before codes kept their grids"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sweeps", description=DESCRIPTION)

    async def grids_of_makers():
        # A grid worker's code opens their own grid (docs/decisions/0019); codes live 8 hours at most, so their
        # own grid is what they answered for. Raw steps run before a migration's columns are added: hence apart.
        await SweepInvite.raw(
            "UPDATE sweep_invite SET grids = (SELECT CAST(a.grid AS TEXT) FROM account a"
            " WHERE a.id = sweep_invite.created_by) WHERE grids = '' AND EXISTS (SELECT 1 FROM account a"
            " WHERE a.id = sweep_invite.created_by AND a.role = 'grid_worker' AND a.grid IS NOT NULL)"
        )

    manager.add_raw(grids_of_makers)
    return manager
