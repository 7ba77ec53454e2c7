"""The register of elderly residents and the daily round, through the pages, as a grid worker uses them."""

from __future__ import annotations

import re
import uuid

from server.audit.tables import AuditEntry
from server.demo.seed import STORY_RESIDENT_IDS
from server.places.tables import Resident
from server.register.tables import CheckIn, Contact, ElderProfile, FollowUp
from tests.conftest import browser, csrf, log_in

GUO = STORY_RESIDENT_IDS["郭德胜"]  # 郭爷爷, building 3: grid 5, 美兰菊
GUO_WORKER = "13800000005"
HOU = STORY_RESIDENT_IDS["侯秀兰"]  # 侯奶奶, alone in building 2: grid 2, 李雪敏
HOU_WORKER = "13800000002"


def round_rows(html: str) -> list[tuple[str, str]]:
    """(css classes, content) of each row of the round, in page order."""
    return re.findall(r'<li class="([^"]*)"[^>]*data-testid="round-row"[^>]*>(.*?)</li>', html, re.S)


def form(client, **fields) -> dict:
    return {"_csrf_token": csrf(client)["x-csrftoken"], **fields}


async def call(client, resident, outcome, **extra):
    page = await client.get("/round")
    day = re.search(r'name="day" value="([\d-]+)"', page.text).group(1)
    data = form(client, call_id=str(uuid.uuid4()), resident_id=str(resident), outcome=outcome, day=day, **extra)
    return await client.post("/round/calls", data=data, follow_redirects=False)


async def test_the_round_keeps_the_unreached_pinned(client):
    await log_in(client, GUO_WORKER)
    page = await client.get("/round")
    assert page.status_code == 200
    rows = round_rows(page.text)
    assert rows and "郭德胜" in page.text
    guo = next(content for _, content in rows if "郭德胜" in content)
    assert "行动不便" in guo  # why to call him early
    # What to talk about is one tap away, on his profile: the round's rows are one line of reasons each (issue 16).
    profile = (await client.get(f"/residents/{GUO}/profile")).text
    assert "下象棋" in profile and f'href="/residents/{GUO}/profile"' in guo
    phone = (await Resident.objects().get(Resident.id == GUO)).phone
    assert phone not in page.text and re.search(r"\d{3}\*{4}\d{4}", guo)  # masked in the list
    assert (await call(client, GUO, "ok")).status_code == 303
    rows = round_rows((await client.get("/round")).text)
    guo_at = next(n for n, (_, content) in enumerate(rows) if "郭德胜" in content)
    unreached = [n for n, (classes, _) in enumerate(rows) if "door-done" not in classes.split()]
    assert unreached and all(n < guo_at for n in unreached)  # reached today: below everyone still to reach


async def test_two_unanswered_calls_open_a_follow_up_card(client):
    await log_in(client, HOU_WORKER)
    assert (await call(client, HOU, "no_answer")).status_code == 303
    assert not await FollowUp.exists().where(FollowUp.resident == HOU)
    page = await client.get("/round")
    hou = next(content for _, content in round_rows(page.text) if "侯秀兰" in content)
    assert "1次未接" in hou and "再打" in hou  # when to call again
    assert (await call(client, HOU, "no_answer")).status_code == 303
    card = await FollowUp.objects().get(FollowUp.resident == HOU)
    assert card.status == "open"
    page = await client.get("/round")
    assert 'data-testid="follow-up"' in page.text and "侯秀兰" in page.text
    assert (await call(client, HOU, "no_answer")).status_code == 303  # a third miss: still one card
    assert await FollowUp.count().where(FollowUp.resident == HOU) == 1
    done = await client.post(
        f"/follow-ups/{card.id}/done", data=form(client, found="ok", outcome="楼长敲门，老人在睡觉")
    )
    assert done.status_code in (200, 303)
    assert (await FollowUp.objects().get(FollowUp.id == card.id)).status == "done"


