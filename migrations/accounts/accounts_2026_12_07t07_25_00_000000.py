from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import UUID, ForeignKey, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
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


ID = "2026-12-07T07:25:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "phones that logged in before; log-in attempts keep their proof and their IPv6 /48"


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


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    manager.add_table(class_name="LoginDevice", tablename="login_device", schema=None, columns=None)
    columns = (
        ("id", "UUID", UUID, _params(default=UUID4(), primary_key=True)),
        ("token_hash", "Varchar", Varchar, _params(length=64, default="", unique=True)),
        (
            "user",
            "ForeignKey",
            ForeignKey,
            _params(
                references=User,
                on_delete=OnDelete.cascade,
                on_update=OnUpdate.cascade,
                target_column=None,
                index=True,
            ),
        ),
        ("created_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
        ("used_at", "Timestamptz", Timestamptz, _params(default=TimestamptzNow())),
    )
    for name, class_name, column_class, params in columns:
        manager.add_column(
            table_class_name="LoginDevice",
            tablename="login_device",
            column_name=name,
            db_column_name=name,
            column_class_name=class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    for name in ("device", "network"):
        manager.add_column(
            table_class_name="LoginAttempt",
            tablename="login_attempt",
            column_name=name,
            db_column_name=name,
            column_class_name="Varchar",
            column_class=Varchar,
            params=_params(length=64, default="", index=True),
            schema=None,
        )
    return manager
