"""Revocations get a table of their own, and `users.tokens_valid_after` moves into it.

Every revocation (a logout, a role or password change, a deletion, the end of a session)
is recorded in `revocations` by the token manager's journal (app.accounts.revocations)
and replayed into the blacklist when the service starts, so that no restart forgets one.
A user's `tokens_valid_after` was such a cut-off, kept in the row: it becomes the row
`identity:<id>` here, kept for ever (the lifetimes it was made for are not known here),
and the column goes. It is dropped in place (SQLite 3.35 and later can), not by
tortoise's RemoveField, which rebuilds a SQLite table (see app.db.migrator).
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.schema_editor.base import BaseSchemaEditor
from tortoise.migrations.schema_generator.state_apps import StateApps

from app.db.migrator import RemoveFieldFromState


async def move_cut_offs(apps: StateApps, schema_editor: BaseSchemaEditor) -> None:
    run = schema_editor.client.execute_query
    await run(
        'INSERT INTO "revocations" ("key", "until", "expires_at") '
        'SELECT \'identity:\' || CAST("id" AS VARCHAR(12)), "tokens_valid_after", NULL '
        'FROM "users" WHERE "tokens_valid_after" > 0 ORDER BY "id"'
    )
    await run('ALTER TABLE "users" DROP COLUMN "tokens_valid_after"')


class Migration(migrations.Migration):
    dependencies = [("models", "0003_timestamps")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Revocation",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("key", fields.CharField(max_length=128)),
                ("until", fields.FloatField(null=True)),
                ("expires_at", fields.FloatField(null=True, db_index=True)),
            ],
            options={
                "table": "revocations",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A cut-off recorded by the token revocation journal.",
            },
            bases=["Model"],
        ),
        ops.RunPython(move_cut_offs),
        RemoveFieldFromState(model_name="User", name="tokens_valid_after"),
    ]
