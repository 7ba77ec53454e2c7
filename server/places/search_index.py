"""The residents' search key and its index (issue 18, docs/decisions/0038): `resident.search_key` holds a person's
name, phone and door in one text, indexed by trigrams: on SQLite an FTS5 table with the trigram tokenizer
(`resident_search`, the key and the resident's id), on PostgreSQL a pg_trgm GIN index on the column. A search of
three characters or more asks the index for its candidates first; the search's own conditions then decide, so the
results are those of the plain LIKE over the community. Residents are only ever added (their name, phone and door
are never changed in place), and each place that adds them calls `index_residents` in the same transaction: no
trigger (a backup holding one is refused: server/operations/backup.py).
"""

from __future__ import annotations

import uuid

from piccolo.engine.sqlite import SQLiteEngine
from piccolo.query import WhereRaw

from server.places.tables import Resident

# The key, in SQL both databases read alike (the migration fills existing rows with the same expression).
KEY_SQL = (
    "name || ' ' || coalesce(phone, '') || ' ' || "
    "coalesce((SELECT door FROM household WHERE household.id = resident.household), '')"
)
TRIGRAM = 3  # characters: a shorter text has no trigram, and is searched over the community as before
CHUNK = 400


def on_sqlite() -> bool:
    return isinstance(Resident._meta.db, SQLiteEngine)


async def index_residents(ids: list[uuid.UUID]) -> None:
    """Fill the search key of residents just added, and on SQLite put them in the trigram index."""
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        marks = ", ".join("{}" for _ in chunk)
        await Resident.raw(f"UPDATE resident SET search_key = {KEY_SQL} WHERE id IN ({marks})", *chunk)  # noqa: S608
        if on_sqlite():
            await Resident.raw(
                f"INSERT INTO resident_search (search_key, resident) SELECT search_key, id FROM resident WHERE id IN ({marks})",  # noqa: S608, E501
                *chunk,
            )


def candidates(terms: list[str]) -> WhereRaw | None:
    """A condition keeping the residents whose key holds one of `terms` (any of them), answered from the trigram
    index; None when a term is too short for trigrams (the caller searches without it)."""
    if not terms or any(len(term) < TRIGRAM for term in terms):
        return None
    if on_sqlite():
        phrases = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
        return WhereRaw("resident.id IN (SELECT resident FROM resident_search WHERE resident_search MATCH {})", phrases)
    likes = " OR ".join("resident.search_key LIKE {}" for _ in terms)
    return WhereRaw(f"({likes})", *[f"%{term}%" for term in terms])
