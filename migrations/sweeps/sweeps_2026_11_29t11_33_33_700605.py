from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table
from piccolo.columns.column_types import Text
from piccolo.columns.indexes import IndexMethod

class DoorState(Table, tablename="door_state"):
    pass


ID = "2026-11-29T11:33:33:700605"
VERSION = "1.38.0"
DESCRIPTION = ""


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="sweeps", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="DoorState",
        tablename="door_state",
        column_name="memory",
        db_column_name="memory",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "",
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

    async def door_memory():
        # Ticks are read by sweep and seq only (decision 0007): the door index goes, and every door state is folded
        # again from the first tick on the next read, so that each gets its memory.
        await DoorState.raw("DROP INDEX IF EXISTS sweep_tick_sweep_household")
        await DoorState.raw("CREATE INDEX IF NOT EXISTS sweep_tick_sweep_seq ON sweep_tick (sweep, seq)")
        await DoorState.raw("DELETE FROM door_state")
        await DoorState.raw("UPDATE sweep SET folded_seq = 0")

    manager.add_raw(door_memory)
    return manager
