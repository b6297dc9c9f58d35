"""Users gain `username_key` (their case-folded name, unique) and `tokens_valid_after`.

The columns that usernames unique in any letter case and the ending of earlier sessions
need (see app.db.models.user). A database from before holds users already: their key is
their name in lower case (usernames are ASCII, so that is their case fold; two names
differing only in case make the unique index, and so the migration, fail: rename one
first), and no session of theirs is ended (0). The columns are added by plain ALTER
TABLE, which both databases run in place, not by tortoise's ALTER, which rebuilds a
SQLite table (see app.db.migrator.AddFieldToState).
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.schema_editor.base import BaseSchemaEditor
from tortoise.migrations.schema_generator.state_apps import StateApps

from app.db.migrator import AddFieldToState

# An epoch with microseconds needs a double: PostgreSQL's REAL is a single float.
FLOAT_TYPE = {"sqlite": "REAL", "postgres": "DOUBLE PRECISION"}


async def add_account_columns(apps: StateApps, schema_editor: BaseSchemaEditor) -> None:
    run = schema_editor.client.execute_query
    await run('ALTER TABLE "users" ADD COLUMN "username_key" VARCHAR(64)')
    await run('UPDATE "users" SET "username_key" = LOWER("username")')
    await run('CREATE UNIQUE INDEX "uid_users_username_key" ON "users" ("username_key")')
    if schema_editor.DIALECT != "sqlite":  # SQLite cannot add NOT NULL in place
        await run('ALTER TABLE "users" ALTER COLUMN "username_key" SET NOT NULL')
    await run(
        f'ALTER TABLE "users" ADD COLUMN "tokens_valid_after" '
        f"{FLOAT_TYPE[schema_editor.DIALECT]} NOT NULL DEFAULT 0"
    )


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    initial = False

    operations = [
        AddFieldToState(
            model_name="User",
            name="username_key",
            field=fields.CharField(unique=True, max_length=64),
        ),
        AddFieldToState(
            model_name="User",
            name="tokens_valid_after",
            field=fields.FloatField(default=0.0),
        ),
        ops.RunPython(add_account_columns),
    ]
