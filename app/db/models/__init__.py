"""The tortoise-orm models, one module per table; tortoise discovers them here.

A model's docstring becomes its table's comment in the migrations, and tortoise's SQLite
migrations split their SQL at every semicolon, comments included: so no semicolon in a
model's docstring (tests/app/test_migrations.py applies every migration on SQLite).
"""

from app.db.models.item import Item
from app.db.models.revocation import Revocation
from app.db.models.session import Session, SessionEnd
from app.db.models.store import Store
from app.db.models.user import USERNAME_LENGTH, Role, User, username_key

# Ids are 32-bit integer columns; a larger id cannot exist, and must not reach the driver.
MAX_ID = 2**31 - 1

__models__ = [User, Store, Item, Revocation, Session]
__all__ = [
    "MAX_ID",
    "USERNAME_LENGTH",
    "Item",
    "Revocation",
    "Role",
    "Session",
    "SessionEnd",
    "Store",
    "User",
    "username_key",
]
