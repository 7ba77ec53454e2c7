"""A refused upload or name says the limit it passed, not another one (a stranger's third review of issue 15): an
.xlsx of 5,000 parts was told "256 MB", a 20 MB line of one cell "100 columns", a 268-megapixel WebP "not a photo",
a progressive JPEG of 49 megapixels "at most 50 million", a name of 40 characters "write your name"."""

from __future__ import annotations

import io
import uuid

from PIL import Image

from server.accounts.tables import User
from tests.conftest import browser, csrf, log_in
from tests.errands.test_routes import HOU_WORKER, card_id_of, new_card
from tests.guides.test_routes import make_guide
from tests.imports import hostile
from tests.sweeps.test_routes import make_sweep
from tests.sweeps.test_team import join, make_code

WORKER = "13800000002"
ADMIN = "13800000000"


def huge_webp(side: int = 16_383) -> bytes:
    """A small lossy WebP whose header says side x side (268 megapixels at 16,383): Pillow's decoder makes its canvas
    from the header when the file is opened."""
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (30, 90, 200)).save(out, "WEBP")
    data = bytearray(out.getvalue())
    assert data[12:16] == b"VP8 "
    data[26:28] = side.to_bytes(2, "little")
    data[28:30] = side.to_bytes(2, "little")
    return bytes(data)


async def refusal_of(client, path: str, name: str, data: bytes) -> str:
    answer = await client.post(path, data={"_csrf_token": client.cookies["gc_csrf"]}, files={"file": (name, data)})
    assert answer.status_code == 400, answer.text[-2000:]
    return answer.text


async def test_lists_are_told_the_limit_they_passed(client):
    parts = hostile.with_part("xl/media/extra.xml", [b"x"], extra={f"xl/media/p{n}.xml": b"x" for n in range(1_100)})
    one_line = "姓名,".encode() + b"a" * 1_100_000
    commas = "姓名,住址\n".encode() + b"," * 1_100_000
    for phone, path in ((WORKER, "/reconcile/preview"), (ADMIN, "/register/import/preview")):
        await log_in(client, phone)
        page = await refusal_of(client, path, "多页.xlsx", parts)
        assert "部件太多（最多 1,000 个" in page and "256 MB" not in page
        page = await refusal_of(client, path, "一行.csv", one_line)
        assert "有一行太长（最多 1,000,000 个字）" in page and "100 列" not in page
        page = await refusal_of(client, path, "逗号.csv", commas)
        assert "最多 100 列" in page  # a line of a million cells is too wide, as it was told
        client.cookies.set("gc_lang", "en")
        page = await refusal_of(client, path, "parts.xlsx", parts)
        assert "too many parts (at most 1,000" in page
        page = await refusal_of(client, path, "line.csv", one_line)
        assert "A line of the file is too long (at most 1,000,000 characters)" in page
        client.cookies.set("gc_lang", "zh_CN")


async def test_pictures_are_told_their_size_and_the_limit_of_their_kind(app):
    progressive = hostile.jpeg(5_500, 4_000, progressive=True)  # 22 megapixels: decoded whole, held to 20
    async with browser(app) as worker, browser(app) as writer:
        await log_in(worker, HOU_WORKER)
        card_id = card_id_of(await new_card(worker))
        guide = await make_guide(writer)
        for name, data, said in (
            ("big.webp", huge_webp(), "有 268 百万像素"),
            ("progressive.jpg", progressive, "有 22 百万像素"),
        ):
            answer = await worker.post(
                f"/errands/{card_id}/photos",
                data={"_csrf_token": csrf(worker)["x-csrftoken"], "role": "delivery", "photo_id": str(uuid.uuid4())},
                files={"photo": (name, data, "image/jpeg")},
            )
            assert answer.status_code == 400, name
            for page in (
                answer.text,
                (
                    await writer.post(
                        f"/guides/{guide}/steps",
                        data={"_csrf_token": writer.cookies["gc_csrf"], "text": "看图"},
                        files={"picture": (name, data, "image/webp")},
                    )
                ).text,
            ):
                assert said in page and "渐进式 JPEG 图片最多 20 百万像素" in page, name
                assert "不是照片" not in page and "不是图片" not in page and "最多 50 百万像素" not in page
        worker.cookies.set("gc_lang", "en")
        answer = await worker.post(
            f"/errands/{card_id}/photos",
            data={"_csrf_token": csrf(worker)["x-csrftoken"], "role": "delivery", "photo_id": str(uuid.uuid4())},
            files={"photo": ("big.webp", huge_webp(), "image/webp")},
            headers={"accept": "application/json"},
        )
        message = answer.json()["message"]
        assert "268 million pixels, at most 20 million for a PNG, WebP, GIF or progressive JPEG" in message


