"""Reconciling lists against the register inside a scope, without HTTP: the story of 张大爷 and 李秀英 first."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from server.access.scope import Scope
from server.db import insert_in_chunks
from server.demo.seed import BUILDING_2_LIVING, COMMUNITY_ID, GRID_IDS, STORY_RESIDENT_IDS, demo_uuid
from server.imports import draft as drafts
from server.imports.reader import ImportProblem
from server.places.tables import Household, Resident
from server.reconcile import actions, person_sweeps, results, services
from server.reconcile.tables import ExpectedResident, ListRow, Reconciliation
from server.sweeps.tables import Sweep, SweepArea, SweepTick
from tests.reconcile.files import csv_list, list_rows, living_in_building, user, xlsx_list

TODAY = date(2022, 11, 24)
NOW = datetime(2022, 11, 24, 3, 30, tzinfo=UTC)
GRID2 = Scope(community_id=COMMUNITY_ID, grid_ids=(GRID_IDS[1],))
GRID1 = Scope(community_id=COMMUNITY_ID, grid_ids=(GRID_IDS[0],))
BUILDING_2 = demo_uuid("building", "2")
MISSING = {"张国强", "李秀英"}


async def story_list() -> list[list[str]]:
    people = await living_in_building(2)
    assert len(people) == BUILDING_2_LIVING
    return list_rows([p for p in people if p["name"] not in MISSING])


async def test_the_story_names_exactly_the_two_who_were_not_tested():
    rows = await story_list()
    assert len(rows) == 330
    draft = services.draft_from_upload(xlsx_list(rows), "11月24日核酸.xlsx")
    preview = await services.preview(GRID2, draft, {}, [BUILDING_2])
    assert preview.blocking == []
    assert (preview.expected, preview.matched, preview.missing) == (332, 330, 2)
    assert "header_not_first" in preview.notes and "merged" in preview.notes
    before = await Reconciliation.count()

    rec_id = await services.save(await user("13800000002"), GRID2, draft, {}, [BUILDING_2], NOW)

    assert await Reconciliation.count() == before + 1
    result = await results.get_result(GRID2, rec_id, TODAY)
    assert (result.summary.expected, result.summary.present, result.summary.missing) == (332, 330, 2)
    assert {p.name for p in result.missing} == MISSING
    assert {p.door for p in result.missing} == {"2-1-301"}
    assert {p.resident_id for p in result.missing} == {STORY_RESIDENT_IDS[n] for n in MISSING}
    assert [(b.name, b.expected, b.present) for b in result.buildings] == [("2号楼", 332, 330)]
    assert [(h.name, h.expected, h.present) for h in result.households] == [("2-1-301", 5, 3)]
    assert result.list_only == [] and result.ambiguous == []
    # Who is away or moved out was not expected, and is shown apart.
    assert all(p.status in ("away", "moved_out") for p in result.not_expected)


@pytest.mark.parametrize("encoding,bom", [("utf-8", False), ("utf-8", True), ("gbk", False)])
async def test_csv_in_each_encoding_reads_the_same(encoding, bom):
    rows = await story_list()
    draft = services.draft_from_upload(csv_list(rows, encoding, bom), "list.csv")
    preview = await services.preview(GRID2, draft, {}, [BUILDING_2])
    assert (preview.matched, preview.missing, preview.unknown, preview.ambiguous) == (330, 2, 0, 0)
    assert [c.field for c in preview.columns] == [None, "name", "sex", "id_number", "phone", "address"]


async def test_duplicates_and_blank_rows_are_reported_and_not_counted_twice():
    rows = await story_list()
    messy = rows[:10] + [[""] * 6] + rows[10:] + [rows[3], rows[4]]
    draft = services.draft_from_upload(csv_list(messy), "list.csv")
    preview = await services.preview(GRID2, draft, {}, [BUILDING_2])
    assert (preview.matched, preview.missing, preview.duplicates, preview.blank_rows) == (330, 2, 2, 1)
    duplicates = [p for p in preview.problems if p.kind == "duplicate"]
    assert [p.other for p in duplicates] == ["5", "6"]  # the header is line 1, rows[3] is line 5


async def test_the_preview_saves_nothing_and_another_grid_sees_nobody():
    rows = await story_list()
    draft = services.draft_from_upload(xlsx_list(rows), "list.xlsx")
    before = (await Reconciliation.count(), await ExpectedResident.count(), await ListRow.count())
    preview = await services.preview(GRID1, draft, {}, [])
    assert preview.blocking == ["nothing_matched"]  # grid 1's worker holds a list of grid 2: another area's list
    with pytest.raises(services.ReconcileError):
        await services.save(await user("13800000001"), GRID1, draft, {}, [], NOW)
    with pytest.raises(services.ReconcileError):
        await services.preview(GRID1, draft, {}, [BUILDING_2])  # a building outside the scope
    assert (await Reconciliation.count(), await ExpectedResident.count(), await ListRow.count()) == before


async def test_a_list_mostly_of_strangers_is_pointed_out():
    rows = (await story_list())[:3] + [["", f"陌生人{n}", "", "", "", f"9号楼1单元{n}01"] for n in range(1, 9)]
    preview = await services.preview(GRID2, services.draft_from_upload(csv_list(rows), "x.csv"), {}, [BUILDING_2])
    assert preview.blocking == [] and preview.mostly_unknown
    full = await services.preview(GRID2, services.draft_from_upload(csv_list(await story_list()), "x.csv"), {}, [])
    assert not full.mostly_unknown


async def test_unknown_headers_are_mapped_by_a_person():
    rows = await story_list()
    data = "\n".join(["人,门,号码"] + [f"{r[1]},{r[5]},{r[4]}" for r in rows]).encode()
    draft = services.draft_from_upload(data, "odd.csv")
    preview = await services.preview(GRID2, draft, {}, [BUILDING_2])
    assert preview.blocking == ["no_identifying_column"]
    preview = await services.preview(GRID2, draft, {0: "name", 1: "address", 2: "phone"}, [BUILDING_2])
    assert (preview.blocking, preview.matched, preview.missing) == ([], 330, 2)


async def test_people_on_the_list_only_ambiguous_rows_and_reasons():
    rows = await story_list()
    extra = [
        ["", "赵新来", "男", "", "13612345678", "2号楼1单元301"],  # not in the register
        ["", "张国强", "男", "", "", "3号楼1单元101"],  # his name at the wrong door: a person decides
    ]
    draft = services.draft_from_upload(csv_list(rows + extra), "list.csv")
    worker = await user("13800000002")
    rec_id = await services.save(worker, GRID2, draft, {}, [BUILDING_2], NOW)
    result = await results.get_result(GRID2, rec_id, TODAY)
    assert [r.name for r in result.list_only] == ["赵新来"]
    assert [(r.name, r.reason) for r in result.ambiguous] == [("张国强", "door_differs")]
    assert [c.resident_id for c in result.ambiguous[0].candidates] == [STORY_RESIDENT_IDS["张国强"]]

    # The grid worker decides it is him: he is no longer missing.
    assert await actions.decide(worker, GRID2, rec_id, result.ambiguous[0].id, STORY_RESIDENT_IDS["张国强"])
    # She calls 李秀英: busy with the grandson, will come.
    assert await actions.record_reason(worker, GRID2, rec_id, STORY_RESIDENT_IDS["李秀英"], "will_come")
    # 赵新来 lives at 2-1-301 now: added to the register, present on this list.
    added = await actions.add_to_register(worker, GRID2, rec_id, result.list_only[0].id, "２栋１单元３０１", "M")
    try:
        result = await results.get_result(GRID2, rec_id, TODAY)
        assert [(p.name, p.reason) for p in result.missing] == [("李秀英", "will_come")]
        assert (result.summary.expected, result.summary.present) == (333, 332)
        assert [r.decision for r in result.list_only] == ["added"]
        new = await Resident.select().where(Resident.id == added).first()
        assert (new["name"], new["phone"], new["status"], new["household"]) == (
            "赵新来",
            "13612345678",
            "living",
            demo_uuid("household", "2-1-301"),
        )
        # Another grid's worker can neither see nor change it.
        assert await results.get_result(GRID1, rec_id, TODAY) is None
        other = await user("13800000001")
        assert not await actions.record_reason(other, GRID1, rec_id, STORY_RESIDENT_IDS["李秀英"], "")
    finally:  # the seeded register is shared by every test: building 2 keeps its 332
        await Reconciliation.delete().where(Reconciliation.id == rec_id)
        await Resident.delete().where(Resident.id == added)


async def test_a_birth_date_on_the_list_settles_two_of_a_name_never_a_guess():
    """Decision 0006: two 李秀英 in building 2; the list's 出生日期 says which one, and only when the register
    has a birth date for each of them."""
    household = await Household.select(Household.id).where(Household.door == "2-2-502").first()
    other = uuid.uuid4()
    await Resident.insert(
        Resident(
            id=other,
            community=COMMUNITY_ID,
            household=household["id"],
            name="李秀英",
            sex="F",
            birth_date=date(1980, 5, 5),
            created_at=NOW,
            updated_at=NOW,
        )
    )
    try:
        for born, found in (("1951-10-08", STORY_RESIDENT_IDS["李秀英"]), ("1980年5月", other), ("", None)):
            data = f"姓名,楼号,出生日期\n李 秀英,2号楼,{born}\n".encode()
            ev = await services.evaluate(GRID2, services.draft_from_upload(data, "l.csv"), {}, [BUILDING_2])
            resident = ev.residents[0]
            assert (ev.register[resident].id if resident >= 0 else None) == found, born
            if found is None:
                assert (ev.others[0].status, ev.others[0].reason) == ("ambiguous", "same_name")
        # The register's own birth date missing for one of them: nothing to go by.
        await Resident.update({Resident.birth_date: None}).where(Resident.id == other)
        data = "姓名,楼号,出生日期\n李秀英,2,1951-10-08\n".encode()
        ev = await services.evaluate(GRID2, services.draft_from_upload(data, "l.csv"), {}, [BUILDING_2])
        assert ev.residents == [-1] and ev.others[0].status == "ambiguous"
    finally:
        await Resident.delete().where(Resident.id == other)


async def test_a_phone_beside_a_contact_is_the_persons_own_unless_the_header_says_otherwise():
    """联系人 | 联系电话 on a test point's list is the person's own number (a wrong one makes the row a person's to
    decide); 紧急联系人电话, or 联系电话 after 紧急联系人, is someone else's and is not held against the person."""
    people = {p["name"]: p for p in await living_in_building(2)}
    zhang = people["张国强"]
    for header, expected in (
        ("姓名,住址,联系人,联系电话", ("ambiguous", "details_differ")),
        ("姓名,住址,联系人电话", ("ambiguous", "details_differ")),
        ("姓名,住址,紧急联系人,联系电话", None),
        ("姓名,住址,紧急联系人电话", None),
    ):
        cells = [zhang["name"], zhang["door"]] + (["张伟"] if header.count(",") == 3 else []) + ["13900000000"]
        data = f"{header}\n{','.join(cells)}\n".encode()
        ev = await services.evaluate(GRID2, services.draft_from_upload(data, "l.csv"), {}, [BUILDING_2])
        if expected is None:
            assert ev.register[ev.residents[0]].id == zhang["id"], header
        else:
            assert (ev.others[0].status, ev.others[0].reason) == expected, header


