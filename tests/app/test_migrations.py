"""Schema migrations: upgrades keep every row, old databases are adopted, and a server
refuses a database that is behind. Each database test runs on SQLite and PostgreSQL."""

import asyncio
import re
import signal
import sys
from asyncio.subprocess import PIPE
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from tortoise.exceptions import IntegrityError
from tortoise.migrations.autodetector import MigrationAutodetector

from app.db import (
    connect,
    migrate,
    migration_lock,
    open_database,
    prepare_schema,
    shown,
    tortoise_config,
)
from app.db.journal import DatabaseJournal
from app.db.migrator import SchemaNotCurrent
from app.db.models import Item, Revocation, Store, User
from tests.app.helpers import Api, LoggedIn, migrate_to, untimed
from tests.app.live_server import SERVER, run_command, start_failing, started
from tests.helpers import bearer

INITIAL = "0001_initial"
ACCOUNTS = "0002_accounts"
TIMESTAMPS = "0003_timestamps"
REVOCATIONS = "0004_revocations"
LATEST = "0005_sessions"

# What a database at the initial migration held: rows of each table, a relation each way.
ROWS_AT_INITIAL = (
    "INSERT INTO users (username, password_hash, role, created_at) VALUES "
    "('Alice', '$argon2id$hash', 'ADMIN', '2025-01-31 12:00:00+00:00')",
    "INSERT INTO stores (name) VALUES ('North'), ('South')",
    "INSERT INTO items (name, price, store_id) VALUES "
    "('Apple', '1.50', 1), ('Pear', '2.25', 1), ('Bread', '3.00', 2)",
)
ITEMS_AT_INITIAL = [
    {"id": 1, "name": "Apple", "price": Decimal("1.50"), "store_id": 1},
    {"id": 2, "name": "Pear", "price": Decimal("2.25"), "store_id": 1},
    {"id": 3, "name": "Bread", "price": Decimal("3.00"), "store_id": 2},
]


async def test_the_migrations_make_the_models_tables() -> None:
    """What `tortoise makemigrations` checks: no model change lacks its migration."""
    url = "sqlite://:memory:"
    context = await connect(url)
    async with context:
        assert context.apps is not None
        detector = MigrationAutodetector(context.apps, tortoise_config(url)["apps"])
        assert await detector.changes() == []


async def test_upgrading_from_the_initial_migration_keeps_every_row(empty_database: str) -> None:
    await migrate_to(empty_database, INITIAL, *ROWS_AT_INITIAL)
    before = datetime.now(UTC)
    assert await migrate(empty_database) == [
        f"Applied {ACCOUNTS}",
        f"Applied {TIMESTAMPS}",
        f"Applied {REVOCATIONS}",
        f"Applied {LATEST}",
    ]
    after = datetime.now(UTC)
    async with open_database(empty_database):
        items = await Item.all().order_by("id").values("id", "name", "price", "store_id")
        assert items == ITEMS_AT_INITIAL
        assert [(store.id, store.name) for store in await Store.all().order_by("id")] == [
            (1, "North"),
            (2, "South"),
        ]
        alice = await User.get(id=1)
        assert (alice.username, alice.username_key, alice.role) == ("Alice", "alice", "ADMIN")
        assert alice.created_at == datetime(2025, 1, 31, 12, tzinfo=UTC)
        stamps = {row.created_at for row in await Item.all()} | {
            row.updated_at for row in await Store.all()
        }
        assert len(stamps) == 1  # every old row: the migration's moment
        assert before <= stamps.pop() <= after
        with pytest.raises(IntegrityError):  # the constraints are kept too
            await Item.create(name="Apple", price=1, store_id=1)


async def test_a_users_cut_off_moves_into_the_revocations_it_is_replayed_from(
    empty_database: str,
) -> None:
    """0004 keeps what `tokens_valid_after` said: tokens dated up to it stay refused."""
    await migrate_to(empty_database, INITIAL, *ROWS_AT_INITIAL)
    await migrate_to(
        empty_database,
        TIMESTAMPS,
        "INSERT INTO users (username, username_key, password_hash, role, created_at, "
        "tokens_valid_after) VALUES ('bob', 'bob', '$argon2id$hash', 'USER', "
        "'2025-02-01 12:00:00+00:00', 1750000000.25)",
    )
    assert await migrate(empty_database) == [f"Applied {REVOCATIONS}", f"Applied {LATEST}"]
    async with open_database(empty_database) as context:
        rows = await Revocation.all().values_list("key", "until", "expires_at")
        assert rows == [("identity:2", 1750000000.25, None)]  # alice's 0 was no cut-off
        assert (await User.get(id=2)).username == "bob"
        with pytest.raises(Exception, match="tokens_valid_after"):  # the column is gone
            await context.db().execute_query("SELECT tokens_valid_after FROM users")
        cutoffs, _ = await DatabaseJournal().read(0)
    assert [(cutoff.key, cutoff.until) for cutoff in cutoffs] == [("identity:2", 1750000000.25)]


