from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import BigSerial
from piccolo.columns.column_types import ForeignKey
from piccolo.table import Table


class SweepTick(Table, tablename="sweep_tick"):
    seq = BigSerial(primary_key=True)

ID = "2026-11-29T05:23:01:624741"
VERSION = "1.38.0"
DESCRIPTION = ""


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="sweeps", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="SweepTick",
        tablename="sweep_tick",
        column_name="sweep",
        db_column_name="sweep",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="SweepTick",
        tablename="sweep_tick",
        column_name="household",
        db_column_name="household",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="SweepTick",
        tablename="sweep_tick",
        column_name="volunteer",
        db_column_name="volunteer",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    async def composite_index():
        # Piccolo declares single-column indexes only; this one serves every read of sweep_tick (see tables.py).
        await SweepTick.raw("CREATE INDEX IF NOT EXISTS sweep_tick_sweep_household ON sweep_tick (sweep, household)")

    manager.add_raw(composite_index)
    return manager
