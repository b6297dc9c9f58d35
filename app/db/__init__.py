"""The database: one tortoise-orm context per application, never the process-global one.

Beside this module: the models (`models`), their migrations (`migrations`, applied by
`migrator`), tortoise's PostgreSQL client with a bounded wait (`postgres`) and its SQLite
client made to recover from a failed connection (`sqlite`), the config of
tortoise's command line (`tortoise_cli`), and the look-ups and writes the flows and routes
share (`storage`).

tortoise-orm 1.x keeps its connections in a `TortoiseContext` found through a context
variable. Its Sanic helper (`register_tortoise`) installs that context as the single
process-wide fallback, which would stop two apps with different databases from living in
one process (as the tests need). So each app owns its context, opened on server start,
and each request makes it current for the task that serves it (app.web.request): Sanic
builds the request and runs its handler in that same task, so every query the handler
makes resolves to this app's connections.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from sanic import Sanic
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext

from app.db import migrator, postgres, sqlite
from app.db.migrator import Report, silent

T = TypeVar("T")

MODEL_MODULES = ["app.db.models"]
# tortoise's engines, replaced by ours: asyncpg's with a bounded wait for a free connection
# (app.db.postgres), SQLite's that a connection failing to open does not wedge (app.db.sqlite).
OUR_ENGINES = {
    "tortoise.backends.asyncpg": "app.db.postgres",
    "tortoise.backends.sqlite": "app.db.sqlite",
}
# tortoise's migrations of our models; `tortoise makemigrations` writes new ones here.
MIGRATIONS_MODULE = "app.db.migrations"


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The tortoise config for our models on `database_url`.

    The connection is named after the URL's scheme because tortoise caches each model's
    INSERT statement process-wide under the connection's name: were SQLite and PostgreSQL
    apps both to call theirs "default", one would run the other's SQL dialect.
    """
    name = urlsplit(database_url).scheme
    connection: str | dict[str, Any] = database_url
    described = expand_db_url(database_url)
    if described["engine"] in OUR_ENGINES:
        connection = described | {"engine": OUR_ENGINES[described["engine"]]}
    return {
        "connections": {name: connection},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": name,
                "migrations": MIGRATIONS_MODULE,
            }
        },
    }


def shown(database_url: str) -> str:
    """`database_url` as it may be printed: its password, if any, as `***`."""
    parts = urlsplit(database_url)
    if parts.password is None:
        return database_url
    user, _, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user.partition(':')[0]}:***@{host}"))


def ensure_sqlite_directory(database_url: str) -> None:
    """Create the directory of a SQLite file (the default lives in `data/`); SQLite won't."""
    described = expand_db_url(database_url)
    if described["engine"] != "tortoise.backends.sqlite":
        return
    file_path = described["credentials"]["file_path"]
    if file_path != ":memory:":
        Path(file_path).parent.mkdir(parents=True, exist_ok=True)


async def connect(database_url: str) -> TortoiseContext:
    """Open a context on `database_url` without making it current anywhere."""
    ensure_sqlite_directory(database_url)
    context = TortoiseContext()
    with context:  # init binds the models through whichever context is current
        await context.init(config=tortoise_config(database_url))
    return context


@asynccontextmanager
async def open_database(database_url: str) -> AsyncIterator[TortoiseContext]:
    """Connect, check the schema (migrating an empty database), and make the context
    current until exit; `migrator.SchemaNotCurrent` if the database is behind the code.

    For code that runs outside a server: the command line and the main process.
    """
    context = await connect(database_url)
    async with context:
        await migrator.ensure_current(context, tortoise_config(database_url)["apps"])
        yield context


async def prepare_schema(database_url: str, report: Report = silent) -> list[str]:
    """What the server does before serving: `open_database`'s check; the migrations
    applied, each reported as it is."""
    return await _on_schema(database_url, migrator.ensure_current, report)


async def migrate(database_url: str, report: Report = silent) -> list[str]:
    """Bring the database to the latest migration, adopting a legacy one; one line each,
    reported as it happens."""
    return await _on_schema(database_url, migrator.migrate, report)


async def _on_schema(
    database_url: str,
    work: Callable[[TortoiseContext, dict[str, Any], Report], Awaitable[T]],
    report: Report,
) -> T:
    """Run `work` on the database's context, current while it runs, then close it; under
    the migration lock, so that of two processes the second finds the work done."""
    async with migration_lock(database_url, report):
        context = await connect(database_url)
        async with context:
            return await work(context, tortoise_config(database_url)["apps"], report)


@asynccontextmanager
async def migration_lock(database_url: str, report: Report = silent) -> AsyncIterator[None]:
    """Hold the database's migration lock (waiting for it, and reporting that it waits,
    while another process holds it): PostgreSQL's advisory lock, a SQLite file's lock file.

    Two servers started side by side on a new database, or two `migrate`s, would
    otherwise both see a migration pending and both apply it.
    """
    ensure_sqlite_directory(database_url)
    described = expand_db_url(database_url)
    on_wait = partial(report, f"Waiting for another process migrating {shown(database_url)}")
    credentials = described["credentials"]
    lock = (
        postgres.migration_lock(credentials, on_wait)
        if described["engine"] == "tortoise.backends.asyncpg"
        else sqlite.migration_lock(credentials["file_path"], on_wait)
    )
    async with lock:
        yield


async def ping(context: TortoiseContext) -> None:
    """Run a trivial query, raising if the database cannot answer."""
    await context.db().execute_query("SELECT 1")


def register_database(app: Sanic[Any, Any], database_url: str) -> None:
    """Tie the app's database context to the server's lifecycle (and, through the
    service's request class, app.web.request, to each request)."""

    @app.before_server_start
    async def open_connections(app: Sanic[Any, Any]) -> None:
        app.ctx.orm = await connect(database_url)

    @app.after_server_stop
    async def close_connections(app: Sanic[Any, Any]) -> None:
        await app.ctx.orm.close_connections()
