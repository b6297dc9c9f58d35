"""Accounts: who may log in, and with which role."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    """A user's role; it travels in the tokens as the ACL claim."""

    USER = "USER"
    ADMIN = "ADMIN"


# The longest username (and key) the columns hold.
USERNAME_LENGTH = 64


def username_key(username: str) -> str:
    """What makes two usernames the same: `ROOT` and `root` are one account."""
    return username.casefold()


class User(Model):
    """An account. The password is kept only as an argon2id hash (PHC string)."""

    id = fields.IntField(primary_key=True)
    # Shown as the user chose it; unique in any letter case through `username_key`, its
    # case-folded form (unique as it is too, as before migration 0002 added the key).
    username = fields.CharField(max_length=USERNAME_LENGTH, unique=True)
    username_key = fields.CharField(max_length=USERNAME_LENGTH, unique=True)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=5, default=Role.USER)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"
