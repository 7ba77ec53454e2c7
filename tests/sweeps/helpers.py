"""Shared steps of the sweep tests."""

from __future__ import annotations

from server.demo.seed import demo_uuid
from server.places.tables import Unit
from server.sweeps.tables import SweepClaim
from tests.conftest import csrf


async def claim(client, sweep_id, unit: str = "2-1", floors: tuple[int, int] | None = None, release: bool = False):
    """The logged-in volunteer claims floors of a unit (demo key "building-unit") through the page's form;
    release=True lets go of it again at once (the volunteer keeps the right to record what they did there)."""
    if floors is None:
        floors = (1, (await Unit.select(Unit.floors).where(Unit.id == demo_uuid("unit", unit)).first())["floors"])
    answer = await client.post(
        f"/sweeps/{sweep_id}/claims",
        data={
            "_csrf_token": csrf(client)["x-csrftoken"],
            "unit_id": str(demo_uuid("unit", unit)),
            "floor_from": floors[0],
            "floor_to": floors[1],
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    if release:
        latest = (
            await SweepClaim.select(SweepClaim.id)
            .where(SweepClaim.sweep == sweep_id)
            .order_by(SweepClaim.claimed_at, ascending=False)
            .first()
        )
        claim_id = latest["id"]
        done = await client.post(
            f"/sweeps/{sweep_id}/claims/{claim_id}/release",
            data={"_csrf_token": csrf(client)["x-csrftoken"]},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
    return answer
