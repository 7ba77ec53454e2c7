from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table


class Resident(Table, tablename="resident"):
    pass


ID = "2026-12-07T22:52:06:000000"
VERSION = "1.38.0"
DESCRIPTION = "the residents' search key filled, and its trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL)"

# The same expression as server/places/search_index.py's KEY_SQL, written out: a migration does not change with the
# code after it.
KEY_SQL = (
    "name || ' ' || coalesce(phone, '') || ' ' || "
    "coalesce((SELECT door FROM household WHERE household.id = resident.household), '')"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="places", description=DESCRIPTION)

    async def search_index():
        # Raw steps run before a migration's columns are added: the column came in the migration before this one.
        await Resident.raw(f"UPDATE resident SET search_key = {KEY_SQL}")
        if isinstance(Resident._meta.db, SQLiteEngine):
            await Resident.raw(
                "CREATE VIRTUAL TABLE IF NOT EXISTS resident_search"
                " USING fts5(search_key, resident UNINDEXED, tokenize = 'trigram')"
            )
            await Resident.raw("INSERT INTO resident_search (search_key, resident) SELECT search_key, id FROM resident")
        else:
            # pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: the database's owner may add it.
            await Resident.raw("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            await Resident.raw(
                "CREATE INDEX IF NOT EXISTS resident_search_key_trgm ON resident USING gin (search_key gin_trgm_ops)"
            )

    manager.add_raw(search_index)
    return manager
