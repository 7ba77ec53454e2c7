from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class SweepTick(Table, tablename="sweep_tick"):
    pass


ID = "2026-12-06T22:06:20:622147"
VERSION = "1.38.0"
DESCRIPTION = ""


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="sweeps", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="SweepTick",
        tablename="sweep_tick",
        column_name="bulk",
        db_column_name="bulk",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    async def door_state_index():
        # The door screen reads a whole unit's door states by (sweep, household) in one join (sweeps/floors.py): by
        # sweep alone, each of a tower's 400 doors scanned the sweep's states.
        await SweepTick.raw("CREATE INDEX IF NOT EXISTS door_state_sweep_household ON door_state (sweep, household)")

    manager.add_raw(door_state_index)
    return manager
