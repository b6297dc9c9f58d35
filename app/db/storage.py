"""Row look-ups and writes shared by the flows and routes: NotFound for a missing row,
NameTaken for a taken name."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from tortoise import timezone
from tortoise.exceptions import IntegrityError
from tortoise.expressions import RawSQL
from tortoise.models import Model
from tortoise.queryset import QuerySet

from app.db.models import MAX_ID, USERNAME_LENGTH, User, username_key
from app.exceptions import NameTaken, NotFound

Row = TypeVar("Row", bound=Model)

# Every row of the query, counted by the database beside each row of the page (SQL's
# window function, on SQLite 3.25+ and PostgreSQL): a page and its total in one query.
_TOTAL = "total"
_COUNT_OF_ALL_ROWS = RawSQL("COUNT(*) OVER ()")


async def get_or_404(model: type[Row], row_id: int, what: str) -> Row:
    """The row `row_id` of `model`; an id out of the column's range simply does not exist."""
    row = await model.get_or_none(id=row_id) if 1 <= row_id <= MAX_ID else None
    if row is None:
        raise NotFound(what)
    return row


async def user_named(username: str) -> User | None:
    """The account of `username`, in any letter case; a name longer than the column holds
    matches no account (and must not reach the driver, whose length check would raise)."""
    key = username_key(username)
    if len(key) > USERNAME_LENGTH:
        return None
    return await User.get_or_none(username_key=key)


async def page_by_id(query: QuerySet[Row], offset: int, limit: int) -> tuple[list[Row], int]:
    """One page of `query`'s rows by id, and how many rows the whole query has.

    One query; a second, a count, only for a page past the end, where no row carries it.
    """
    counted = query.annotate(**{_TOTAL: _COUNT_OF_ALL_ROWS})
    rows = await counted.order_by("id").offset(offset).limit(limit)
    total = int(getattr(rows[0], _TOTAL)) if rows else await query.count()
    return rows, total


async def save_or_404(row: Model, what: str, *fields: str) -> None:
    """Write `fields` of a row read earlier, and stamp its `auto_now` fields (`updated_at`)
    as `save()` would; NotFound if it was deleted in between.

    tortoise's `save()` would silently update nothing and let the caller answer 200.
    """
    for name, field in row._meta.fields_map.items():
        if getattr(field, "auto_now", False):
            setattr(row, name, timezone.now())
            fields = (*fields, name)
    values = {name: getattr(row, name) for name in fields}
    if not await type(row).filter(pk=row.pk).update(**values):
        raise NotFound(what)


async def delete_or_404(model: type[Model], row_id: int, what: str) -> None:
    """Delete one row by id; NotFound when there is none (also when a concurrent delete won)."""
    if not (1 <= row_id <= MAX_ID and await model.filter(id=row_id).delete()):
        raise NotFound(what)


@contextmanager
def unique_name(taken: str) -> Iterator[None]:
    """Turn the unique constraint's IntegrityError into NameTaken, saying what is taken.

    Relying on the constraint, rather than looking first, stays right when two requests
    race for the same name.
    """
    try:
        yield
    except IntegrityError:
        raise NameTaken(taken) from None
