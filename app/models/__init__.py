"""The tortoise-orm models, one module per table; tortoise discovers them here."""

from app.models.item import Item
from app.models.store import Store
from app.models.user import Role, User, username_key

__models__ = [User, Store, Item]
__all__ = ["Item", "Role", "Store", "User", "username_key"]
