"""Accounts: who may log in, and with which role."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    """A user's role; it travels in the tokens as the ACL claim."""

    USER = "USER"
    ADMIN = "ADMIN"


class User(Model):
    """An account. The password is kept only as an argon2id hash (PHC string)."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=5, default=Role.USER)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"
