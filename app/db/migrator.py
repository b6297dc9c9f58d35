"""Bring a database to the schema the code needs, with tortoise-orm's own migrations.

The migrations live in `app/db/migrations/`, and tortoise records the applied ones in its
`tortoise_migrations` table. A database is one of:

- empty: nothing of ours in it; the first start of the server migrates it;
- legacy: the initial migration's tables, made by `generate_schemas` before migrations
  existed, and no history; it is adopted (the initial migration recorded as applied,
  without running it), then migrated like any other;
- behind: some migrations still to apply; only `python server.py migrate` applies them,
  so that an upgrade that rewrites tables happens when an operator chooses;
- current, or ahead (it has migrations this code does not know: newer code ran on it).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.context import TortoiseContext
from tortoise.migrations import CreateModel
from tortoise.migrations import operations as ops
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

# The app label of our models in the tortoise config (`app.db.tortoise_config`).
APP_LABEL = "models"
UPGRADE_HINT = "run `python server.py migrate`"
# Where each dialect we support lists its tables.
TABLES_QUERY = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
    "postgres": "SELECT table_name AS name FROM information_schema.tables "
    "WHERE table_schema = current_schema()",
}


# Told each line of what a migration does, as it happens: an operator watching a long
# one sees where it is, and what was done before a failure.
Report = Callable[[str], object]


def silent(line: str) -> None:
    """The report of a caller that only wants the lines returned at the end."""


class SchemaNotCurrent(Exception):
    """The database is not at the code's latest migration; the message says what to do."""


class MigrationFailed(Exception):
    """A migration raised: the message names it, and the ones this run applied before it
    (committed: each migration runs in a transaction of its own)."""

    def __init__(self, name: str, applied_before: list[str], error: Exception) -> None:
        before = ", ".join(applied_before) or "none"
        super().__init__(f"migration {name} failed: {error}; applied before it: {before}")


@dataclass
class _Progress:
    """What tortoise's executor reported so far, each finished migration also told."""

    report: Report
    running: str | None = None
    applied: list[str] = field(default_factory=list)

    def note(self, event: str, app_label: str, name: str) -> None:
        if event == "apply_start":
            self.running = name
        elif event == "apply_done":
            self.applied.append(name)
            self.report(f"Applied {name}")


@dataclass(frozen=True)
class Schema:
    """Where a database stands against the code's migrations."""

    applied: list[str]  # the migrations recorded as applied, oldest first
    known: list[str]  # the code's migrations, in the order they apply
    initial_tables_found: int
    initial_tables: int

    @property
    def current(self) -> str:
        return self.applied[-1] if self.applied else "none"

    @property
    def latest(self) -> str:
        return self.known[-1]

    @property
    def unknown(self) -> list[str]:
        return [name for name in self.applied if name not in self.known]

    @property
    def pending(self) -> list[str]:
        return [name for name in self.known if name not in self.applied]

    @property
    def empty(self) -> bool:
        return not self.applied and self.initial_tables_found == 0

    @property
    def legacy(self) -> bool:
        return not self.applied and self.initial_tables_found == self.initial_tables


async def inspect(context: TortoiseContext, apps_config: dict[str, Any]) -> Schema:
    """Read the database's migration history and which of the initial tables it has.

    The tables are read first: tortoise reads the history as empty on any error, even a
    database that cannot be opened (after which a SQLite connection would never answer).
    """
    existing = await _table_names(context.db())
    executor = _executor(context, apps_config)
    await executor.loader.build_graph()
    graph = executor.loader.graph
    known = graph.forwards_plan(graph.leaf_nodes(APP_LABEL)[0])
    applied = await executor.recorder.applied_migrations()
    tables = _initial_tables(executor)
    found = [table for table in tables if table in existing]
    return Schema(
        applied=[key.name for key in applied if key.app_label == APP_LABEL],
        known=[key.name for key in known],
        initial_tables_found=len(found),
        initial_tables=len(tables),
    )