async def test_needs_something_asks_what(client):
    await log_in(client, HOU_WORKER)
    before = await CheckIn.count()
    refused = await call(client, HOU, "needs")
    assert refused.status_code == 400 and "需要什么" in refused.text
    assert await CheckIn.count() == before
    assert (await call(client, HOU, "needs", need="降压药快吃完了")).status_code == 303
    stored = await CheckIn.objects().where(CheckIn.resident == HOU).order_by(CheckIn.seq, ascending=False).first()
    assert stored.need == "降压药快吃完了"


async def test_a_profile_read_is_audited_and_phones_show_whole_only_on_a_logged_tap(client):
    await log_in(client, GUO_WORKER)
    before = await AuditEntry.count().where((AuditEntry.action == "profile.view") & (AuditEntry.target_id == str(GUO)))
    page = await client.get(f"/residents/{GUO}/profile")
    assert page.status_code == 200 and "郭德胜" in page.text and "下象棋" in page.text
    after = await AuditEntry.count().where((AuditEntry.action == "profile.view") & (AuditEntry.target_id == str(GUO)))
    assert after == before + 1
    contact = await Contact.objects().where(Contact.profile == GUO).first()
    assert contact.phone not in page.text and contact.phone[:3] + "****" + contact.phone[-4:] in page.text
    shown = await client.get(f"/residents/{GUO}/phone?contact={contact.id}", headers={"HX-Request": "true"})
    assert shown.status_code == 200 and f"tel:{contact.phone}" in shown.text
    assert await AuditEntry.exists().where(
        (AuditEntry.action == "phone.view") & (AuditEntry.target_id == str(contact.id))
    )


async def test_volunteers_and_other_grids_cannot_read_a_profile_by_route_or_guessed_id(app):
    for phone, status in (("13900000001", 403), (HOU_WORKER, 404), ("13700000001", 403)):
        async with browser(app) as client:
            await log_in(client, phone)
            for path in (f"/residents/{GUO}/profile", f"/residents/{GUO}/phone", f"/residents/{uuid.uuid4()}/profile"):
                answer = await client.get(path)
                assert answer.status_code in (status, 404), (phone, path)
                assert "郭德胜" not in answer.text
            if phone == HOU_WORKER:
                assert "郭德胜" not in (await client.get("/round")).text  # another grid's round


async def test_bad_input_is_refused_in_place_and_changes_nothing(client):
    await log_in(client, GUO_WORKER)
    edit = await client.get(f"/residents/{GUO}/profile/edit")
    version = re.search(r'name="version" value="(\d+)"', edit.text).group(1)
    birth = (await Resident.objects().get(Resident.id == GUO)).birth_date
    contacts_before = await Contact.count().where(Contact.profile == GUO)
    for fields, where in (
        ({"birth_date": "1948-02-30"}, "error-birth_date"),
        ({"birth_date": "2090-01-01"}, "error-birth_date"),
        (
            {"contact_name": "郭小明", "contact_relation": "儿子", "contact_phone": "138abc12345"},
            "error-contacts.0.phone",
        ),
        ({"contact_name": "郭小明", "contact_relation": "儿子", "contact_phone": ""}, "error-contacts.0.phone"),
    ):
        data = form(client, version=version, living="alone", mobility="limited", in_round="1", **fields)
        answer = await client.post(f"/residents/{GUO}/profile", data=data, follow_redirects=False)
        assert answer.status_code == 400 and f'data-testid="{where}"' in answer.text, fields
        assert "郭小明" in answer.text or "contact_name" not in fields  # what was typed stays
    assert (await Resident.objects().get(Resident.id == GUO)).birth_date == birth
    assert await Contact.count().where(Contact.profile == GUO) == contacts_before
    assert (await ElderProfile.objects().get(ElderProfile.id == GUO)).version == int(version)


