"""What the servers under test hold: their databases, rows, Redis and tokens."""

import asyncio
import time
import warnings
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import redis

from app.accounts.flows import register
from app.accounts.passwords import Passwords
from app.accounts.tokens import access_token, token_manager
from app.db import open_database
from app.db.journal import DatabaseJournal
from app.db.models import Item, Role, Store, User
from app.schemas import Credentials
from app.settings import Settings

USERNAME = "bench"
PASSWORD = "bench-password"
ITEMS = 10_000


@dataclass(frozen=True)
class Seeded:
    """The rows a server starts with: its one user, and the ids of its items, if any."""

    user: User
    item_ids: tuple[int, int] | None


def seed(settings: Settings, *, items: bool) -> Seeded:
    """Create the schema, the user (as /register does, at the settings' password cost)
    and, if asked, one store with 10,000 items: through the ORM, in one bulk insert
    rather than 10,000 POSTs."""
    return asyncio.run(_seed(settings, items=items))


async def _seed(settings: Settings, *, items: bool) -> Seeded:
    credentials = Credentials(username=USERNAME, password=PASSWORD)
    async with open_database(settings.database_url):
        user = await register(Passwords(settings), credentials)
        if not items:
            return Seeded(user, None)
        store = await Store.create(name="Bench store")
        await Item.bulk_create(
            Item(name=f"Item {number}", price=Decimal(number % 1000) / 4, store=store)
            for number in range(ITEMS)
        )
        ids = sorted(item.id for item in await Item.all().only("id"))
    # items.lua asks for any id in the range, so every one of them must exist.
    assert ids == list(range(ids[0], ids[0] + ITEMS))
    return Seeded(user, (ids[0], ids[-1]))


class TokenMint:
    """Access tokens made by the service's own code, for the tokens that /login cannot give.

    `me-many` needs 10,000 distinct valid tokens. Logging in 10,000 times would spend
    the server's time (and, with /refresh, a request each) on work the benchmark does not
    measure; minting them here with `app.accounts.tokens.access_token`, with a token
    manager configured from the very settings the server runs with (secret, algorithm,
    lifetime, claim prefix), gives tokens of exactly the shape and size that /login
    issues, in a fraction of a second. The peers get one minted the same way, so that
    every server verifies a token of the same length. Nothing is revoked: its journal
    and blacklist are never opened.
    """

    def __init__(self, settings: Settings) -> None:
        with warnings.catch_warnings():  # the in-memory blacklist's warning, irrelevant here
            warnings.simplefilter("ignore")
            self._manager = token_manager(settings, journal=DatabaseJournal(), redis=None)

    def access_tokens(self, user: User, count: int) -> list[str]:
        read_at = time.time()  # as if the row had just been read, as /refresh does
        tokens = [
            access_token(self._manager, user, fresh=False, read_at=read_at, family=None)
            for _ in range(count)
        ]
        assert len(set(tokens)) == count  # each has its own jti
        return tokens


def bench_user() -> User:
    """The user the peers' token names; no database holds it, the token alone matters."""
    return User(id=1, username=USERNAME, role=Role.USER)


def create_postgres_database(admin_url: str, name: str) -> str:
    """Create database `name` on the server of `admin_url`; return its URL."""
    asyncio.run(_postgres(admin_url, f'CREATE DATABASE "{name}"'))
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))


def drop_postgres_database(admin_url: str, name: str) -> None:
    """Drop it, closing any connection a stopped server may have left behind."""
    asyncio.run(_postgres(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _postgres(admin_url: str, statement: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def flush_redis(url: str) -> None:
    """Empty the Redis database of `url`: no revocation of an earlier run may linger."""
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
