"""Stores: named containers of items."""

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from app.db.models.item import Item


class Store(Model):
    """A store, whose name is unique across all stores."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80, unique=True)
    # Timezone-aware UTC. Rows older than the migration that added them hold its time.
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    items: fields.ReverseRelation["Item"]

    class Meta:
        table = "stores"
