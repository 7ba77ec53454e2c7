"""A list of names only (issue 16, defect 6): two people of one name are not merged as one person listed twice, and
the headline keeps the missing apart from those a row waiting for the worker's decision may be."""

from __future__ import annotations

import re
from collections import Counter

from server.demo.seed import GRID_IDS, demo_uuid
from server.places.tables import Resident
from tests.conftest import log_in
from tests.reconcile.test_routes import WORKER, form, hidden, upload


def names_only(names: list[str]) -> bytes:
    lines = ["序号,姓名"] + [f"{n},{name}" for n, name in enumerate(names, start=1)]
    return ("\r\n".join(lines) + "\r\n").encode()


async def test_a_list_of_names_only_merges_nobody_and_the_headline_keeps_missing_and_to_confirm_apart(client):
    scope = await Resident.select(Resident.name).where(Resident.household.building.grid == GRID_IDS[1])
    shared = {name for name, n in Counter(r["name"] for r in scope).items() if n > 1}  # two of a name in her grid
    building = await Resident.select(Resident.name).where(
        (Resident.household.building == demo_uuid("building", "2")) & (Resident.status == "living")
    )
    names = [r["name"] for r in building]
    missing = ["张国强", "李秀英"]
    assert not shared & set(missing)
    waiting = [name for name in names if name in shared]
    assert waiting, "the demo grid has people of one name: the test needs some"
    listed = [name for name in names if name not in missing]
    # Five people of the list have a namesake the register does not know: the list gives their names twice.
    unique = [name for name in listed if name not in shared][:5]
    listed += unique

    await log_in(client, WORKER)
    preview = await upload(client, names_only(listed), name="名单.csv")
    assert preview.status_code == 200, preview.text
    assert re.search(r'data-testid="pv-missing"><strong>2<', preview.text)
    assert re.search(rf'data-testid="pv-to-confirm"><strong>{len(waiting)}<', preview.text)
    saved = await client.post(
        "/reconcile/",
        data=form(client, draft=hidden(preview.text, "draft")[0], building_ids=hidden(preview.text, "building_ids")),
        files={"none": ("", b"", "application/octet-stream")},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    page = (await client.get(saved.headers["location"])).text
    headline = re.search(r'data-testid="headline-text">(.*?)</p>', page).group(1)
    assert "未到：张国强、李秀英 (2-1-301)" in headline, headline
    assert f"待确认 {len(waiting)} 人" in headline, headline
    # The five second rows of a name are for the worker to decide, not counted as the first person again.
    rows = re.findall(r'data-testid="ambiguous-row">(.*?)</form>', page, re.S)
    for name in unique:
        assert sum(name in row and "没有别的信息说明是同一个人" in row for row in rows) == 1, name
    # The list of results says the same as the result (it said 未到 2 + the waiting, counted as missing).
    index = (await client.get("/reconcile/")).text
    rec_id = saved.headers["location"].rstrip("/").rsplit("/", 1)[-1]
    row = re.search(rf'href="/reconcile/{rec_id}" data-testid="recent-row">(.*?)</a>', index, re.S).group(1)
    assert re.search(r'data-testid="recent-missing">未到 2 人<', row), row
    assert re.search(rf'data-testid="recent-to-confirm">待确认 {len(waiting)} 人<', row), row
