from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from app.db.models.user import Role


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Store",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(unique=True, max_length=80)),
            ],
            options={
                "table": "stores",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A store, whose name is unique across all stores.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Item",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=80)),
                ("price", fields.DecimalField(max_digits=9, decimal_places=2)),
                (
                    "store",
                    fields.ForeignKeyField(
                        "models.Store",
                        source_field="store_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="items",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={
                "table": "items",
                "app": "models",
                "unique_together": (("store", "name"),),
                "pk_attr": "id",
                "table_description": "An item, whose name is unique within its store: it goes when the store goes.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="User",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("username", fields.CharField(unique=True, max_length=64)),
                ("password_hash", fields.CharField(max_length=255)),
                (
                    "role",
                    fields.CharEnumField(
                        default=Role.USER,
                        description="USER: USER\nADMIN: ADMIN",
                        enum_type=Role,
                        max_length=5,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "users",
                "app": "models",
                "pk_attr": "id",
                "table_description": "An account. The password is kept only as an argon2id hash (PHC string).",
            },
            bases=["Model"],
        ),
    ]
