"""What a protected route refuses, and why: the RFC 8725 basics, one real request each.

Every forged or broken token below is sent to a protected route and must come back with
the status of the contract's error table, a JSON body that is exactly `{"msg": "..."}`
(so the view, which answers with the token's identity, was never reached), never a 500,
and from the named handler: the app of these tests tags each handler's response with the
handler's name, while keeping its default status and body.

Tokens are forged by hand (base64url and hmac), because PyJWT rightly refuses to build
most of them.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sanic import Sanic
from sanic_testing import testing

from sanic_jwt_extended import JWT
from sanic_jwt_extended.handlers import ERRORS

from .helpers import ABSENT, SECRET, add_views, b64url, claims, forge, header, new_app

# --- the app under attack -------------------------------------------------------------

HANDLER_HEADER = "x-answered-by"
HANDLERS = tuple(error.name for error in ERRORS)


def _tagged(name: str, default: Callable[..., Any]) -> Callable[..., Any]:
    """The default handler, with its name added to the response it gives."""

    async def handler(request: Any, exception: Exception) -> Any:
        response = default(request, exception)
        if hasattr(response, "__await__"):
            response = await response
        response.headers[HANDLER_HEADER] = name
        return response

    return handler


def new_served_app(**options: Any) -> Sanic[Any, Any]:
    """The helpers' views on an app initialised with SECRET and `options`, with tagged handlers.

    Like `make_app`, but handlers cannot be wrapped once `make_app` has closed the
    initialising block. TOUCHUP (Sanic's start-up code rewriting) is off only because the
    test client starts the app on every request, and it is what makes that slow.
    """
    app = new_app()
    app.config.TOUCHUP = False
    with JWT.initialize(app) as manager:
        manager.config.secret_key = SECRET
        for name, value in options.items():
            setattr(manager.config, name, value)
        for name in HANDLERS:
            setattr(manager.handler, name, _tagged(name, getattr(manager.handler, name)))
    add_views(app)
    return app


_served: dict[str, Sanic[Any, Any]] = {}


def serve(**options: Any) -> Sanic[Any, Any]:
    """`new_served_app(**options)`, built once per module for each set of options: these
    apps hold no state (no blacklist), and building one costs more than a request.

    Not being the app initialised last, it is not the one `JWT.create_access_token` signs
    for outside a request: tests that need the extension's own tokens use a new app."""
    key = repr(sorted(options.items()))
    if key not in _served:
        _served[key] = new_served_app(**options)
    return _served[key]


# Route -> (method, header carrying the token).
ROUTES = {
    "/protected": ("get", "Authorization"),
    "/optional": ("get", "Authorization"),
    "/items": ("get", "Authorization"),
    "/admin": ("get", "Authorization"),
    "/fresh": ("post", "Authorization"),
    "/refresh": ("post", "X-Refresh-Token"),
}


def client(app: Sanic[Any, Any]) -> testing.SanicASGITestClient:
    """One test client per app: each new one adds a middleware to every route of the app,
    which makes the next requests slower and slower."""
    if not hasattr(app.ctx, "test_client"):
        app.ctx.test_client = app.asgi_client
    return app.ctx.test_client


async def send(
    app: Sanic[Any, Any], token: str | bytes, route: str = "/protected"
) -> testing.TestingResponse:
    """Send `token` as `Bearer <token>` (bytes are sent as they are, not as UTF-8 text)."""
    method, header = ROUTES[route]
    value = b"Bearer " + token if isinstance(token, bytes) else f"Bearer {token}"
    _, response = await getattr(client(app), method)(route, headers={header: value})
    return response


def assert_refused(
    response: testing.TestingResponse, status: int, handler: str | Iterable[str]
) -> None:
    handlers = {handler} if isinstance(handler, str) else set(handler)
    assert response.status == status, response.text
    assert response.headers.get(HANDLER_HEADER) in handlers, response.headers
    body = response.json
    assert isinstance(body, dict) and set(body) == {"msg"}, body  # the view never answered
    assert isinstance(body["msg"], str) and body["msg"].strip()


def nested(depth: int) -> bytes:
    """A JSON object holding arrays nested `depth` deep: more than the parser's recursion."""
    return b'{"alg":"HS256","class":"access","x":' + b"[" * depth + b"]" * depth + b"}"


Forgery = Callable[[], str | bytes]


def refused(forgery: Forgery, status: int, handler: str | tuple[str, ...], name: str) -> Any:
    """A row of the tables below: `forgery` is answered `status` by `handler`."""
    return pytest.param(forgery, status, handler, id=name)


async def check(
    forgery: Forgery, status: int, handler: str | tuple[str, ...], **options: Any
) -> None:
    """Send `forgery()` to /protected of the app for `options`: refused as the row says."""
    app = serve(**options)
    assert_refused(await send(app, forgery()), status, handler)


# --- controls: an honest token does reach the view ----------------------------------


async def test_an_honest_token_reaches_the_view() -> None:
    """The refusals below mean something only if the same app lets honest tokens in: its
    own, and those forged here with its secret."""
    new = new_served_app()
    own = JWT.create_access_token("alice")
    for app in (new, serve()):
        for token in (own, forge()):
            response = await send(app, token)
            assert response.status == 200, response.text
            assert response.json["identity"] == "alice"


# --- 1. unsigned tokens and algorithms outside the allow-list ------------------------


@pytest.mark.parametrize(
    ("forgery", "status", "handler"),
    [
        refused(lambda: forge(header(alg="none"), signature=b""), 422, "invalid_token", "none"),
        refused(lambda: forge(header(alg="None"), signature=b""), 422, "invalid_token", "None"),
        refused(lambda: forge(header(alg="NONE"), signature=b""), 422, "invalid_token", "NONE"),
        refused(lambda: forge(header(alg="nOnE"), signature=b""), 422, "invalid_token", "nOnE"),
        # "none" with a valid HMAC of the right secret still names an unsigned algorithm.
        refused(lambda: forge(header(alg="none")), 422, "invalid_token", "none-with-hmac"),
        refused(lambda: forge(header(alg=ABSENT)), 422, "invalid_token", "alg-missing"),
        refused(lambda: forge(header(alg="")), 422, "invalid_token", "alg-empty"),
        refused(lambda: forge(header(alg=None)), 422, "invalid_token", "alg-null"),
        refused(lambda: forge(header(alg=["HS256"])), 422, "invalid_token", "alg-a-list"),
        refused(lambda: forge(header(alg="hs256")), 422, "invalid_token", "alg-lowercase"),
        # Right secret, but an algorithm the app does not list.
        refused(lambda: forge(header(alg="HS384"), mac="HS384"), 422, "invalid_token", "HS384"),
        refused(lambda: forge(header(alg="HS512"), mac="HS512"), 422, "invalid_token", "HS512"),
        refused(lambda: forge(header(alg="RS256")), 422, "invalid_token", "RS256-over-hmac"),
        # An honest token with its signature cut off, as "alg: none" tokens look.
        refused(
            lambda: forge().rsplit(".", 1)[0] + ".",
            422,
            "invalid_token",
            "signature-stripped",
        ),
    ],
)
async def test_unsigned_tokens_and_unlisted_algorithms_are_refused(
    forgery: Forgery, status: int, handler: str
) -> None:
    await check(forgery, status, handler)


@pytest.mark.parametrize(
    ("options", "mac", "status"),
    [
        ({}, "HS256", 200),
        ({}, "HS384", 422),
        ({"decode_algorithms": ["HS256", "HS512"]}, "HS512", 200),
        ({"decode_algorithms": ["HS256", "HS512"]}, "HS384", 422),
        ({"algorithm": "HS512"}, "HS512", 200),
        ({"algorithm": "HS512"}, "HS256", 422),
        ({"algorithm": "HS512", "decode_algorithms": ["HS256", "HS512"]}, "HS256", 200),
    ],
    ids=lambda value: json.dumps(value) if isinstance(value, dict) else str(value),
)
async def test_decode_algorithms_is_the_allow_list(
    options: dict[str, Any], mac: str, status: int
) -> None:
    """Only the listed algorithms verify, even with the right secret."""
    app = serve(**options)
    response = await send(app, forge(header(alg=mac), mac=mac))
    if status == 200:
        assert response.status == 200, response.text
    else:
        assert_refused(response, status, "invalid_token")


# --- 2. the key is the app's, never the token's --------------------------------------


@pytest.mark.parametrize(
    "parameter",
    [
        {"jwk": {"kty": "oct", "k": b64url(SECRET.encode())}},
        {"jku": "https://attacker.example/jwks.json"},
        {"x5u": "https://attacker.example/cert.pem"},
        {"x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]},
    ],
    ids=lambda parameter: next(iter(parameter)),
)
async def test_a_header_that_names_its_own_key_is_refused_even_when_correctly_signed(
    parameter: dict[str, Any],
) -> None:
    """RFC 8725 3.10: a token must not choose the key that verifies it."""
    await check(lambda: forge(header(**parameter)), 422, "invalid_token")


@pytest.mark.parametrize(
    ("forgery", "status", "handler"),
    [
        # RFC 7515 4.1.11: an extension the recipient does not understand must fail.
        refused(lambda: forge(header(crit=["exp"], exp=1)), 422, "invalid_token", "crit-unknown"),
        refused(lambda: forge(header(crit="b64")), 422, "invalid_token", "crit-not-a-list"),
        refused(lambda: forge(header(kid=7)), 422, "invalid_token", "kid-not-a-string"),
        # An unencoded (detached) payload cannot be verified: nothing is detached here.
        refused(
            lambda: forge(header(b64=False, crit=["b64"]), b""),
            422,
            "invalid_token",
            "b64-false",
        ),
    ],
)
async def test_header_parameters_that_change_verification_are_refused(
    forgery: Forgery, status: int, handler: str
) -> None:
    await check(forgery, status, handler)


# --- 3. the token class and the registered claims ----------------------------------


@pytest.mark.parametrize(
    ("forgery", "status", "handler"),
    [
        refused(lambda: forge(header(**{"class": ABSENT})), 422, "jwt_decode_error", "missing"),
        refused(lambda: forge(header(**{"class": None})), 422, "jwt_decode_error", "null"),
        refused(lambda: forge(header(**{"class": "admin"})), 422, "jwt_decode_error", "admin"),
        refused(lambda: forge(header(**{"class": "ACCESS"})), 422, "jwt_decode_error", "ACCESS"),
        refused(lambda: forge(header(**{"class": ["access"]})), 422, "jwt_decode_error", "a-list"),
        refused(
            lambda: forge(header(**{"class": ABSENT}), claims(**{"class": "access"})),
            422,
            "jwt_decode_error",
            "in-the-payload-only",
        ),
        # Non-ASCII look-alikes of "access": a fullwidth a, a Cyrillic a.
        refused(
            lambda: forge(header(**{"class": "\uff41ccess"})), 422, "jwt_decode_error", "fullwidth"
        ),
        refused(
            lambda: forge(header(**{"class": "\u0430ccess"})), 422, "jwt_decode_error", "cyrillic"
        ),
        refused(lambda: forge(header(**{"class": "refresh"})), 422, "wrong_token", "refresh"),
    ],
)
async def test_the_token_class_must_be_access_here(
    forgery: Forgery, status: int, handler: str
) -> None:
    await check(forgery, status, handler)


@pytest.mark.parametrize(
    ("forgery", "status", "handler"),
    [
        # sub: PyJWT 2.10 and later, and the contract, want a string.
        refused(lambda: forge(payload=claims(sub=42)), 422, "jwt_decode_error", "sub-int"),
        refused(lambda: forge(payload=claims(sub=True)), 422, "jwt_decode_error", "sub-bool"),
        refused(lambda: forge(payload=claims(sub=["a"])), 422, "jwt_decode_error", "sub-list"),
        refused(lambda: forge(payload=claims(sub={})), 422, "jwt_decode_error", "sub-object"),
        # jti: a UUID, since revocation is keyed by it.
        refused(
            lambda: forge(payload=claims(jti="not-a-uuid")), 422, "jwt_decode_error", "jti-text"
        ),
        refused(lambda: forge(payload=claims(jti="")), 422, "jwt_decode_error", "jti-empty"),
        refused(lambda: forge(payload=claims(jti=123)), 422, "jwt_decode_error", "jti-int"),
        refused(
            lambda: forge(payload=claims(jti=uuid.uuid4().hex + "00")),
            422,
            "jwt_decode_error",
            "jti-too-long",
        ),
        # Claims the extension reads must have their types too.
        refused(lambda: forge(payload=claims(role=1)), 422, "jwt_decode_error", "role-int"),
        refused(lambda: forge(payload=claims(fresh="yes")), 422, "jwt_decode_error", "fresh-text"),
        refused(lambda: forge(payload=claims(aud=[1])), 422, "jwt_decode_error", "aud-ints"),
        refused(lambda: forge(payload=claims(iss=1)), 422, "jwt_decode_error", "iss-int"),
    ],
)
async def test_ill_typed_claims_are_refused(forgery: Forgery, status: int, handler: str) -> None:
    await check(forgery, status, handler)


@pytest.mark.parametrize("claim", ["sub", "iat", "jti"])
@pytest.mark.parametrize("how", [ABSENT, None], ids=["missing", "null"])
async def test_required_claims_must_be_present(claim: str, how: object) -> None:
    await check(lambda: forge(payload=claims(**{claim: how})), 422, "jwt_decode_error")


async def test_nbf_may_be_absent_but_not_null() -> None:
    """A token without nbf is valid at once (RFC 7519 makes nbf optional)."""
    app = serve()
    response = await send(app, forge(payload=claims(nbf=ABSENT)))
    assert response.status == 200, response.text
    await check(lambda: forge(payload=claims(nbf=None)), 422, "jwt_decode_error")


HUGE = 10**400  # no float holds it; a datetime cannot either


@pytest.mark.parametrize(
    ("changes", "status", "handler"),
    [
        pytest.param({"exp": "soon"}, 422, "jwt_decode_error", id="exp-text"),
        pytest.param({"exp": None}, 422, "jwt_decode_error", id="exp-null"),
        pytest.param({"exp": [1]}, 422, "jwt_decode_error", id="exp-list"),
        pytest.param({"exp": True}, 422, "jwt_decode_error", id="exp-true"),
        pytest.param({"exp": False}, 422, "jwt_decode_error", id="exp-false"),
        pytest.param(
            {"exp": str(int(time.time()) + 600)}, 422, "jwt_decode_error", id="exp-digits"
        ),
        pytest.param({"exp": HUGE}, 422, "jwt_decode_error", id="exp-huge"),
        pytest.param({"exp": 1e300}, 422, "jwt_decode_error", id="exp-1e300"),
        pytest.param({"nbf": "x"}, 422, "jwt_decode_error", id="nbf-text"),
        pytest.param({"nbf": True}, 422, "jwt_decode_error", id="nbf-true"),
        pytest.param({"nbf": HUGE}, 422, "jwt_decode_error", id="nbf-huge"),
        pytest.param({"nbf": -HUGE}, 422, "jwt_decode_error", id="nbf-minus-huge"),
        pytest.param({"iat": "x"}, 422, "jwt_decode_error", id="iat-text"),
        pytest.param({"iat": True}, 422, "jwt_decode_error", id="iat-true"),
        pytest.param({"iat": HUGE}, 422, "jwt_decode_error", id="iat-huge"),
        pytest.param({"iat": -HUGE}, 422, "jwt_decode_error", id="iat-minus-huge"),
        # For contrast: a well-typed exp in the past is the 401 of an expired token.
        pytest.param({"exp": 1}, 401, "expired_signature", id="exp-past"),
    ],
)
async def test_time_claims_must_be_numbers_of_seconds(
    changes: dict[str, Any], status: int, handler: str
) -> None:
    await check(lambda: forge(payload=claims(**changes)), status, handler)


async def test_non_finite_exp_is_refused() -> None:
    """`Infinity` is not JSON, but Python's parser reads it; it must still be a 422."""
    payload = json.dumps(claims(exp=float("inf"))).encode()
    assert b"Infinity" in payload
    await check(lambda: forge(payload=payload), 422, ("invalid_token", "jwt_decode_error"))


# --- 4. what is not a compact JWS at all --------------------------------------------


@pytest.mark.parametrize(
    ("forgery", "status", "handler"),
    [
        # Not three segments.
        refused(lambda: "abc", 422, "invalid_token", "one-segment"),
        refused(lambda: "abc.def", 422, "invalid_token", "two-segments"),
        refused(lambda: forge() + ".e30", 422, "invalid_token", "four-segments"),
        refused(lambda: "a.b.c.d.e", 422, "invalid_token", "five-segments-like-a-JWE"),
        refused(lambda: "..", 422, "invalid_token", "empty-segments"),
        refused(lambda: forge().replace(".", "..", 1), 422, "invalid_token", "doubled-dot"),
        # Segments that are not base64url.
        refused(lambda: "!!!!.!!!!.!!!!", 422, "invalid_token", "punctuation"),
        refused(lambda: "e30+.e30/.abc+", 422, "invalid_token", "standard-base64-alphabet"),
        refused(lambda: "eyJhbGciOiJIUzI1NiJ9x.e30.abc", 422, "invalid_token", "length-4n+1"),
        refused(lambda: "e3=0.e30.abc", 422, "invalid_token", "padding-inside"),
        # Header segment: not JSON, or JSON but not an object, or not UTF-8.
        refused(lambda: forge(b"not json"), 422, "invalid_token", "header-not-json"),
        refused(lambda: forge(b"[]"), 422, "invalid_token", "header-array"),
        refused(lambda: forge(b'"HS256"'), 422, "invalid_token", "header-string"),
        refused(lambda: forge(b"null"), 422, "invalid_token", "header-null"),
        refused(lambda: forge(b"42"), 422, "invalid_token", "header-number"),
        refused(lambda: forge(b""), 422, "invalid_token", "header-empty"),
        refused(
            lambda: forge(b'{"alg":"HS256","class":"\xff"}'),
            422,
            "invalid_token",
            "header-not-utf8",
        ),
        refused(lambda: forge(nested(50_000)), 422, "invalid_token", "header-nested-deep"),
        refused(
            lambda: forge(b'{"alg":"HS256","n":' + b"9" * 5000 + b"}"),
            422,
            "invalid_token",
            "header-5000-digit-number",
        ),
        # Payload segment, correctly signed: not JSON, or not an object.
        refused(lambda: forge(payload=b"not json"), 422, "invalid_token", "payload-not-json"),
        refused(lambda: forge(payload=b"[]"), 422, "invalid_token", "payload-array"),
        refused(lambda: forge(payload=b'"alice"'), 422, "invalid_token", "payload-string"),
        refused(lambda: forge(payload=b"null"), 422, "invalid_token", "payload-null"),
        refused(lambda: forge(payload=b""), 422, "invalid_token", "payload-empty"),
        refused(lambda: forge(payload=b'{"sub":"\xff"}'), 422, "invalid_token", "payload-not-utf8"),
        refused(
            lambda: forge(payload=b"[" * 50_000 + b"]" * 50_000),
            422,
            "invalid_token",
            "payload-nested-deep",
        ),
    ],
)
async def test_what_is_not_a_compact_jws_is_a_422_never_a_500(
    forgery: Forgery, status: int, handler: str
) -> None:
    await check(forgery, status, handler)


@pytest.mark.parametrize(
    "value",
    ["Bearer", "Bearer a.b.c d.e.f", "Token abc.def.ghi", "abc.def.ghi"],
    ids=["no-token", "two-tokens", "other-scheme", "no-scheme"],
)
async def test_an_authorization_header_not_of_the_form_bearer_jwt_is_a_422(value: str) -> None:
    app = serve()
    _, response = await client(app).get("/protected", headers={"Authorization": value})
    assert_refused(response, 422, "invalid_header")


# --- 5. huge tokens and non-ASCII ----------------------------------------------------

MEGABYTE = 1 << 20


@pytest.mark.parametrize(
    "forgery",
    [
        lambda: forge(payload=claims(pad="x" * MEGABYTE), key="not the secret"),
        lambda: forge(header(pad="x" * MEGABYTE), key="not the secret"),
        lambda: forge(signature=b"\0" * MEGABYTE),
        lambda: "A" * (MEGABYTE + 1),
    ],
    ids=["payload", "header", "signature", "one-segment"],
)
async def test_a_megabyte_sized_forgery_is_refused_quickly(forgery: Forgery) -> None:
    app = serve()
    token = forgery()
    assert len(token) > MEGABYTE
    started = time.perf_counter()
    assert_refused(await send(app, token), 422, "invalid_token")
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    ("forgery", "handler"),
    [
        # In the HTTP header, around the token (sent as UTF-8 bytes).
        (lambda: forge().encode() + "\u00e9".encode(), "invalid_token"),
        (lambda: "\u00e9".encode() + forge().encode(), "invalid_token"),
        # In the JOSE header, as UTF-8 or as JSON escapes: look-alikes of "HS256", "none".
        (lambda: forge(header(alg="HS\uff12\uff15\uff16")), "invalid_token"),
        (lambda: forge(header(alg="n\u043ene")), "invalid_token"),
        (lambda: forge(json.dumps(header(alg="n\u043ene")).encode()), "invalid_token"),
        (lambda: forge(header(**{"class": "acc\u00e8s"})), "jwt_decode_error"),
    ],
    ids=[
        "utf8-after-token",
        "utf8-before-token",
        "alg-fullwidth-digits",
        "alg-cyrillic-o",
        "alg-cyrillic-o-escaped",
        "class-accented",
    ],
)
async def test_non_ascii_in_the_token_or_its_header_is_refused(
    forgery: Forgery, handler: str
) -> None:
    await check(forgery, 422, handler)


NOT_UTF8 = b"\xff"


def _cookie(token: str) -> bytes:
    return f"access_token_cookie={token}".encode()


@pytest.mark.parametrize(
    ("location", "method", "request_headers", "status", "handlers"),
    [
        pytest.param(
            "header",
            "get",
            lambda: {"Authorization": b"Bearer " + forge().encode() + NOT_UTF8},
            422,
            ("invalid_token", "invalid_header"),
            id="authorization-header",
        ),
        pytest.param(
            "cookies",
            "get",
            lambda: {"Cookie": _cookie(forge()) + NOT_UTF8},
            422,
            ("invalid_token", "invalid_header"),
            id="cookie",
        ),
        pytest.param(
            "cookies",
            "post",
            lambda: {
                "Cookie": _cookie(forge(payload=claims(csrf="abc"))),
                "X-CSRF-Token": NOT_UTF8,
            },
            401,
            ("csrf_error",),
            id="csrf-header",
        ),
    ],
)
async def test_bytes_that_are_not_utf8_are_refused_not_a_500(
    location: str,
    method: str,
    request_headers: Callable[[], dict[str, bytes]],
    status: int,
    handlers: tuple[str, ...],
) -> None:
    """Sanic decodes header bytes with surrogateescape; a JWS (and a CSRF value) is ASCII,
    so anything else is simply not one. Anyone can send `Authorization: Bearer \\xff`."""
    app = serve(token_location=(location,))
    request = getattr(client(app), method)
    _, response = await request("/protected", headers=request_headers())
    assert_refused(response, status, handlers)


async def test_bytes_that_are_not_utf8_in_the_query_string_are_a_422() -> None:
    app = serve(token_location=("query",))
    _, response = await client(app).get(f"/protected?jwt={forge()}%ff%fe")
    assert_refused(response, 422, "invalid_token")


# --- 6. tampering: flipped bytes, non-canonical base64url ------------------------


def _segment_positions(token: str, segment: int) -> range:
    """Positions of segment 0, 1 or 2, each with the dot that follows it."""
    dots = [index for index, char in enumerate(token) if char == "."]
    bounds = [0, dots[0] + 1, dots[1] + 1, len(token)]
    return range(bounds[segment], bounds[segment + 1])


def _flip(token: str, position: int) -> str:
    """The lowest bit of one character flipped: most base64url characters stay in the
    alphabet, and a dot becomes a slash."""
    return token[:position] + chr(ord(token[position]) ^ 1) + token[position + 1 :]


async def _not_refused(
    app: Sanic[Any, Any], tokens: Mapping[Any, str], route: str = "/protected"
) -> dict[Any, tuple[int, str]]:
    """Those of `tokens` not answered with a 422 of invalid_token holding a lone "msg"."""
    wrong = {}
    for label, token in tokens.items():
        response = await send(app, token, route)
        if (
            response.status != 422
            or response.headers.get(HANDLER_HEADER) != "invalid_token"
            or set(response.json) != {"msg"}
        ):
            wrong[label] = (response.status, response.text)
    return wrong


# Every position of the header and the signature; the payload, being longer and alike all
# along, is sampled (each request restarts the app in the test client, about 10 ms).
@pytest.mark.parametrize(
    ("segment", "step"), [(0, 1), (1, 7), (2, 1)], ids=["header", "payload", "signature"]
)
async def test_flipped_bytes_of_a_real_token_are_refused(segment: int, step: int) -> None:
    app = new_served_app()
    token = JWT.create_access_token("alice")
    span = _segment_positions(token, segment)
    positions = sorted({*span[::step], *span[-3:]})  # the tail and its dot always
    assert len(positions) > 10
    flipped = {position: _flip(token, position) for position in positions}
    assert await _not_refused(app, flipped) == {}
    assert (await send(app, token)).status == 200  # the unflipped token still works


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _non_canonical_spellings(token: str, segment: int) -> list[str]:
    """`token` with the last character of `segment` changed only in its unused low bits:
    lenient base64 decoders read the same bytes, so a signature could be re-spelt."""
    parts = token.split(".")
    text = parts[segment]
    unused_bits = (6 * len(text)) % 8
    value = _ALPHABET.index(text[-1])
    spellings = []
    for low_bits in range(1, 1 << unused_bits):
        parts[segment] = text[:-1] + _ALPHABET[value ^ low_bits]
        spellings.append(".".join(parts))
    return spellings


@pytest.mark.parametrize("segment", [0, 1, 2], ids=["header", "payload", "signature"])
async def test_a_segment_spelt_with_non_canonical_base64url_is_refused(segment: int) -> None:
    """The unused low bits of a segment's last character must be zero (RFC 4648 3.5):
    a lenient decoder would accept up to four spellings of one signature."""
    app = new_served_app()
    # A segment with unused bits: the header's length is the same for every token of a
    # type, so the other type is tried too; the payload's varies with `iat`.
    token, route = next(
        (token, route)
        for _ in range(50)
        for token, route in (
            (JWT.create_access_token("alice"), "/protected"),
            (JWT.create_refresh_token("alice"), "/refresh"),
        )
        if (6 * len(token.split(".")[segment])) % 8 > 0
    )
    spellings = _non_canonical_spellings(token, segment)
    assert spellings
    assert await _not_refused(app, dict(enumerate(spellings)), route) == {}


# --- 7. RS256: key confusion and tokens that bring their own key ------------------


@cache
def rsa_key(which: str) -> rsa.RSAPrivateKey:
    """The app's RSA key, or the attacker's: generated once per module (it is slow)."""
    assert which in ("app", "attacker")
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(which: str = "app") -> str:
    return (
        rsa_key(which)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def public_bytes(
    encoding: serialization.Encoding = serialization.Encoding.PEM,
    format: serialization.PublicFormat = serialization.PublicFormat.SubjectPublicKeyInfo,
    which: str = "app",
) -> bytes:
    return rsa_key(which).public_key().public_bytes(encoding, format)


def public_jwk(which: str = "app") -> dict[str, Any]:
    algorithm = jwt.algorithms.RSAAlgorithm(jwt.algorithms.RSAAlgorithm.SHA256)
    return algorithm.to_jwk(rsa_key(which).public_key(), as_dict=True)


def rsa_options(**extra: Any) -> dict[str, Any]:
    # serve() also sets secret_key=SECRET: an RS256 app must ignore it.
    return {
        "algorithm": "RS256",
        "private_key": private_pem(),
        "public_key": public_bytes().decode(),
        **extra,
    }


def signed(algorithm: str, which: str = "app", **parameters: Any) -> str:
    return jwt.encode(
        claims(),
        rsa_key(which),  # the key object: parsing a PEM costs more than signing
        algorithm=algorithm,
        headers={"class": "access", **parameters},
    )


async def test_honest_rs256_tokens_reach_the_view() -> None:
    new = new_served_app(**rsa_options())
    own = JWT.create_access_token("alice")
    for app in (new, serve(**rsa_options())):
        for token in (own, signed("RS256")):
            response = await send(app, token)
            assert response.status == 200, response.text
            assert response.json["identity"] == "alice"


@pytest.mark.parametrize(
    ("mac", "secret"),
    [
        pytest.param("HS256", lambda: public_bytes(), id="HS256-pem-as-configured"),
        pytest.param("HS512", lambda: public_bytes(), id="HS512-pem-as-configured"),
        pytest.param("HS256", lambda: public_bytes().strip(), id="HS256-pem-stripped"),
        pytest.param(
            "HS256",
            lambda: public_bytes(format=serialization.PublicFormat.PKCS1),
            id="HS256-pkcs1-pem",
        ),
        pytest.param("HS256", lambda: public_bytes(serialization.Encoding.DER), id="HS256-der"),
        pytest.param("HS256", lambda: json.dumps(public_jwk()).encode(), id="HS256-jwk-json"),
        # serve() sets secret_key too: an RS256 app must not fall back on it.
        pytest.param("HS256", lambda: SECRET.encode(), id="HS256-leftover-secret_key"),
    ],
)
async def test_key_confusion_hmac_with_the_public_key_is_refused(
    mac: str, secret: Callable[[], bytes]
) -> None:
    """The classic attack: the RS256 public key, which is public, used as an HMAC secret."""
    forgery = forge(header(alg=mac), key=secret(), mac=mac)
    await check(lambda: forgery, 422, "invalid_token", **rsa_options())


@pytest.mark.parametrize(
    ("forgery", "status", "handler"),
    [
        refused(lambda: forge(header(alg="none"), signature=b""), 422, "invalid_token", "none"),
        # The app's own key, embedded and used: refused for embedding it.
        refused(
            lambda: signed("RS256", jwk=public_jwk()), 422, "invalid_token", "jwk-the-apps-key"
        ),
        refused(
            lambda: signed("RS256", "attacker", jwk=public_jwk("attacker")),
            422,
            "invalid_token",
            "jwk-the-attackers-key",
        ),
        refused(
            lambda: signed("RS256", jku="https://attacker.example/jwks.json"),
            422,
            "invalid_token",
            "jku",
        ),
        refused(
            lambda: signed("RS256", x5u="https://attacker.example/cert.pem"),
            422,
            "invalid_token",
            "x5u",
        ),
        refused(lambda: signed("RS256", x5c=["MIIB"]), 422, "invalid_token", "x5c"),
        refused(lambda: signed("RS256", "attacker"), 422, "invalid_token", "another-key"),
        # The right key, but not a listed algorithm.
        refused(lambda: signed("RS512"), 422, "invalid_token", "RS512-unlisted"),
        refused(lambda: signed("PS256"), 422, "invalid_token", "PS256-unlisted"),
    ],
)
async def test_rs256_refuses_forgeries(forgery: Forgery, status: int, handler: str) -> None:
    await check(forgery, status, handler, **rsa_options())


async def test_rs256_accepts_what_decode_algorithms_adds() -> None:
    app = serve(**rsa_options(decode_algorithms=["RS256", "RS512", "PS256"]))
    for algorithm in ("RS512", "PS256"):
        response = await send(app, signed(algorithm))
        assert response.status == 200, (algorithm, response.text)
    assert_refused(await send(app, signed("PS512")), 422, "invalid_token")


async def test_flipped_bytes_of_an_rs256_token_are_refused() -> None:
    """A sample of positions across the whole token (the RSA signature alone is 342 chars)."""
    app = new_served_app(**rsa_options())
    token = JWT.create_access_token("alice")
    positions = sorted({*range(0, len(token), 37), *range(len(token) - 3, len(token))})
    flipped = {position: _flip(token, position) for position in positions}
    assert await _not_refused(app, flipped) == {}
    assert (await send(app, token)).status == 200


# --- 8. every decorator refuses, none passes a forgery on --------------------------


def _refresh_header(**changes: Any) -> dict[str, Any]:
    return header(**{"class": "refresh", **changes})


@pytest.mark.parametrize("route", ["/optional", "/items", "/admin", "/fresh", "/refresh"])
async def test_every_decorator_refuses_forgeries(route: str) -> None:
    """jwt_optional included: an invalid token is an error there, not `token=None`."""
    make_header = _refresh_header if route == "/refresh" else header
    payload = claims(role="ADMIN", fresh=True)
    forgeries = {
        "alg-none": forge(make_header(alg="none"), payload, signature=b""),
        "wrong-secret": forge(make_header(), payload, key=SECRET[::-1]),
        "jwk": forge(make_header(jwk={"kty": "oct", "k": b64url(SECRET.encode())}), payload),
        "not-a-jws": "abc.def",
    }
    app = serve(use_acl=True)
    assert (await send(app, forge(make_header(), payload), route)).status == 200  # reachable
    for attack, forgery in forgeries.items():
        response = await send(app, forgery, route)
        assert response.headers.get(HANDLER_HEADER) == "invalid_token", (attack, response.text)
        assert_refused(response, 422, "invalid_token")
