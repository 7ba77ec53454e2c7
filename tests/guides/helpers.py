"""Who writes guides in the tests, as services see them."""

from __future__ import annotations

from server.accounts.services import CurrentUser, Scope
from server.accounts.tables import User
from server.settings import get_settings

HAO_WORKER = "13800000003"  # 陈瑞云, grid 3: 郝大爷 (5-1-602)
OTHER_WORKER = "13800000002"  # 李雪敏, grid 2
ADMIN = "13800000000"
FONT = get_settings().guide_font


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


async def scope(phone: str) -> Scope:
    return Scope.for_user(await user(phone))