async def test_a_draft_comes_back_whole_or_is_refused():
    draft = services.draft_from_upload(csv_list([["1", "张三", "男", "", "", "2-1-301"]]), "a.csv")
    assert drafts.decode(drafts.encode(draft)) == draft
    with pytest.raises(ImportProblem):
        drafts.decode("not a draft")


async def test_a_person_sweep_is_reconciled_with_no_file():
    """Item 5: the outcomes of a sweep of each person give the same result as a list would."""
    worker = await user("13800000002")
    sweep = Sweep(
        id=uuid.uuid4(),
        community=COMMUNITY_ID,
        name="11月24日逐人核酸",
        day=TODAY,
        subject="persons",
        created_by=worker.id,
        created_at=NOW,
    )
    await sweep.save()
    await SweepArea.insert(SweepArea(sweep=sweep.id, building=BUILDING_2))
    people = await Resident.select(Resident.id, Resident.name, Resident.household).where(
        (Resident.household.building == BUILDING_2) & (Resident.status == "living")
    )
    outcome = {"张国强": "not_tested", "李秀英": "away"}
    ticks = [
        SweepTick(
            id=uuid.uuid4(),
            content_hash="x",
            sweep=sweep.id,
            household=p["household"],
            resident=p["id"],
            outcome=outcome.get(p["name"], "tested"),
            volunteer=worker.id,
            device_time=NOW,
            received_at=NOW,
        )
        for p in people
    ]
    await insert_in_chunks(SweepTick, ticks)
    try:
        assert sweep.id in [s["id"] for s in await person_sweeps.person_sweeps(GRID2)]
        assert sweep.id not in [s["id"] for s in await person_sweeps.person_sweeps(GRID1)]
        with pytest.raises(services.ReconcileError):
            await person_sweeps.from_sweep(await user("13800000001"), GRID1, sweep.id, NOW)  # not grid 1's buildings
        rec_id = await person_sweeps.from_sweep(worker, GRID2, sweep.id, NOW)
        result = await results.get_result(GRID2, rec_id, TODAY)
        assert (result.summary.source, result.summary.expected, result.summary.present) == ("sweep", 332, 330)
        assert {(p.name, p.reason) for p in result.missing} == {("张国强", ""), ("李秀英", "away")}
    finally:
        await Reconciliation.delete().where(Reconciliation.sweep == sweep.id)
        await SweepTick.delete().where(SweepTick.sweep == sweep.id)
        await Sweep.delete().where(Sweep.id == sweep.id)


