"""Messy lists made in the tests, the way real ones arrive: titles above the header, merged cells, full-width
digits, doors written five ways, masked phones and ID numbers, BOM, GBK, blank and repeated rows."""

from __future__ import annotations

import io

from openpyxl import Workbook

from server.access.scope import CurrentUser
from server.accounts.tables import User
from server.demo.seed import demo_uuid
from server.places.tables import Resident

FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def door_spellings(door: str, n: int) -> str:
    """One of the ways lists write door "2-1-301"."""
    b, u, r = door.split("-")
    ways = [
        f"{b}-{u}-{r}",
        f"{b}号楼{u}单元{r}",
        f"{b}栋{u}单元{r}室".translate(FULL_WIDTH),
        f"铁北社区{b}号楼{u}单元{r}室",
        f"{b} 幢 {u} 单元 {r}",
    ]
    return ways[n % len(ways)]


def phone_spellings(phone: str | None, n: int) -> str:
    if not phone:
        return ""
    ways = [
        phone,
        f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}",
        phone[:3] + "****" + phone[7:],
        phone.translate(FULL_WIDTH),
    ]
    return ways[n % len(ways)]


def id_spellings(id_number: str | None, n: int) -> str:
    if not id_number:
        return ""
    ways = [id_number[:6] + "********" + id_number[-4:], id_number[-6:], id_number[-4:], id_number.lower()]
    return ways[n % len(ways)]


async def living_in_building(number: int) -> list[dict]:
    """The demo community's building (another test makes a community with a building 2 of its own)."""
    return await Resident.select(
        Resident.id,
        Resident.name,
        Resident.sex,
        Resident.phone,
        Resident.id_number,
        Resident.household.door.as_alias("door"),
    ).where((Resident.household.building == demo_uuid("building", str(number))) & (Resident.status == "living"))


def list_rows(people: list[dict]) -> list[list[str]]:
    """序号, 姓名, 性别, 证件号码 (masked), 手机号, 住址: every row spelt a little differently."""
    return [
        [
            str(n + 1),
            p["name"] if n % 7 else " ".join(p["name"]),  # "张 国 强": spaces typed in
            "男" if p["sex"] == "M" else "女",
            id_spellings(p["id_number"], n),
            phone_spellings(p["phone"], n),
            door_spellings(p["door"], n),
        ]
        for n, p in enumerate(people)
    ]


HEADER = ["序号", "姓名", "性别", "证件号码", "手机号", "住址"]


def xlsx_list(rows: list[list[str]], title: str = "11月24日 2号楼核酸检测名单") -> bytes:
    """A title merged across the top, a blank line, then the header: as test points export them."""
    book = Workbook()
    sheet = book.active
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet.append([])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_list(rows: list[list[str]], encoding: str = "utf-8", bom: bool = False) -> bytes:
    lines = [",".join(HEADER)] + [",".join(row) for row in rows]
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    return (b"\xef\xbb\xbf" if bom else b"") + data


async def user(phone: str) -> CurrentUser:
    row = await User.select().where(User.phone == phone).first()
    return CurrentUser(
        id=row["id"],
        community_id=row["community"],
        name=row["name"],
        phone=row["phone"],
        role=row["role"],
        grid_id=row["grid"],
        resident_id=row["resident"],
    )


async def living_in_buildings(*numbers: int) -> list[dict]:
    """The living residents of some of the demo community's buildings, with where they live."""
    return await Resident.select(
        Resident.id,
        Resident.name,
        Resident.sex,
        Resident.phone,
        Resident.id_number,
        Resident.household,
        Resident.household.door.as_alias("door"),
        Resident.household.floor.as_alias("floor"),
        Resident.household.building.number.as_alias("building"),
    ).where(
        Resident.household.building.is_in([demo_uuid("building", str(n)) for n in numbers])
        & (Resident.status == "living")
    )


def exact_rows(people: list[dict]) -> list[list[str]]:
    """Rows that name each person beyond doubt (whole ID number, phone, door): only who is left out is missing."""
    return [
        [str(n + 1), p["name"], "男" if p["sex"] == "M" else "女", p["id_number"] or "", p["phone"] or "", p["door"]]
        for n, p in enumerate(people)
    ]
