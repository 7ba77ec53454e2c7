"""The user behind a request and the part of the register they may see (docs/decisions/0003, 0030)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

ROLES = ("admin", "grid_worker", "volunteer", "resident")
REGISTER_ROLES = ("admin", "grid_worker")  # roles that may read the register of households and residents


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The account behind a request, as every service sees it."""

    id: uuid.UUID
    community_id: uuid.UUID
    name: str
    phone: str
    role: str
    grid_id: uuid.UUID | None
    resident_id: uuid.UUID | None
    session_id: uuid.UUID | None = None
    is_guest: bool = False  # joined a sweep with its code: sees only the sweeps joined
    # The grids this grid worker answers for now: their own (unless handed to a colleague) and any they cover.
    grid_ids: tuple[uuid.UUID, ...] = ()

    @property
    def can_read_register(self) -> bool:
        return self.role in REGISTER_ROLES


@dataclass(frozen=True, slots=True)
class Scope:
    """What part of the register a user may see: one community, and in it all grids or only some.

    Every query on the register goes through a Scope, so that no page can forget to filter.
    """

    community_id: uuid.UUID
    grid_ids: tuple[uuid.UUID, ...] | None  # None: the whole community

    @classmethod
    def for_user(cls, user: CurrentUser) -> Scope | None:
        if user.role == "admin":
            return cls(community_id=user.community_id, grid_ids=None)
        if user.role == "grid_worker":
            return cls(community_id=user.community_id, grid_ids=user.grid_ids)
        return None  # volunteers and residents see none of the register

    def allows_grid(self, grid_id: uuid.UUID) -> bool:
        return self.grid_ids is None or grid_id in self.grid_ids

    @property
    def sees_nothing(self) -> bool:
        """A grid worker with no grid (theirs handed to a colleague): no query needs to run."""
        return self.grid_ids is not None and not self.grid_ids

    def filter(self, query, grid):
        """The query narrowed to the grids in scope; `grid` is the column that holds a row's grid. The one way a
        query is filtered by scope, so a new query cannot spell the rule differently."""
        if self.grid_ids is None:
            return query
        return query.where(grid.is_in(list(self.grid_ids) or [_NO_GRID]))


_NO_GRID = uuid.UUID(int=0)  # an empty IN () is refused by Piccolo; no grid has this id