async def test_the_revisit_of_the_missing_doors_is_reconciled_in_turn():
    """The list missed two; the revisit sweep asks each person at 2-1-301; its outcomes are reconciled."""
    worker = await user("13800000002")
    draft = services.draft_from_upload(xlsx_list(await story_list()), "list.xlsx")
    rec_id = await services.save(worker, GRID2, draft, {}, [BUILDING_2], NOW)
    sweep_id = await actions.revisit_sweep(worker, GRID2, rec_id, "复查", TODAY)
    door = demo_uuid("household", "2-1-301")
    assert await SweepArea.select(SweepArea.household).where(SweepArea.sweep == sweep_id) == [{"household": door}]
    people = await Resident.select(Resident.id, Resident.name).where(
        (Resident.household == door) & (Resident.status == "living")
    )
    await insert_in_chunks(
        SweepTick,
        [
            SweepTick(
                id=uuid.uuid4(),
                content_hash="x",
                sweep=sweep_id,
                household=door,
                resident=p["id"],
                outcome="away" if p["name"] == "李秀英" else "tested",
                volunteer=worker.id,
                device_time=NOW,
                received_at=NOW,
            )
            for p in people
        ],
    )
    again = None
    try:
        again = await person_sweeps.from_sweep(worker, GRID2, sweep_id, NOW)
        result = await results.get_result(GRID2, again, TODAY)
        assert (result.summary.expected, result.summary.present) == (5, 4)  # only the door swept is expected
        assert [(p.name, p.reason) for p in result.missing] == [("李秀英", "away")]
    finally:
        await Reconciliation.delete().where(Reconciliation.id.is_in([rec_id, again]))
        await SweepTick.delete().where(SweepTick.sweep == sweep_id)
        await Sweep.delete().where(Sweep.id == sweep_id)
