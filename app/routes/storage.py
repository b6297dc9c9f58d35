"""Row look-ups and writes shared by the routes: 404 for a missing row, 409 for a taken name."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from sanic.exceptions import NotFound, SanicException
from tortoise.exceptions import IntegrityError
from tortoise.models import Model

from app.routes.schemas import MAX_ID

Row = TypeVar("Row", bound=Model)


class Conflict(SanicException):
    """409: the name is taken (Sanic has no exception of its own for this status)."""

    status_code = 409
    quiet = True


async def get_or_404(model: type[Row], row_id: int, what: str) -> Row:
    """The row `row_id` of `model`; an id out of the column's range simply does not exist."""
    row = await model.get_or_none(id=row_id) if 1 <= row_id <= MAX_ID else None
    if row is None:
        raise NotFound(f"{what} not found.")
    return row


@contextmanager
def unique_name(taken: str) -> Iterator[None]:
    """Turn the unique constraint's IntegrityError into a 409 saying what is taken.

    Relying on the constraint, rather than looking first, stays right when two requests
    race for the same name.
    """
    try:
        yield
    except IntegrityError:
        raise Conflict(taken) from None
