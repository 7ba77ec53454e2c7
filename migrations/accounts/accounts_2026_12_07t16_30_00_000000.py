from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import UUID, ForeignKey, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Grid(Table, tablename="grid", schema=None):
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
DESCRIPTION = "a grid's hand-overs kept: who answered for it until when (docs/decisions/0034)"


def _params(**overrides):
    params = {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    return params | overrides


def _reference(table, on_delete, **overrides):
    return _params(references=table, on_delete=on_delete, on_update=OnUpdate.cascade, target_column=None, **overrides)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    manager.add_table(class_name="GridHandover", tablename="grid_handover", schema=None, columns=None)
    columns = (
        ("id", "UUID", UUID, _params(default=UUID4(), primary_key=True)),
        ("grid", "ForeignKey", ForeignKey, _reference(Grid, OnDelete.cascade, index=True)),
        ("from_user", "ForeignKey", ForeignKey, _reference(User, OnDelete.cascade, null=True, index=True)),
        ("held_since", "Timestamptz", Timestamptz, _params(default=None, null=True)),
        ("to_user", "ForeignKey", ForeignKey, _reference(User, OnDelete.set_null, null=True)),
        ("at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
        ("by", "ForeignKey", ForeignKey, _reference(User, OnDelete.set_null, null=True)),
    )
    for name, class_name, column_class, params in columns:
        manager.add_column(
            table_class_name="GridHandover",
            tablename="grid_handover",
            column_name=name,
            db_column_name=name,
            column_class_name=class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
