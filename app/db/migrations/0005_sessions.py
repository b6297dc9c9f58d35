"""Sessions: one row per login (its token family), with when and why it ended."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from app.db.models.session import SessionEnd


class Migration(migrations.Migration):
    dependencies = [("models", "0004_revocations")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Session",
            fields=[
                (
                    "id",
                    fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64),
                ),
                ("user_id", fields.IntField(db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("last_used_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("user_agent", fields.CharField(max_length=256)),
                ("address", fields.CharField(max_length=64)),
                ("ended_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "end_reason",
                    fields.CharEnumField(
                        null=True,
                        description="LOGOUT: logout\nREUSE_DETECTED: reuse_detected\nENDED_BY_USER: ended_by_user\nENDED_BY_ADMIN: ended_by_admin\nACCOUNT_CHANGED: account_changed\nUSER_DELETED: user_deleted",
                        enum_type=SessionEnd,
                        max_length=16,
                    ),
                ),
            ],
            options={
                "table": "sessions",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A login of a user, and the refreshes that kept it going.",
            },
            bases=["Model"],
        ),
    ]
