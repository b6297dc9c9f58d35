"""Sessions: one per login, the family of tokens its refresh tokens hand on."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

# Family ids are 22 characters; longer ids cannot name a session.
SESSION_ID_LENGTH = 64


class SessionEnd(StrEnum):
    """Why a session ended; its tokens are refused from then on."""

    LOGOUT = "logout"
    REUSE_DETECTED = "reuse_detected"
    ENDED_BY_USER = "ended_by_user"
    ENDED_BY_ADMIN = "ended_by_admin"
    ACCOUNT_CHANGED = "account_changed"  # a role or password change
    USER_DELETED = "user_deleted"


class Session(Model):
    """A login of a user, and the refreshes that kept it going.

    The id is the token family's: every access and refresh token of the session carries
    it. No foreign key to users: a deleted user's sessions stay, saying why they ended.
    """

    id = fields.CharField(primary_key=True, max_length=SESSION_ID_LENGTH)
    user_id = fields.IntField(db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Moved by each refresh, and only then: ordinary requests never write here.
    last_used_at = fields.DatetimeField()
    user_agent = fields.CharField(max_length=256)
    address = fields.CharField(max_length=64)
    ended_at = fields.DatetimeField(null=True)
    end_reason = fields.CharEnumField(SessionEnd, max_length=16, null=True)

    class Meta:
        table = "sessions"
