"""Who writes guides in the tests, as services see them."""

from __future__ import annotations

from datetime import timedelta

from server.access.scope import CurrentUser, Scope
from server.accounts.services import start_session, user_for_token
from server.accounts.tables import User
from server.settings import get_settings

HAO_WORKER = "13800000003"  # 陈瑞云, grid 3: 郝大爷 (5-1-602)
OTHER_WORKER = "13800000002"  # 李雪敏, grid 2
ADMIN = "13800000000"
FONT = get_settings().guide_font


async def user(phone: str) -> CurrentUser:
    """The account as a request sees it after log-in (with the grids it answers for)."""
    row = await User.select(User.id).where(User.phone == phone).first()
    token, _ = await start_session(row["id"], timedelta(minutes=5))
    return await user_for_token(token)


async def scope(phone: str) -> Scope:
    return Scope.for_user(await user(phone))
