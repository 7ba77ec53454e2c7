"""Who is logged in, as JSON under /api/v1: an account's, so accounts answer it (places' API is the register)."""

from __future__ import annotations

from litestar import Request, get

from server.accounts.schemas import Me
from server.web.auth import current_user


@get("/me", tags=["accounts"])
async def get_me(request: Request) -> Me:
    user = current_user(request)
    return Me(
        id=user.id,
        name=user.name,
        phone=user.phone,
        role=user.role,
        community_id=user.community_id,
        grid_id=user.grid_id,
    )