async def test_a_database_made_by_generate_schemas_is_adopted(empty_database: str) -> None:
    """Before migrations, `generate_schemas` made exactly the initial migration's tables
    (compared when it was written), with no history: that is what this database holds."""
    await migrate_to(empty_database, INITIAL, *ROWS_AT_INITIAL, "DROP TABLE tortoise_migrations")
    with pytest.raises(SchemaNotCurrent, match="made before migrations"):
        await prepare_schema(empty_database)
    assert await migrate(empty_database) == [
        f"Adopted {INITIAL}: its tables were there, made before migrations",
        f"Applied {ACCOUNTS}",
        f"Applied {TIMESTAMPS}",
        f"Applied {REVOCATIONS}",
        f"Applied {LATEST}",
    ]
    async with open_database(empty_database):
        assert await Item.all().order_by("id").values(*ITEMS_AT_INITIAL[0]) == ITEMS_AT_INITIAL


async def test_an_empty_database_is_migrated_on_first_use(empty_database: str) -> None:
    assert await prepare_schema(empty_database) == [
        f"Applied {INITIAL}",
        f"Applied {ACCOUNTS}",
        f"Applied {TIMESTAMPS}",
        f"Applied {REVOCATIONS}",
        f"Applied {LATEST}",
    ]
    assert await prepare_schema(empty_database) == []
    assert await migrate(empty_database) == [f"Nothing to apply: the database is at {LATEST}"]


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (
            "INSERT INTO tortoise_migrations (app, name, applied_at) "
            "VALUES ('models', '9999_future', '2030-01-01 00:00:00+00:00')",
            f"at migration 9999_future, which this code does not know (it needs {LATEST})",
        ),
        (
            "DROP TABLE tortoise_migrations; DROP TABLE items",
            f"has 2 of the 3 tables of {INITIAL} and no migration history",
        ),
    ],
    ids=["ahead of the code", "half made"],
)
async def test_a_database_no_migration_can_fix_is_refused(
    empty_database: str, damage: str, problem: str
) -> None:
    await migrate_to(empty_database, LATEST, damage)
    for step in (prepare_schema, migrate):
        with pytest.raises(SchemaNotCurrent, match=re.escape(problem)):
            await step(empty_database)


async def test_the_server_refuses_a_database_behind_in_one_line(
    env: dict[str, str], database_file: Path, tmp_path: Path
) -> None:
    await migrate_to(f"sqlite://{database_file}", INITIAL)
    result = start_failing(env, tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: the database is at migration {INITIAL}, the code needs {LATEST}: "
        "run `python server.py migrate`"
    ]


async def test_server_py_migrate_upgrades_and_says_what_it_applied(
    env: dict[str, str], empty_database: str, tmp_path: Path
) -> None:
    await migrate_to(empty_database, INITIAL, *ROWS_AT_INITIAL)
    env = env | {"APP_DATABASE_URL": empty_database}
    upgraded = run_command(env, tmp_path, "migrate")
    assert (upgraded.returncode, upgraded.stdout.splitlines(), upgraded.stderr) == (
        0,
        [
            f"Migrating {empty_database}",
            f"Applied {ACCOUNTS}",
            f"Applied {TIMESTAMPS}",
            f"Applied {REVOCATIONS}",
            f"Applied {LATEST}",
        ],
        "",
    )
    again = run_command(env, tmp_path, "migrate")
    assert again.stdout.splitlines()[1:] == [f"Nothing to apply: the database is at {LATEST}"]


