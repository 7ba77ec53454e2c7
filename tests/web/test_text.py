"""Invisible format characters (a bidi override U+202E scrambled the coordinator's page) are removed wherever text
comes in, and pages isolate each name a person gave (issue 15 review; server/text.py)."""

from __future__ import annotations

import sys
import unicodedata
import uuid

from server.demo.seed import demo_uuid
from server.sweeps.tables import SweepTick
from server.text import FORMAT_CHARACTERS, KEPT, clean_name, clean_text
from tests.conftest import browser, csrf, log_in
from tests.sweeps.helpers import claim
from tests.sweeps.test_routes import make_sweep
from tests.sweeps.test_team import join, make_code

RLO, LRI, PDI, ZWJ, ZWNJ = "\u202e", "\u2066", "\u2069", "\u200d", "\u200c"


def test_the_table_is_unicodes_format_characters_but_the_joiners():
    expected = {chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"} - KEPT
    found = {chr(c) for c in range(sys.maxunicode + 1) if FORMAT_CHARACTERS.match(chr(c))}
    assert found == expected and KEPT == {ZWJ, ZWNJ}


def test_names_and_notes_lose_format_characters_and_keep_the_joiners():
    assert clean_name(f" 周志愿{RLO}  1380 ") == "周志愿 1380"
    assert clean_text(f"{LRI}狗\u200b凶{PDI}\ufeff") == "狗凶"
    assert clean_text(f"👨{ZWJ}👩 می{ZWNJ}خواهم") == f"👨{ZWJ}👩 می{ZWNJ}خواهم"  # emoji, Persian: drawn with them


async def test_a_name_with_a_bidi_override_is_stored_without_it_and_shown_isolated(app):
    async with browser(app) as worker, browser(app) as phone:
        sweep_id = await make_sweep(worker, "反转")
        code = await make_code(worker, sweep_id)
        assert (await join(phone, code, name=f"周志愿{RLO}", phone="15800000001")).status_code == 303
        assert (await phone.get("/api/v1/me")).json()["name"] == "周志愿"
        page = (await worker.get(f"/sweeps/{sweep_id}/invite")).text
        assert "<bdi>周志愿</bdi>" in page and RLO not in page

        # A note sent by the phone's sync, the character escaped in JSON or not: stored without it.
        await claim(phone, sweep_id, unit="2-1", floors=(6, 6))
        for n, body in enumerate((f"狗{RLO}凶", f"门铃{LRI}坏了{PDI}")):
            write = {
                "id": str(uuid.uuid4()),
                "kind": "sweep.tick",
                "device_time": "2022-11-24T09:00:00+08:00",
                "payload": {
                    "sweep_id": sweep_id,
                    "household_id": str(demo_uuid("household", f"2-1-60{n + 1}")),
                    "outcome": "nobody_home",
                    "note": body,
                },
            }
            if n:  # as a script would send it: escaped
                import json

                raw = json.dumps({"writes": [write]}, ensure_ascii=True).encode()
                headers = csrf(phone) | {"content-type": "application/json"}
                answer = await phone.post("/api/v1/sync", content=raw, headers=headers)
            else:
                answer = await phone.post("/api/v1/sync", json={"writes": [write]}, headers=csrf(phone))
            assert answer.json()["answers"][0]["status"] == "accepted", answer.text
            stored = await SweepTick.select(SweepTick.note).where(SweepTick.id == uuid.UUID(write["id"])).first()
            assert stored["note"] == body.replace(RLO, "").replace(LRI, "").replace(PDI, "")


async def test_a_form_field_is_cleaned_before_its_handler_reads_it(client):
    """The people page's form (URL-encoded, CSRF field read first): the name is stored without the override."""
    from server.accounts.tables import User

    await log_in(client, "13800000000")
    answer = await client.post(
        "/people",
        data={
            "_csrf_token": csrf(client)["x-csrftoken"],
            "name": f"{RLO}反转的名字",
            "phone": "13800000091",
            "role": "admin",
        },
    )
    assert answer.status_code == 200, answer.text
    made = await User.objects().get(User.phone == "13800000091")
    try:
        assert made.name == "反转的名字"
        assert "<bdi>反转的名字</bdi>" in answer.text
    finally:
        from server.staff.provisioning import deactivate_user

        await deactivate_user("13800000091")