async def migrate(
    context: TortoiseContext, apps_config: dict[str, Any], report: Report = silent
) -> list[str]:
    """Adopt a legacy database, apply every pending migration; one line per migration
    (or one saying there was none), each reported as it happens and all returned.

    `MigrationFailed` if a migration raises.
    """
    schema = await inspect(context, apps_config)
    _refuse_unusable(schema)
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        report(line)

    if schema.legacy:
        await _executor(context, apps_config).migrate(
            [MigrationTarget(APP_LABEL, schema.known[0])], fake=True
        )
        say(f"Adopted {schema.known[0]}: its tables were there, made before migrations")
    await _apply_pending(context, apps_config, _Progress(say))
    if not lines:
        say(f"Nothing to apply: the database is at {schema.latest}")
    return lines


async def _apply_pending(
    context: TortoiseContext, apps_config: dict[str, Any], progress: _Progress
) -> None:
    """Apply the pending migrations in order; a failure names the one that raised."""
    try:
        await _executor(context, apps_config).migrate(progress=progress.note)
    except Exception as error:
        if progress.running is None or progress.running in progress.applied:
            raise  # no migration was running: the database itself failed
        raise MigrationFailed(progress.running, progress.applied, error) from error


async def ensure_current(
    context: TortoiseContext, apps_config: dict[str, Any], report: Report = silent
) -> list[str]:
    """Migrate an empty database; raise `SchemaNotCurrent` unless it is then current."""
    schema = await inspect(context, apps_config)
    if schema.empty:
        return await migrate(context, apps_config, report)
    _refuse_unusable(schema)
    if schema.legacy:
        raise SchemaNotCurrent(
            f"the database was made before migrations, the code needs {schema.latest}: "
            f"{UPGRADE_HINT} (it adopts the existing tables)"
        )
    if schema.pending:
        raise SchemaNotCurrent(
            f"the database is at migration {schema.current}, the code needs {schema.latest}: "
            f"{UPGRADE_HINT}"
        )
    return []


def _refuse_unusable(schema: Schema) -> None:
    """Refuse what no migration can fix: newer code's migrations, a half-made schema."""
    if schema.unknown:
        raise SchemaNotCurrent(
            f"the database is at migration {schema.current}, which this code does not know "
            f"(it needs {schema.latest}): run a newer version of the code"
        )
    if not schema.applied and not (schema.empty or schema.legacy):
        raise SchemaNotCurrent(
            f"the database has {schema.initial_tables_found} of the "
            f"{schema.initial_tables} tables of {schema.known[0]} and no migration history: "
            "neither empty nor one to adopt; restore it or start from an empty database"
        )


def _executor(context: TortoiseContext, apps_config: dict[str, Any]) -> MigrationExecutor:
    """tortoise's executor of our migrations on the context's connection.

    It runs each migration in a transaction that it looks up through the current context,
    so callers hold `context` current.
    """
    return MigrationExecutor(context.db(), apps_config)


def _initial_tables(executor: MigrationExecutor) -> list[str]:
    """The tables the initial migration creates: what `generate_schemas` made before."""
    graph = executor.loader.graph
    initial = graph.nodes[graph.root_nodes(APP_LABEL)[0]]
    assert initial is not None
    return [
        operation.options["table"]
        for operation in initial.operations
        if isinstance(operation, CreateModel) and operation.options
    ]


async def _table_names(connection: BaseDBAsyncClient) -> set[str]:
    """The tables in the database (PostgreSQL: in its current schema)."""
    rows = await connection.execute_query_dict(TABLES_QUERY[connection.capabilities.dialect])
    return {row["name"] for row in rows}


class AddFieldToState(ops.AddField):
    """An AddField recorded in the migration state only: a RunPython of the same migration
    adds the column itself, where tortoise's own ALTER would rebuild a SQLite table (and
    its rebuild loses rows through ON DELETE CASCADE, and constraints)."""

    async def database_forward(self, *args: Any, **kwargs: Any) -> None:
        return None


class RemoveFieldFromState(ops.RemoveField):
    """A RemoveField recorded in the migration state only: a RunPython of the same
    migration drops the column in place, for the reason AddFieldToState gives."""

    async def database_forward(self, *args: Any, **kwargs: Any) -> None:
        return None
