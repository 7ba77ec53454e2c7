"""What the reconcile tests share: a list from a test point that closed early, with many people missing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.access.scope import Scope
from server.demo.seed import COMMUNITY_ID, GRID_IDS, demo_uuid
from server.reconcile import services
from server.reconcile.tables import Reconciliation
from tests.reconcile.files import csv_list, exact_rows, living_in_buildings, user

NOW = datetime(2022, 11, 24, 3, 30, tzinfo=UTC)
GRID2 = Scope(community_id=COMMUNITY_ID, grid_ids=(GRID_IDS[1],))
# Whole households missing in three buildings of grid 2, written out of order on purpose; and in building 16 the
# first two floors of every unit: 61 people, too many to show whole.
DOORS = ("2-2-101", "14-1-101", "2-1-1202", "2-1-301")


def is_missing(p: dict) -> bool:
    return p["door"] in DOORS or (p["building"] == 16 and p["floor"] <= 2)


@pytest.fixture
async def closed_early():
    """A test point's list that closed early: everyone of buildings 2, 14 and 16 but the people above."""
    people = await living_in_buildings(2, 14, 16)
    draft = services.draft_from_upload(csv_list(exact_rows([p for p in people if not is_missing(p)])), "早.csv")
    buildings = [demo_uuid("building", n) for n in ("2", "14", "16")]
    rec_id = await services.save(await user("13800000002"), GRID2, draft, {}, buildings, NOW)
    yield rec_id, [p for p in people if is_missing(p)]
    await Reconciliation.delete().where(Reconciliation.id == rec_id)
