"""Writing guides: scope, bad input that changes nothing, pictures, links, and the font subset made on write."""

from __future__ import annotations

import io
import uuid

import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from server.access.scope import Scope
from server.demo.seed import STORY_RESIDENT_IDS
from server.guides import fonts, services
from server.guides.schemas import GoneLink, GuideCreate, GuideUpdate, ReaderGuide, StepInput
from server.guides.services import GuideError
from server.guides.tables import Guide, GuideFont, GuideLink, GuideStep
from tests.guides.helpers import ADMIN, FONT, HAO_WORKER, OTHER_WORKER, scope, user
from tests.guides.pictures import huge_png, png_bytes

HAO = STORY_RESIDENT_IDS["郝振华"]


async def personal_guide(title: str = "郝大爷买菜") -> uuid.UUID:
    return await services.create_guide(
        await user(HAO_WORKER), await scope(HAO_WORKER), GuideCreate(title=title, resident_id=HAO), FONT
    )


async def snapshot(guide_id: uuid.UUID) -> tuple:
    guide = await Guide.select(Guide.title, Guide.font_key).where(Guide.id == guide_id).first()
    steps = await GuideStep.select(GuideStep.text, GuideStep.tip, GuideStep.position, GuideStep.picture_width).where(
        GuideStep.guide == guide_id
    )
    return guide, sorted(steps, key=lambda s: s["position"])


async def test_a_new_guide_has_a_link_and_a_font_subset_of_its_characters():
    guide_id = await personal_guide("郝大爷：铁北生鲜")
    detail = await services.get_guide(await scope(HAO_WORKER), guide_id)
    assert detail.token and len(detail.token) >= 43  # 256 random bits, url-safe
    assert detail.contact_name == "陈瑞云" and detail.contact_phone == HAO_WORKER

    await services.add_step(await scope(HAO_WORKER), guide_id, StepInput(text="点“鲜”字", tip="慢慢来"), None, FONT)
    detail = await services.get_guide(await scope(HAO_WORKER), guide_id)
    woff2 = await services.font_subset(detail.font_key)
    assert 0 < len(woff2) <= fonts.MAX_SUBSET_BYTES
    covered = set(TTFont(io.BytesIO(woff2)).getBestCmap())
    for char in "郝大爷：铁北生鲜点“”字慢慢来陈瑞云第步共下一上读给我听":
        assert ord(char) in covered, char


async def test_an_empty_step_is_refused_and_nothing_changes():
    guide_id = await personal_guide()
    before = await snapshot(guide_id)
    with pytest.raises(GuideError) as refused:
        await services.add_step(await scope(HAO_WORKER), guide_id, StepInput(text="   ", tip="提示"), None, FONT)
    assert refused.value.code == "step_empty"
    assert await snapshot(guide_id) == before


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (b"%PDF-1.4 not a picture at all", "not_a_picture"),
        (png_bytes()[:200], "not_a_picture"),  # a picture cut short
        (huge_png(), "too_many_pixels"),
        (b"\0" * (10 * 1024 * 1024 + 1), "picture_too_large"),
    ],
    ids=["pdf", "truncated", "64-megapixels", "over-10-MB"],
)
async def test_a_bad_picture_is_refused_and_nothing_changes(upload, code):
    guide_id = await personal_guide()
    await services.add_step(await scope(HAO_WORKER), guide_id, StepInput(text="第一步"), None, FONT)
    before = await snapshot(guide_id)
    with pytest.raises(GuideError) as refused:
        await services.add_step(await scope(HAO_WORKER), guide_id, StepInput(text="第二步"), upload, FONT)
    assert refused.value.code == code
    assert await snapshot(guide_id) == before


async def test_a_picture_is_resized_to_a_small_jpeg():
    guide_id = await personal_guide()
    upload = png_bytes(1080, 2340)
    step_id = await services.add_step(await scope(HAO_WORKER), guide_id, StepInput(text="截图"), upload, FONT)
    stored = await services.writer_picture(guide_id, step_id)
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and image.size == (591, 1280)
    assert len(stored) < len(upload)


async def test_a_personal_guide_is_seen_only_by_those_who_may_see_its_resident():
    guide_id = await personal_guide()
    assert await services.get_guide(await scope(HAO_WORKER), guide_id) is not None
    assert await services.get_guide(await scope(ADMIN), guide_id) is not None
    assert await services.get_guide(await scope(OTHER_WORKER), guide_id) is None
    assert guide_id not in {g.id for g in await services.list_guides(await scope(OTHER_WORKER))}
    other_community = Scope(community_id=uuid.uuid4(), grid_ids=None)
    assert await services.get_guide(other_community, guide_id) is None
    with pytest.raises(GuideError):
        await services.add_step(await scope(OTHER_WORKER), guide_id, StepInput(text="偷偷改"), None, FONT)
    with pytest.raises(GuideError):
        await services.withdraw_link(await scope(OTHER_WORKER), guide_id)
    # Nor may a worker write a personal guide for someone outside their grid.
    with pytest.raises(GuideError):
        await services.create_guide(
            await user(OTHER_WORKER), await scope(OTHER_WORKER), GuideCreate(title="x", resident_id=HAO), FONT
        )


