"""`Guard`: the one place where a request's token is found, verified and checked.

Each decorated view, and each call of `verify_jwt_in_request`, has a guard holding what
it demands (token type, roles, freshness, whether a token is optional). `authenticate`
runs every check, in the documented order, with the state of the request's app; what
all protected requests share belongs here. Verifying the token is the app's `Verifier`'s
(through `Token`), which remembers the tokens it verified; every check after it runs on
every request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sanic import Request

from .exceptions import (
    AccessDeniedError,
    ConfigurationConflictError,
    FreshTokenRequiredError,
    NoAuthorizationError,
    RevokedTokenError,
    WrongTokenError,
)
from .locations import check_csrf, find_token
from .state import JWTState, state_of
from .tokens import Token, TokenType

if TYPE_CHECKING:
    from .config import TokenKind


class Guard:
    """The checks one protected view runs, fixed when its decorator is applied."""

    def __init__(
        self,
        token_type: TokenType,
        allow: Iterable[str] | None,
        deny: Iterable[str] | None,
        *,
        fresh_required: bool,
        optional: bool,
    ) -> None:
        if allow is not None and deny is not None:
            raise ConfigurationConflictError("allow and deny cannot be used together")
        self.token_type = token_type
        self.allow = None if allow is None else frozenset(allow)
        self.deny = None if deny is None else frozenset(deny)
        self.fresh_required = fresh_required
        self.optional = optional

    async def authenticate(self, request: Request) -> Token | None:
        """The request's verified token, or None when it has none and that is allowed."""
        state = state_of(request.app)
        kind = state.kinds[self.token_type]
        found = find_token(
            request,
            kind,
            state.locations,
            state.config.jwt_query_param_name,
            ignore_other_schemes=self.optional,
        )
        if found is None:
            if self.optional:
                return None
            raise NoAuthorizationError(f"Missing {_expected_token(kind, state)}")
        token = Token(found.raw, state=state)
        if token.type != self.token_type:
            raise WrongTokenError(f"Only {self.token_type} tokens are allowed", token=token)
        if found.location == "cookies" and state.config.csrf_protect:
            check_csrf(request, kind, state.config.csrf_request_methods, token)
        revocations = state.revocations
        if revocations is not None and await revocations.is_revoked(token):
            raise RevokedTokenError("Token has been revoked", token=token)
        if not self._role_allowed(token.role):
            raise AccessDeniedError("This role may not access this resource", token=token)
        if self.fresh_required and token.fresh is not True:
            raise FreshTokenRequiredError("Fresh token required", token=token)
        return token

    def _role_allowed(self, role: str | None) -> bool:
        if self.allow is not None:
            return role in self.allow
        return self.deny is None or role not in self.deny


def _expected_token(kind: TokenKind, state: JWTState) -> str:
    """What was missing, and where it was looked for, in the configured names."""
    places = {
        "header": f"{kind.header} header",
        "cookies": f"{kind.cookie} cookie",
        "query": f"{state.config.jwt_query_param_name} query parameter",
    }
    return f"{kind.type} token: looked in " + ", ".join(
        places[location] for location in state.locations
    )
