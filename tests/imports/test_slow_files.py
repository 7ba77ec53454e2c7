"""Files that cost a reader its time, not its memory, are refused before they do, or said as too slow (issue 15).

A stranger's walk: a 5 MB .xlsx holding one tag of 150 MB kept a reader busy 300 s (expat parses a token not closed
yet again at each chunk), a 334 KB JPEG of 20,000 empty scans took 104-128 s and was accepted, and a reader killed
on time was said as "memory over 350 MB" or "too many pixels". Two such files held both readers, and every other
upload was answered 503, for 300 s."""

from __future__ import annotations

import pytest

from server import offload
from server.errands.tables import ErrandPhoto
from server.guides import services as guide_services
from server.guides.pictures import MAX_SCANS, PictureError, jpeg_scans, prepare_picture
from server.guides.tables import GuideStep
from server.imports import draft as drafts
from server.imports import limits
from server.imports.reader import ImportProblem, read_table
from tests.conftest import browser, csrf, log_in
from tests.errands.test_routes import HOU_WORKER, card_id_of, new_card
from tests.guides.test_routes import make_guide
from tests.imports import children, hostile
from tests.imports.test_children import WORKER, import_file


def test_a_tag_past_what_expat_may_hold_is_refused_and_an_honest_long_cell_is_read():
    with pytest.raises(ImportProblem) as caught:
        read_table(hostile.long_tag(2), "list.xlsx")
    assert caught.value.code == "tag_too_long"
    # A cell of Excel's most characters, each written as the longest reference XML has (10 bytes): text is handed
    # over as it comes, never held whole, so even 328 KB of it is no token.
    cell = b"&#1114111;" * limits.MAX_CELL_CHARS
    header = '<row><c t="inlineStr"><is><t>备注</t></is></c></row>'.encode()
    sheet = hostile.HEAD + header + b'<row><c t="inlineStr"><is><t>' + cell + b"</t></is></c></row>" + hostile.TAIL
    assert read_table(hostile.with_part(hostile.SHEET, [sheet]), "list.xlsx").rows[0].cells == [
        "\U0010ffff" * limits.MAX_CELL_CHARS
    ]


async def test_a_long_tag_is_refused_in_words_in_both_languages(app):
    async with browser(app) as client:
        await log_in(client, WORKER)
        page = await import_file(client, hostile.long_tag(2))
        assert page.status_code == 400 and "比任何表格软件写的都长（超过 1 MB）" in page.text
        client.cookies.set("gc_lang", "en")
        page = await import_file(client, hostile.long_tag(2))
        assert page.status_code == 400 and "longer than any spreadsheet writes (at most 1 MB)" in page.text


def test_a_jpeg_of_more_scans_than_a_camera_writes_is_refused_before_it_is_decoded():
    assert jpeg_scans(hostile.jpeg(640, 480)) == 1
    assert jpeg_scans(hostile.jpeg(640, 480, progressive=True)) == 10  # libjpeg's own progressive script
    assert prepare_picture(hostile.jpeg_scans(MAX_SCANS))[1:] == (64, 64)
    with pytest.raises(PictureError) as caught:
        prepare_picture(hostile.jpeg_scans(MAX_SCANS + 1))
    assert caught.value.code == "too_many_scans"


async def test_a_guide_picture_of_too_many_scans_is_refused_in_place(client):
    guide = await make_guide(client)
    form = {"_csrf_token": client.cookies["gc_csrf"], "text": "看图"}
    picture = {"picture": ("scans.jpg", hostile.jpeg_scans(MAX_SCANS + 1), "image/jpeg")}
    answer = await client.post(f"/guides/{guide}/steps", data=form, files=picture)
    assert answer.status_code == 400 and "这张图片分了 100 层以上" in answer.text
    assert await GuideStep.count().where(GuideStep.guide == guide) == 0


async def test_an_errand_photo_of_too_many_scans_is_refused_for_the_form_and_the_outbox(app):
    async with browser(app) as worker:
        await log_in(worker, HOU_WORKER)
        card_id = card_id_of(await new_card(worker))
        url = f"/errands/{card_id}/photos"
        form = {"_csrf_token": csrf(worker)["x-csrftoken"], "role": "receipt"}
        photo = {"photo": ("scans.jpg", hostile.jpeg_scans(MAX_SCANS + 1), "image/jpeg")}
        page = await worker.post(url, data=form, files=photo)
        assert page.status_code == 400 and "这张图片分了 100 层以上" in page.text
        outbox = await worker.post(url, data=form, files=photo, headers={"Accept": "application/json"})
        assert outbox.status_code == 400 and outbox.json()["reason"] == "too_many_scans"
        assert await ErrandPhoto.count().where(ErrandPhoto.errand == card_id) == 0


async def test_a_reader_stopped_on_time_says_so(monkeypatch):
    monkeypatch.setattr(offload, "CHILD_SECONDS", 0.5)
    with pytest.raises(offload.ChildTimedOut):
        await offload.off_loop(children.stuck)  # never answers: stopped, whatever the machine's load


async def test_a_list_whose_reading_is_stopped_on_time_is_said_as_too_slow(app, monkeypatch):
    monkeypatch.setattr(offload, "CHILD_SECONDS", 0.5)
    monkeypatch.setattr(drafts, "read_packed", children.stuck)  # run in the child, by name
    async with browser(app) as client:
        await log_in(client, WORKER)
        page = await import_file(client, hostile.workbook())
        assert page.status_code == 400 and "超过了每个文件的时限（0.5 秒）" in page.text, page.text[-2000:]
        assert "内存" not in page.text  # it read "memory over 350 MB": a limit it had not passed
        client.cookies.set("gc_lang", "en")
        page = await import_file(client, hostile.workbook())
        assert "took longer than the 0.5 seconds the server gives one file" in page.text


async def test_a_picture_whose_reading_is_stopped_on_time_is_said_as_too_slow(app, monkeypatch):
    from server.errands import controllers as errands

    monkeypatch.setattr(offload, "CHILD_SECONDS", 0.5)
    monkeypatch.setattr(guide_services, "prepare_picture", children.stuck)
    monkeypatch.setattr(errands, "prepare_picture", children.stuck)
    async with browser(app) as client:
        guide = await make_guide(client)
        form = {"_csrf_token": client.cookies["gc_csrf"], "text": "看图"}
        picture = {"picture": ("a.jpg", hostile.jpeg(64, 64), "image/jpeg")}
        answer = await client.post(f"/guides/{guide}/steps", data=form, files=picture)
        assert answer.status_code == 400 and "读这张图片超过了 0.5 秒" in answer.text
        assert "像素" not in answer.text  # it read "too many pixels (50 MP)"
    async with browser(app) as worker:
        await log_in(worker, HOU_WORKER)
        card_id = card_id_of(await new_card(worker))
        outbox = await worker.post(
            f"/errands/{card_id}/photos",
            data={"_csrf_token": csrf(worker)["x-csrftoken"], "role": "receipt"},
            files={"photo": ("a.jpg", hostile.jpeg(64, 64), "image/jpeg")},
            headers={"Accept": "application/json"},
        )
        assert outbox.status_code == 400 and outbox.json()["reason"] == "too_slow"
        assert "0.5" in outbox.json()["message"]