def test_the_database_is_named_without_its_password() -> None:
    assert shown("postgres://stores:s3cret@db:5432/stores?maxsize=4") == (
        "postgres://stores:***@db:5432/stores?maxsize=4"
    )
    assert shown("postgres://stores@db/stores") == "postgres://stores@db/stores"
    assert shown("sqlite://data/stores.sqlite3") == "sqlite://data/stores.sqlite3"


async def test_a_failed_migration_is_named_with_those_applied_before_it(
    env: dict[str, str], empty_database: str, tmp_path: Path
) -> None:
    """A column 0003 adds already there: 0002 is applied, and printed, before 0003 fails."""
    await migrate_to(empty_database, INITIAL, "ALTER TABLE stores ADD COLUMN created_at TEXT")
    result = run_command(env | {"APP_DATABASE_URL": empty_database}, tmp_path, "migrate")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"Migrating {empty_database}", f"Applied {ACCOUNTS}"]
    [error] = result.stderr.splitlines()
    assert error.startswith(f"error: migration {TIMESTAMPS} failed: ")
    assert error.endswith(f"; applied before it: {ACCOUNTS}")


async def test_a_second_migrate_waits_for_the_first_then_finds_nothing_to_do(
    env: dict[str, str], empty_database: str, tmp_path: Path
) -> None:
    """The test holds the lock as a first `migrate` would, and migrates meanwhile; the
    second, printing each line as it happens, says it waits, then finds the work done."""
    env = env | {"APP_DATABASE_URL": empty_database}
    async with migration_lock(empty_database):
        second = await asyncio.create_subprocess_exec(
            sys.executable, str(SERVER), "migrate", env=env, cwd=tmp_path, stdout=PIPE
        )
        assert second.stdout is not None
        assert await second.stdout.readline() == f"Migrating {empty_database}\n".encode()
        waiting = await second.stdout.readline()
        assert waiting == f"Waiting for another process migrating {empty_database}\n".encode()
        assert second.returncode is None
        await migrate_to(empty_database, LATEST)
    rest, _ = await asyncio.wait_for(second.communicate(), timeout=30)
    assert rest.decode() == f"Nothing to apply: the database is at {LATEST}\n"
    assert await second.wait() == 0


async def test_a_server_started_beside_a_migration_waits_for_it(
    env: dict[str, str], empty_database: str, tmp_path: Path
) -> None:
    """Two servers started side by side on a new database: the second waits for the
    first's migrations, then serves without applying any."""
    env = env | {"APP_DATABASE_URL": empty_database}
    async with AsyncExitStack() as first:
        await first.enter_async_context(migration_lock(empty_database))
        with started(env, tmp_path) as server:
            server.wait_for_line("Waiting for another process migrating")
            await migrate_to(empty_database, LATEST)
            await first.aclose()  # the first server's migrations are done
            server.wait_until_ready()
            assert server.count("Applied") == 0
            assert server.stop(signal.SIGTERM) == 0


def test_server_py_migrate_fails_in_one_line(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "a-directory.sqlite3").mkdir()
    env = env | {"APP_DATABASE_URL": f"sqlite://{tmp_path}/a-directory.sqlite3"}
    result = run_command(env, tmp_path, "migrate")
    assert (result.returncode, result.stdout) == (1, f"Migrating {env['APP_DATABASE_URL']}\n")
    assert result.stderr.splitlines() == ["error: database: unable to open database file"]


async def test_stores_and_items_say_when_they_were_created_and_updated(
    api: Api, user: LoggedIn
) -> None:
    """What migration 0003 adds, as the API shows it: ISO 8601 times in UTC."""
    store_id = await api.create_store(user)
    item_id = await api.create_item(user, store_id, "Apple", 1)
    created = (await api.call("GET", f"/items/{item_id}", headers=user.headers)).json
    untimed(created)  # checks the format
    assert created["created_at"] <= created["updated_at"]  # tortoise reads the clock twice
    refreshed = bearer(await api.refreshed(user))
    body = {"name": "Green apple", "price": 2}
    updated = (await api.call("PUT", f"/items/{item_id}", json=body, headers=refreshed)).json
    assert updated["created_at"] == created["created_at"]
    assert datetime.fromisoformat(updated["updated_at"]) > datetime.fromisoformat(
        created["updated_at"]
    )
    assert (await api.call("GET", f"/items/{item_id}", headers=user.headers)).json == updated
    store = (await api.call("GET", f"/stores/{store_id}")).json
    assert untimed(store)["items"] == [untimed(updated)]
