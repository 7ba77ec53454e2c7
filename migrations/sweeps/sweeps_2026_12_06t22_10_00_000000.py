from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table


class DoorState(Table, tablename="door_state"):
    pass


ID = "2026-12-06T22:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "door memories keep who said what and when"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="sweeps", description=DESCRIPTION
    )

    async def door_times():
        # Each word in a door's memory now carries the phone's time, the arrival and the note (rules.Said). Door
        # states are derived from the ticks alone: every sweep is folded again from its first tick on its next read
        # (decision 0007), so that every door's words get their times.
        await DoorState.raw("DELETE FROM door_state")
        await DoorState.raw("UPDATE sweep SET folded_seq = 0")

    manager.add_raw(door_times)
    return manager
