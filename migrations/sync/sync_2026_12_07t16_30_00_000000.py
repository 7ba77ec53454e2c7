from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import UUID, ForeignKey, Timestamptz
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class User(Table, tablename="account", schema=None):
    id = UUID(
        default=UUID4(),
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


ID = "2026-12-07T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "a refused write said to be dealt with, and by whom (docs/decisions/0034)"


def _params(**overrides):
    params = {
        "null": True,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        "default": None,
    }
    return params | overrides


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="sync", description=DESCRIPTION)
    columns = (
        ("settled_at", "Timestamptz", Timestamptz, _params()),
        (
            "settled_by",
            "ForeignKey",
            ForeignKey,
            _params(references=User, on_delete=OnDelete.set_null, on_update=OnUpdate.cascade, target_column=None),
        ),
    )
    for name, class_name, column_class, params in columns:
        manager.add_column(
            table_class_name="SyncRejection",
            tablename="sync_rejection",
            column_name=name,
            db_column_name=name,
            column_class_name=class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