async def test_two_people_editing_one_profile_the_second_sees_a_conflict(app):
    async with browser(app) as first, browser(app) as second:
        await log_in(first, GUO_WORKER)
        await log_in(second, "13800000000")  # the admin
        pages = [await c.get(f"/residents/{GUO}/profile/edit") for c in (first, second)]
        versions = [re.search(r'name="version" value="(\d+)"', p.text).group(1) for p in pages]
        assert versions[0] == versions[1]
        base = {
            "living": "alone",
            "mobility": "limited",
            "in_round": "1",
            "contact_name": "郭小明",
            "contact_relation": "儿子",
            "contact_phone": "+86 139 0000 1111",
            "contact_lives": "太原",
        }
        saved = await first.post(
            f"/residents/{GUO}/profile",
            data=form(first, version=versions[0], interests="下象棋", **base),
            follow_redirects=False,
        )
        assert saved.status_code == 303
        late = await second.post(
            f"/residents/{GUO}/profile",
            data=form(second, version=versions[1], interests="听评书", **base),
            follow_redirects=False,
        )
        assert late.status_code == 409 and 'data-testid="conflict"' in late.text
        assert "听评书" in late.text  # the second's own changes are kept in the form
    profile = await ElderProfile.objects().get(ElderProfile.id == GUO)
    assert profile.interests == "下象棋"  # nothing overwritten silently
    contact = await Contact.objects().where(Contact.profile == GUO).first()
    assert contact.phone == "13900001111"


async def test_the_register_exports_masked_and_only_an_admin_gets_numbers_whole(app):
    import io

    from openpyxl import load_workbook

    async with browser(app) as client:
        await log_in(client, HOU_WORKER)
        answer = await client.get("/register/export.xlsx")
        assert answer.status_code == 200
        sheet = load_workbook(io.BytesIO(answer.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][0].startswith("老年人台账，导出时间 ")  # read back by the import (decision 0028)
        assert rows[1][0] == "姓名" and any(r[0] == "侯秀兰" for r in rows)
        assert not any(r[0] == "郭德胜" for r in rows)  # another grid's register
        hou = next(r for r in rows if r[0] == "侯秀兰")
        assert re.fullmatch(r"\d{3}\*{4}\d{4}", hou[5]) and hou[8] == "是"
        assert (await client.get("/register/export.xlsx?unmasked=true")).status_code == 403
    async with browser(app) as admin:
        await log_in(admin, "13800000000")
        sheet = load_workbook(io.BytesIO((await admin.get("/register/export.xlsx?unmasked=true")).content)).active
        hou = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "侯秀兰")
        whole = (await Resident.objects().get(Resident.id == HOU)).phone
        assert hou[5] == whole
        log = await admin.get("/audit?action=register.export_unmasked")
        assert log.status_code == 200 and "王磊" in log.text and "register.export_unmasked" in log.text
        masked = await admin.get("/audit?action=register.export&who=李雪敏")
        assert "李雪敏" in masked.text and "register.export_unmasked" not in masked.text.split("audit-entries", 1)[1]
    async with browser(app) as client:
        await log_in(client, HOU_WORKER)
        assert (await client.get("/audit")).status_code == 403


