"""Stores and items gain created_at and updated_at; existing rows hold the migration's time.

`tortoise makemigrations` wrote four AddFields of NOT NULL columns, which a table holding
rows cannot take without a value for them. Its usual cure, adding them nullable, filling
them and then altering them to NOT NULL, rebuilds each table on SQLite, and tortoise's
rebuild loses rows and constraints: dropping the old `stores` deletes every item through
ON DELETE CASCADE, and the new `items` lacks the unique (store, name). So here the columns
are added NOT NULL at once with the migration's time as their default: a constant, which
SQLite accepts in ADD COLUMN. The AddFields record the columns in the migration state
(the models' fields, as `makemigrations` compares them) and leave the SQL to that step.
"""

from tortoise import fields, migrations, timezone
from tortoise.migrations import operations as ops
from tortoise.migrations.schema_editor.base import BaseSchemaEditor
from tortoise.migrations.schema_generator.state_apps import StateApps

from app.db.migrator import AddFieldToState

MODELS = ("Item", "Store")
COLUMNS = ("created_at", "updated_at")


async def add_stamped_columns(apps: StateApps, schema_editor: BaseSchemaEditor) -> None:
    """Add the columns, every existing row holding now; PostgreSQL then drops the default,
    as the models have none (SQLite cannot drop one without rebuilding the table, and a
    default there is never used: tortoise always writes these columns)."""
    now = timezone.now().isoformat(sep=" ")
    for model_name in MODELS:
        meta = apps.get_model("models", model_name)._meta
        for name in COLUMNS:
            column_type = meta.fields_map[name].get_for_dialect(schema_editor.DIALECT, "SQL_TYPE")
            await schema_editor.client.execute_query(
                f'ALTER TABLE "{meta.db_table}" ADD COLUMN "{name}" {column_type} '
                f"NOT NULL DEFAULT '{now}'"
            )
            if schema_editor.DIALECT != "sqlite":
                await schema_editor.client.execute_query(
                    f'ALTER TABLE "{meta.db_table}" ALTER COLUMN "{name}" DROP DEFAULT'
                )


class Migration(migrations.Migration):
    dependencies = [("models", "0002_accounts")]

    initial = False

    operations = [
        AddFieldToState(
            model_name="Item",
            name="created_at",
            field=fields.DatetimeField(auto_now=False, auto_now_add=True),
        ),
        AddFieldToState(
            model_name="Item",
            name="updated_at",
            field=fields.DatetimeField(auto_now=True, auto_now_add=False),
        ),
        AddFieldToState(
            model_name="Store",
            name="created_at",
            field=fields.DatetimeField(auto_now=False, auto_now_add=True),
        ),
        AddFieldToState(
            model_name="Store",
            name="updated_at",
            field=fields.DatetimeField(auto_now=True, auto_now_add=False),
        ),
        ops.RunPython(add_stamped_columns),
    ]