async def test_a_name_too_long_is_told_so(app):
    long_name = "阿卜杜热合曼" * 6  # 36 characters
    async with browser(app) as worker, browser(app) as phone:
        sweep_id = await make_sweep(worker, "名字太长")
        code = await make_code(worker, sweep_id)
        answer = await join(phone, code, name=long_name, phone="15800000074")
        assert answer.status_code == 400
        assert "名字太长了：最多 32 个字" in answer.text and "请填写姓名" not in answer.text
        assert not await User.exists().where(User.guest_phone == "15800000074")
        phone.cookies.set("gc_lang", "en")
        answer = await join(phone, code, name=long_name, phone="15800000074")
        assert "Your name is too long: at most 32 characters." in answer.text
    async with browser(app) as admin:
        await log_in(admin, ADMIN)
        form = {"_csrf_token": csrf(admin)["x-csrftoken"], "phone": "13800000093", "role": "admin"}
        answer = await admin.post("/people", data={**form, "name": long_name})
        assert "名字太长了：最多 32 个字" in answer.text and "请填姓名" not in answer.text
        assert not await User.exists().where(User.phone == "13800000093")


async def multipart_refusal(client, path: str, parts: list[tuple[bytes, bytes]]) -> str:
    """A form sent as bytes: what a browser's form cannot send (two files under one name, a name of 5,000 letters)."""
    boundary = b"gridcare-words"
    token = (b'Content-Disposition: form-data; name="_csrf_token"', client.cookies["gc_csrf"].encode())
    body = b"".join(b"--" + boundary + b"\r\n" + head + b"\r\n\r\n" + data + b"\r\n" for head, data in [token, *parts])
    answer = await client.post(
        path,
        content=body + b"--" + boundary + b"--\r\n",
        headers={"content-type": "multipart/form-data; boundary=" + boundary.decode()},
    )
    assert answer.status_code == 400, answer.text[-2000:]
    return answer.text


def _file(name: bytes, data: bytes) -> tuple[bytes, bytes]:
    return b'Content-Disposition: form-data; name="file"; filename="' + name + b'"', data


async def test_two_files_and_a_file_name_too_long_are_told_so(client):
    """A stranger's third walk of issue 15: two files were told "the file is empty", a name of 5,000 characters
    "too many fields (at most 2,000)"."""
    listed = hostile.workbook()
    for phone, path in ((WORKER, "/reconcile/preview"), (ADMIN, "/register/import/preview")):
        await log_in(client, phone)
        page = await multipart_refusal(client, path, [_file(b"a.xlsx", listed), _file(b"b.xlsx", listed)])
        assert "一次只发一个文件" in page and "文件是空的" not in page
        page = await multipart_refusal(client, path, [_file(b"a" * 5_000 + b".xlsx", listed)])
        assert "文件名太长" in page and "栏目太多" not in page
        page = await multipart_refusal(client, path, [_file("名".encode() * 1_500 + b".xlsx", listed)])
        assert "文件名太长" in page


async def test_a_cell_in_no_row_is_told_the_file_is_damaged(client):
    """A0, a negative row or a row numbered 0 were told "the list is too long"."""
    await log_in(client, WORKER)
    zero_row = hostile.with_part(
        hostile.SHEET, [hostile.HEAD, b'<row r="0"><c t="inlineStr"><is><t>x</t></is></c></row>', hostile.TAIL]
    )
    for name, data in (
        ("A0.xlsx", hostile.far_cell("A0")),
        ("B-3.xlsx", hostile.far_cell("B-3")),
        ("r0.xlsx", zero_row),
    ):
        page = await refusal_of(client, "/reconcile/preview", name, data)
        assert "文件坏了" in page and "名单太长" not in page, name
