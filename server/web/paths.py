"""What every domain's pages share about their URLs: path parameter types and the 404 of a missing or hidden row."""

from __future__ import annotations

from typing import Annotated

from litestar.exceptions import NotFoundException
from litestar.params import PathParameter

# Out-of-range numbers are a clean 400, not an integer overflow in the database.
UnitNumber = Annotated[int, PathParameter(ge=1, le=99)]
FloorNumber = Annotated[int, PathParameter(ge=1, le=200)]


def found(value):
    """The value, or a 404: a row outside the scope is not found, so ids cannot be probed (docs/decisions/0003)."""
    if value is None:
        raise NotFoundException()
    return value
