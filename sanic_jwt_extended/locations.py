"""Finding the raw token in a request: header, cookies or query string, in configured order."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, NamedTuple

from sanic import Request

from .exceptions import CSRFError, InvalidHeaderError

if TYPE_CHECKING:
    from .config import TokenKind
    from .tokens import Token


class FoundToken(NamedTuple):
    raw: str
    location: str


def find_token(
    request: Request,
    kind: TokenKind,
    locations: tuple[str, ...],
    query_parameter: str,
    *,
    ignore_other_schemes: bool,
) -> FoundToken | None:
    """The first token of `kind` found in `locations`, or None when there is none at all.

    A header of another scheme (say `Basic ...`) is an InvalidHeaderError, unless
    `ignore_other_schemes` (as `jwt_optional` wants): then it counts as no token.
    """
    for location in locations:
        if location == "header":
            raw = _from_header(request, kind.header, kind.header_prefix, ignore_other_schemes)
        elif location == "cookies":
            raw = request.cookies.get(kind.cookie)
        else:
            raw = request.args.get(query_parameter)
        if raw:
            return FoundToken(raw, location)
    return None


def _from_header(
    request: Request, name: str, prefix: str, ignore_other_schemes: bool
) -> str | None:
    value: str | None = request.headers.get(name)
    if value is None:
        return None
    parts = value.split()
    if prefix:
        # Authentication schemes are case-insensitive (RFC 9110 11.1).
        if not parts or parts[0].casefold() != prefix.casefold():
            if ignore_other_schemes:
                return None
            raise _bad_header(name, prefix)
        parts = parts[1:]
    if len(parts) != 1:
        raise _bad_header(name, prefix)
    return parts[0]


def _bad_header(name: str, prefix: str) -> InvalidHeaderError:
    expected = f"{name}: {prefix} <JWT>" if prefix else f"{name}: <JWT>"
    return InvalidHeaderError(f"Bad {name} header. Expected '{expected}'")


def check_csrf(request: Request, kind: TokenKind, methods: tuple[str, ...], token: Token) -> None:
    """The double-submit check: a cookie-borne token's `csrf` must come back in a header."""
    if request.method not in methods:
        return
    header = kind.csrf_header
    sent = request.headers.get(header)
    if not sent or not token.csrf:
        raise CSRFError(f"Missing CSRF token in the {header} header", token=token)
    # compare_digest takes ASCII text only; anything else cannot match a csrf value anyway.
    if not sent.isascii() or not hmac.compare_digest(sent, token.csrf):
        raise CSRFError("CSRF double submit tokens do not match", token=token)