async def test_shared_guides_are_edited_by_every_writer_of_the_community():
    shared = await services.create_guide(
        await user(OTHER_WORKER), await scope(OTHER_WORKER), GuideCreate(title="共用"), FONT
    )
    await services.add_step(await scope(HAO_WORKER), shared, StepInput(text="大家都能改"), None, FONT)
    assert shared in {g.id for g in await services.list_guides(await scope(HAO_WORKER))}


async def test_a_withdrawn_link_says_who_to_call_and_a_new_link_works():
    guide_id = await personal_guide()
    old = (await services.get_guide(await scope(HAO_WORKER), guide_id)).token
    assert isinstance(await services.read_guide(old), ReaderGuide)

    await services.withdraw_link(await scope(HAO_WORKER), guide_id)
    gone = await services.read_guide(old)
    assert gone == GoneLink(contact_name="陈瑞云", contact_phone=HAO_WORKER)
    assert (await services.get_guide(await scope(HAO_WORKER), guide_id)).token is None

    new = await services.new_link(await scope(HAO_WORKER), guide_id)
    assert new != old and isinstance(await services.read_guide(new), ReaderGuide)
    assert isinstance(await services.read_guide(old), GoneLink)
    assert await services.read_guide("no-such-token") is None
    assert await services.read_guide("x" * 500) is None


async def test_replacing_the_link_withdraws_the_old_one():
    guide_id = await personal_guide()
    old = (await services.get_guide(await scope(HAO_WORKER), guide_id)).token
    await services.new_link(await scope(HAO_WORKER), guide_id)
    assert isinstance(await services.read_guide(old), GoneLink)
    assert await GuideLink.count().where((GuideLink.guide == guide_id) & GuideLink.withdrawn_at.is_null()) == 1


async def test_steps_move_and_are_renumbered_after_a_delete():
    guide_id = await personal_guide()
    ids = [
        await services.add_step(await scope(HAO_WORKER), guide_id, StepInput(text=text), None, FONT)
        for text in ("一", "二", "三")
    ]
    await services.move_step(await scope(HAO_WORKER), guide_id, ids[2], "up")
    assert [s.text for s in (await services.get_guide(await scope(HAO_WORKER), guide_id)).steps] == ["一", "三", "二"]
    await services.move_step(await scope(HAO_WORKER), guide_id, ids[0], "up")  # already first: nothing moves
    await services.delete_step(await scope(HAO_WORKER), guide_id, ids[2], FONT)
    steps = (await services.get_guide(await scope(HAO_WORKER), guide_id)).steps
    assert [(s.position, s.text) for s in steps] == [(1, "一"), (2, "二")]  # "二" was third


async def test_a_guide_too_long_for_its_font_budget_is_refused_whole(monkeypatch):
    guide_id = await personal_guide()
    await services.add_step(await scope(HAO_WORKER), guide_id, StepInput(text="第一步"), None, FONT)
    before = await snapshot(guide_id)
    fonts_before = await GuideFont.count()
    monkeypatch.setattr(fonts, "MAX_SUBSET_BYTES", 1000)
    with pytest.raises(GuideError) as refused:
        await services.add_step(await scope(HAO_WORKER), guide_id, StepInput(text="龘靐齉麤爩驫鱻"), png_bytes(), FONT)
    assert refused.value.code == "too_many_characters"
    assert await snapshot(guide_id) == before
    assert await GuideFont.count() == fonts_before


async def test_the_longest_possible_steps_fit_the_font_budget():
    """A guide of 30 steps of 120 different, dense characters still may not pass 100 KB: it is refused instead."""
    dense = "".join(chr(c) for c in range(0x9F00, 0x9F00 + 3600))  # rarely used, many strokes
    guide_id = await personal_guide()
    refused = None
    for n in range(30):
        try:
            await services.add_step(
                await scope(HAO_WORKER), guide_id, StepInput(text=dense[n * 120 : (n + 1) * 120]), None, FONT
            )
        except GuideError as error:
            refused = error.code
            break
    assert refused == "too_many_characters"
    key = (await Guide.select(Guide.font_key).where(Guide.id == guide_id).first())["font_key"]
    assert len(await services.font_subset(key)) <= fonts.MAX_SUBSET_BYTES


async def test_updating_the_contact_changes_the_font_subset():
    guide_id = await personal_guide()
    key = (await services.get_guide(await scope(HAO_WORKER), guide_id)).font_key
    update = GuideUpdate(title="郝大爷买菜", lang="zh_CN", contact_name="鑫鑫", contact_phone="13800000003")
    await services.update_guide(await scope(HAO_WORKER), guide_id, update, FONT)
    detail = await services.get_guide(await scope(HAO_WORKER), guide_id)
    assert detail.contact_name == "鑫鑫" and detail.font_key != key
    assert ord("鑫") in TTFont(io.BytesIO(await services.font_subset(detail.font_key))).getBestCmap()