async def test_an_admin_hands_a_grid_over_with_its_round_and_task_cards(app):
    from server.accounts.tables import User

    cover = await User.objects().get(User.phone == HOU_WORKER)  # 李雪敏 covers grid 5 for 美兰菊
    grid_5 = (await User.objects().get(User.phone == GUO_WORKER)).grid
    called = {row["resident"] for row in await CheckIn.select(CheckIn.resident)}
    someone = next(  # a person of grid 5's round whom no other test has called
        row
        for row in await ElderProfile.select(ElderProfile.id, ElderProfile.resident.name.as_alias("name")).where(
            ElderProfile.in_round.eq(True) & (ElderProfile.resident.household.building.grid == grid_5)
        )
        if row["id"] not in called and row["id"] != GUO
    )
    async with browser(app) as sick:
        await log_in(sick, GUO_WORKER)
        await call(sick, someone["id"], "no_answer")
        await call(sick, someone["id"], "no_answer")  # two misses: a task card for grid 5
    assert await FollowUp.exists().where((FollowUp.resident == someone["id"]) & (FollowUp.status == "open"))
    async with browser(app) as admin:
        await log_in(admin, "13800000000")
        page = await admin.get(f"/grids/{grid_5}")
        assert 'data-testid="handover"' in page.text
        moved = await admin.post(
            f"/grids/{grid_5}/handover",
            data=form(admin, to_user=str(cover.id), confirm="yes"),
            follow_redirects=False,
        )
        assert moved.status_code == 303
        assert "李雪敏" in (await admin.get(f"/grids/{grid_5}")).text
    try:
        async with browser(app) as colleague, browser(app) as sick:
            await log_in(colleague, HOU_WORKER)
            await log_in(sick, GUO_WORKER)
            round_page = (await colleague.get("/round")).text
            assert "郭德胜" in round_page and "侯秀兰" in round_page  # both grids' rounds, in one list
            assert f"去看看：{someone['name']}" in round_page  # the task card came along
            assert (await colleague.get(f"/residents/{GUO}/profile")).status_code == 200
            assert (await sick.get(f"/residents/{GUO}/profile")).status_code == 404
            assert "郭德胜" not in (await sick.get("/round")).text
    finally:
        async with browser(app) as admin:  # handing it back to its own grid worker ends the cover
            await log_in(admin, "13800000000")
            guo_worker = await User.objects().get(User.phone == GUO_WORKER)
            await admin.post(f"/grids/{grid_5}/handover", data=form(admin, to_user=str(guo_worker.id), confirm="yes"))
    async with browser(app) as back:
        await log_in(back, GUO_WORKER)
        assert (await back.get(f"/residents/{GUO}/profile")).status_code == 200


async def test_the_register_export_writes_notes_as_text_never_as_formulas(app):
    """Issue 15, item 4: what someone typed (or a list imported) into a profile is shown in Excel, never run."""
    import io
    import zipfile

    from openpyxl import load_workbook

    hostile = {ElderProfile.notes: '=HYPERLINK("http://x.cn","点我")', ElderProfile.interests: "@SUM(1+1)"}
    before = await ElderProfile.select(ElderProfile.notes, ElderProfile.interests).where(ElderProfile.id == HOU).first()
    await ElderProfile.update(hostile).where(ElderProfile.id == HOU)
    try:
        async with browser(app) as client:
            await log_in(client, HOU_WORKER)
            answer = await client.get("/register/export.xlsx")
            assert answer.status_code == 200
    finally:
        await ElderProfile.update(
            {ElderProfile.notes: before["notes"], ElderProfile.interests: before["interests"]}
        ).where(ElderProfile.id == HOU)
    with zipfile.ZipFile(io.BytesIO(answer.content)) as book:
        assert "<f>" not in book.read("xl/worksheets/sheet1.xml").decode()
    sheet = load_workbook(io.BytesIO(answer.content)).active
    hou = next(row for row in sheet.iter_rows() if row[0].value == "侯秀兰")
    cells = {cell.value: cell for cell in hou}
    assert cells['=HYPERLINK("http://x.cn","点我")'].data_type == "s" and cells["@SUM(1+1)"].data_type == "s"


