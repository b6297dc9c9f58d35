"""Items: priced things sold by one store."""

from tortoise import fields
from tortoise.models import Model

from app.db.models.store import Store


class Item(Model):
    """An item, whose name is unique within its store: it goes when the store goes."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80)
    price = fields.DecimalField(max_digits=9, decimal_places=2)
    store: fields.ForeignKeyRelation[Store] = fields.ForeignKeyField(
        "models.Store", related_name="items", on_delete=fields.CASCADE
    )
    store_id: int
    # Timezone-aware UTC. Rows older than the migration that added them hold its time.
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "items"
        unique_together = (("store", "name"),)
