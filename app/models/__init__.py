"""The tortoise-orm models, one module per table; tortoise discovers them here.

A model's docstring becomes its table's comment in the migrations, and tortoise's SQLite
migrations split their SQL at every semicolon, comments included: so no semicolon in a
model's docstring (tests/app/test_migrations.py applies every migration on SQLite).
"""

from app.models.item import Item
from app.models.store import Store
from app.models.user import Role, User, username_key

__models__ = [User, Store, Item]
__all__ = ["Item", "Role", "Store", "User", "username_key"]