async def test_the_audit_log_says_in_words_what_was_read_and_whose_relative_it_was(app):
    """On main it showed raw codes (profile.view), and a relative's number read as "contact" with no name."""
    async with browser(app) as worker, browser(app) as admin:
        await log_in(worker, GUO_WORKER)
        await log_in(admin, "13800000000")
        contact = await Contact.objects().where(Contact.profile == GUO).first()
        shown = await worker.get(f"/residents/{GUO}/phone?contact={contact.id}", headers={"HX-Request": "true"})
        assert shown.status_code == 200
        page = (await admin.get("/audit?action=phone.view")).text
        rows = re.findall(r'data-testid="audit-what">([^<]*)<.*?class="row-sub">([^<]*)<', page, re.S)
        assert rows and all("phone.view" not in what and "查看完整电话号码" in what for what, _ in rows)
        assert any(f"郭德胜的{contact.relation} {contact.name}" in about for _, about in rows)
        options = re.findall(r'<option value="([a-z_.]+)"[^>]*>([^<]+)</option>', page)
        assert options and all(code != words.strip() for code, words in options)  # every code said in words


async def test_a_handover_has_a_confirm_step_is_reachable_from_the_people_page_and_says_it_is_for_a_while(app):
    """On main one tap moved the grid with nothing said first, the people page had no way to it, and the grid page
    afterwards named the colleague as if the grid were theirs."""
    from server.accounts.tables import GridCover, User

    sick = await User.objects().get(User.phone == GUO_WORKER)  # 美兰菊, grid 5
    cover = await User.objects().get(User.phone == HOU_WORKER)  # 李雪敏
    async with browser(app) as admin:
        await log_in(admin, "13800000000")
        people = (await admin.get("/people")).text
        assert f'href="/grids/{sick.grid}#handover"' in people
        asked = await admin.post(f"/grids/{sick.grid}/handover", data=form(admin, to_user=str(cover.id)))
        assert asked.status_code == 200 and 'data-testid="handover-confirm"' in asked.text
        assert "李雪敏" in asked.text and "每天打电话的老人" in asked.text and "美兰菊" in asked.text
        assert not await GridCover.exists().where(GridCover.grid == sick.grid)  # nothing moved yet
        try:
            done = await admin.post(
                f"/grids/{sick.grid}/handover",
                data=form(admin, to_user=str(cover.id), confirm="yes"),
                follow_redirects=False,
            )
            assert done.status_code == 303
            page = (await admin.get(f"/grids/{sick.grid}")).text
            note = re.search(r'data-testid="grid-cover">([^<]+)<', page)
            assert note and "临时代管" in note.group(1) and "美兰菊的网格" in note.group(1)
            assert 'data-testid="hand-back"' in page
            async with browser(app) as ill, browser(app) as covering:
                await log_in(ill, GUO_WORKER)
                await log_in(covering, HOU_WORKER)
                told = re.search(r'data-testid="handed-over"><p>([^<]+)<', (await ill.get("/")).text)
                assert told and "由李雪敏临时代管" in told.group(1)  # on main: 您还没有分配网格
                # Her round says the same (a stranger's walk of issue 16: it read 还有 0 人要联系, and its empty
                # list told her to add people to it).
                round_page = (await ill.get("/round")).text
                told = re.search(r'data-testid="handed-over"><p>([^<]+)<', round_page)
                assert told and "由李雪敏临时代管" in told.group(1)
                assert (
                    "还没有人需要每日电话" not in round_page
                    and "要联系" not in round_page
                    and not round_rows(round_page)
                )
                assert 'data-testid="register-files"' not in round_page  # nobody to import or export
                home = (await covering.get("/")).text
                assert "代管：第五网格" in home and "美兰菊的网格" in home
            back = await admin.post(f"/grids/{sick.grid}/handover", data=form(admin, to_user=str(sick.id)))
            assert "交还给美兰菊" in back.text
            await admin.post(f"/grids/{sick.grid}/handover", data=form(admin, to_user=str(sick.id), confirm="yes"))
            assert not await GridCover.exists().where(GridCover.grid == sick.grid)
            assert 'data-testid="grid-cover"' not in (await admin.get(f"/grids/{sick.grid}")).text
        finally:
            await GridCover.delete().where(GridCover.grid == sick.grid)
