"""Revocations of tokens, written down so that no restart of the service forgets one."""

from tortoise import fields
from tortoise.models import Model


class Revocation(Model):
    """A cut-off recorded by the token revocation journal.

    Tokens filed under `key` and issued at or before `until` are refused, until
    `expires_at`. Rows are only added, in id order (the journal's position), and pruned
    once expired.
    """

    id = fields.BigIntField(primary_key=True)
    # "jti:<id>", "identity:<user id>" or "family:<id>": what the cut-off applies to.
    key = fields.CharField(max_length=128)
    # Epoch seconds; NULL: every token under the key, whenever issued.
    until = fields.FloatField(null=True)
    # Epoch seconds after which no such token can be alive; NULL: never.
    expires_at = fields.FloatField(null=True, db_index=True)

    class Meta:
        table = "revocations"
