"""Registers of elderly residents made in the tests the way community offices keep them: a title, a header over two
rows with 紧急联系人 merged over its columns, full-width digits, "无" for nothing, GBK or UTF-8 with a BOM."""

from __future__ import annotations

import io

from openpyxl import Workbook

from server.demo.seed import demo_uuid
from server.places.tables import Resident

FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
HEADER = [
    "序号",
    "姓名",
    "性别",
    "出生日期",
    "年龄",
    "住址",
    "联系电话",
    "居住情况",
    "行动能力",
    "慢性病",
    "常用药",
    "兴趣爱好",
    "紧急联系人",
    "关系",
    "联系电话",
    "备注",
]


async def _with_alone(people: list[dict]) -> list[dict]:
    """Each person with "alone": nobody else lives at their door. row() says 独居 only of them (and 空巢 of the
    others): 独居 at a door where the register has others is set aside (issue 16)."""
    households = [p["household"] for p in people] or [demo_uuid("household", "none")]
    at_door: dict = {}
    for r in await Resident.select(Resident.household).where(
        Resident.household.is_in(households) & (Resident.status == "living")
    ):
        at_door[r["household"]] = at_door.get(r["household"], 0) + 1
    return [{**p, "alone": at_door.get(p["household"], 0) <= 1} for p in people]


async def people_of_building(number: int, limit: int = 4, offset: int = 0) -> list[dict]:
    """Elderly people living in a building of the demo community, oldest first (tests take different ones: the
    database is shared by the run)."""
    return await _with_alone(
        await Resident.select(
            Resident.id,
            Resident.name,
            Resident.sex,
            Resident.birth_date,
            Resident.household,
            Resident.household.door.as_alias("door"),
        )
        .where(
            (Resident.household.building == demo_uuid("building", str(number)))
            & (Resident.status == "living")
            & Resident.birth_date.is_not_null()
        )
        .order_by(Resident.birth_date)
        .offset(offset)
        .limit(limit)
    )


async def person(resident_id) -> dict:
    return (
        await _with_alone(
            await Resident.select(
                Resident.id,
                Resident.name,
                Resident.sex,
                Resident.birth_date,
                Resident.household,
                Resident.household.door.as_alias("door"),
            ).where(Resident.id == resident_id)
        )
    )[0]


def living_of(person: dict) -> str:
    """What row() writes in 居住情况, and the import stores."""
    return "alone" if person.get("alone", True) else "spouse"


def row(n: int, person: dict, **changes) -> list[str]:
    """A register row for a person; a door written 2号楼1单元301室 with full-width digits in every other row."""
    b, u, r = person["door"].split("-")
    door = f"{b}号楼{u}单元{r}室"
    values = {
        "序号": str(n),
        "姓名": person["name"],
        "性别": "男" if person["sex"] == "M" else "女",
        "出生日期": person["birth_date"].strftime("%Y年%m月%d日") if person["birth_date"] else "",
        "年龄": "80",
        "住址": door.translate(FULL_WIDTH) if n % 2 else door,
        "联系电话": "无",
        "居住情况": "独居" if person.get("alone", True) else "空巢",
        "行动能力": "行动不便",
        "慢性病": "高血压",
        "常用药": "硝苯地平",
        "兴趣爱好": "下象棋",
        "紧急联系人": f"{person['name'][0]}小明",
        "关系": "儿子",
        "联系电话#2": "139 0000 1111".translate(FULL_WIDTH),
        "备注": "",
    }
    values.update(changes)
    return [values["联系电话#2" if i == 14 else name] for i, name in enumerate(HEADER)]


def csv_register(rows: list[list[str]], encoding: str = "utf-8", bom: bool = False) -> bytes:
    lines = [",".join(HEADER)] + [",".join(r) for r in rows]
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    return (b"\xef\xbb\xbf" if bom else b"") + data


def xlsx_register(rows: list[list[str]]) -> bytes:
    """A merged title, then a header over two rows: 紧急联系人 merged over 姓名 | 关系 | 联系电话, the other headers
    merged down over both rows."""
    book = Workbook()
    sheet = book.active
    sheet.append(["铁北社区老年人台账（2022年11月）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    contact = HEADER.index("紧急联系人")
    upper = HEADER[:contact] + ["紧急联系人"] * 3 + HEADER[contact + 3 :]
    lower = HEADER[:contact] + ["姓名", "关系", "联系电话"] + HEADER[contact + 3 :]
    sheet.append(upper)
    sheet.append(lower)
    sheet.merge_cells(start_row=2, start_column=contact + 1, end_row=2, end_column=contact + 3)
    for column in range(1, len(HEADER) + 1):
        if not contact < column <= contact + 3:
            sheet.merge_cells(start_row=2, start_column=column, end_row=3, end_column=column)
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
