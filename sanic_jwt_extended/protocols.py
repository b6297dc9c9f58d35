"""What the lower layers need to know about a token, without depending on `Token`.

The blacklists, revocation and the exceptions sit below `tokens.py` in the stack, so they
type against this protocol; `Token` satisfies it, and so does any object a custom
blacklist's own tests build.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    import uuid
    from datetime import datetime

TokenType = Literal["access", "refresh"]


class TokenFacts(Protocol):
    """The facts about a verified token that revoking it, or refusing it, rests on."""

    @property
    def jti(self) -> uuid.UUID:
        """The token's unique id: revocation is keyed by it."""

    @property
    def identity(self) -> str:
        """The subject (`sub`) the token was created for: `revoke_all` is keyed by it."""

    @property
    def issued_at(self) -> float:
        """`iat` as a POSIX timestamp, with microseconds: compared to `revoke_all` cut-offs."""

    @property
    def family(self) -> str | None:
        """The family (the login session) the token belongs to; None outside rotation."""

    @property
    def refused_after(self) -> datetime | None:
        """When the token stops being accepted anyway (None: never); no revocation need
        be kept past it."""
