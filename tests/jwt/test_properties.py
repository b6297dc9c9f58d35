"""Properties of the extension, each checked on many generated cases (hypothesis).

1. Claims round-trip: whatever JSON a caller puts in `private_claims` and `public_claims`
   comes back exactly from `Token(raw)` (here `TokenManager.decode(raw)`: the same, with
   that manager's options), in both token types, with or without a prefix and a
   namespace; claims that could not come back are refused when the token is made.
2. No claim name, however built, overwrites what the extension writes itself: the
   registered claims, the role, `fresh`, `csrf`, `type`, the family or the key id. A
   name that would is refused with ConfigurationConflictError; any other is harmless.
3. Whatever is sent as a bearer token is answered from the error table (401 or 422 with
   a lone "msg"; with `rfc6750_errors`, a 401 naming `invalid_token` or
   `invalid_request`), never a 500.
4. `revoke_all` refuses exactly the tokens of its subject dated at or before it, and the
   date of a token is never after the moment it was issued for.

The runs are fixed (`derandomize`) and bounded, so the same cases are tried on every run.
"""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any, Literal
from unittest import mock

import jwt
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sanic import Sanic
from sanic_testing import testing

from sanic_jwt_extended import TokenManager
from sanic_jwt_extended.blacklist import InMemoryBlacklist
from sanic_jwt_extended.exceptions import ConfigurationConflictError

from .helpers import ABSENT, HMACS, SECRET, b64url, build_app, claims, forge, header

# Fixed and bounded: the same cases on every run, no example database left behind.
bounded = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

TokenKind = Literal["access", "refresh"]
KINDS: tuple[TokenKind, ...] = ("access", "refresh")


@cache
def manager(
    prefix: str = "",
    namespace: str = "",
    *,
    acl_claim: str = "role",
    cookies: bool = False,
) -> TokenManager:
    """A manager of the given claim options (no app), made once for each."""
    with TokenManager.configure() as made:
        made.config.secret_key = SECRET
        made.config.private_claim_prefix = prefix
        made.config.public_claim_namespace = namespace
        made.config.use_acl = True
        made.config.acl_claim = acl_claim
        made.config.token_location = ("header", "cookies") if cookies else ("header",)
    return made


def create(tokens: TokenManager, kind: TokenKind, identity: Any, **options: Any) -> str:
    if kind == "access":
        return tokens.create_access_token(identity, **options)
    return tokens.create_refresh_token(identity, **options)


def canonical(value: Any) -> str:
    """JSON with sorted keys: equal only for values equal in kind too (`True` is not `1`,
    `1.0` is not `1`, `-0.0` is not `0.0`)."""
    return json.dumps(value, sort_keys=True)


# --- 1. claims round-trip -------------------------------------------------------------

# JSON's limits: finite floats, string keys, ints of fewer than Python's 4300 digits.
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**60), max_value=10**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)


ANY_KEYS = st.text(max_size=6)


def json_values(keys: st.SearchStrategy[str] = ANY_KEYS) -> st.SearchStrategy[Any]:
    """Any JSON value, objects keyed by `keys`."""
    return st.recursive(
        json_scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
        max_leaves=8,
    )


# What the extension writes in every token, or may: no claim of the caller's is stored
# under these names (1.0's `type`, too: 1.0 readers take the token type from it).
EXTENSION_WRITES = frozenset(
    {"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "fresh", "csrf", "type", "family", "role"}
)
PREFIXES = ("", "stores_api")
NAMESPACES = ("", "https://example.com/")

# Ordinary names: not empty, no "/" (public claims are flattened into /-separated paths),
# none of the extension's own.
ordinary_names = st.text(st.characters(exclude_characters="/"), min_size=1, max_size=10).filter(
    lambda name: name not in EXTENSION_WRITES and not name.startswith(NAMESPACES[1])
)


def public_trees(keys: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Public claims: JSON objects of objects, keyed by `keys` at every level."""
    return st.dictionaries(keys, json_values(keys), max_size=4)


@settings(bounded, max_examples=150)
@given(
    prefix=st.sampled_from(PREFIXES),
    namespace=st.sampled_from(NAMESPACES),
    kind=st.sampled_from(KINDS),
    private=st.dictionaries(ordinary_names, json_values(), max_size=4),
    public=public_trees(ordinary_names),
)
def test_ordinary_claims_come_back_exactly(
    prefix: str, namespace: str, kind: TokenKind, private: dict[str, Any], public: dict[str, Any]
) -> None:
    """Claims of ordinary names are never refused, and `Token` gives each back as it was
    given: same names, same nesting, same values of the same JSON types."""
    tokens = manager(prefix, namespace)
    public = public if namespace else {}  # public claims need the namespace
    raw = create(tokens, kind, "alice", private_claims=private, public_claims=public)
    token = tokens.decode(raw)
    assert canonical(token.private_claims) == canonical(private)
    assert canonical(token.public_claims) == canonical(public)


# Names meant to break the naming scheme: empty, with "/", those of reserved claims, or
# equal to (or starting with) the prefix or the namespace, in any combination.
tricky_fragments = st.sampled_from(
    ["", "/", "_", "a", "sub", "role", "app", "app_", "s", "https://example.com/"]
)
tricky_names = st.text(max_size=6) | st.lists(tricky_fragments, max_size=3).map("".join)
tricky_prefixes = st.sampled_from(["", "app", "stores_api", "s", "role"]) | st.text(max_size=3)
tricky_namespaces = st.sampled_from(["", "app", "app_", "s", "https://example.com/"]) | st.text(
    max_size=3
)


@settings(bounded, max_examples=300)
@given(
    prefix=tricky_prefixes,
    namespace=tricky_namespaces,
    kind=st.sampled_from(KINDS),
    private=st.dictionaries(tricky_names, json_values(tricky_names), max_size=3),
    public=public_trees(tricky_names),
)
# What this property found, before claims.py refused such names: a "/" split into a nested
# path; an empty name lost; a public claim read as private, a private one as public; and
# the extension's own `sub` read as the public claim "ub" under the namespace "s".
@example(prefix="", namespace="https://example.com/", kind="access", private={}, public={"a/b": 1})
@example(prefix="", namespace="https://example.com/", kind="access", private={}, public={"": 1})
@example(prefix="app", namespace="", kind="access", private={"": 1}, public={})
@example(prefix="app", namespace="app_", kind="refresh", private={}, public={"x": 1})
@example(prefix="", namespace="app", kind="access", private={"apple": 1}, public={})
@example(prefix="", namespace="s", kind="access", private={}, public={})
def test_any_claims_come_back_exactly_or_are_refused(
    prefix: str, namespace: str, kind: TokenKind, private: dict[str, Any], public: dict[str, Any]
) -> None:
    """Whatever the names, prefix and namespace, a token is never made with claims that
    would read back otherwise: a name that would be lost, read as the other kind of claim,
    or split into a nested path is refused with ConfigurationConflictError."""
    tokens = manager(prefix, namespace)
    public = public if namespace else {}
    try:
        raw = create(tokens, kind, "alice", private_claims=private, public_claims=public)
    except ConfigurationConflictError:
        return
    token = tokens.decode(raw)
    assert canonical(token.private_claims) == canonical(private)
    assert canonical(token.public_claims) == canonical(public)


# --- 2. no claim overwrites the extension's ---------------------------------------------

# The names that matter to whoever reads a token: the registered claims, the extension's,
# the JOSE header's (which claims never reach, but a reader might look for in the payload)
# and the usual roles' claims.
MATTERING = (
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "type",
    "class",
    "fresh",
    "csrf",
    "family",
    "fam",
    "kid",
    "alg",
    "typ",
    "role",
    "permission",
    "role_admin",
)
CSRF_VALUE = re.compile(r"[A-Za-z0-9_-]{22}")  # secrets.token_urlsafe(16)
FORGED_VALUES = st.sampled_from(
    ["forged", "ADMIN", "", True, False, 0, 1, 4_102_444_800, 1.5, ["ADMIN"], {"k": "v"}]
)


@dataclass(frozen=True)
class ClaimOptions:
    prefix: str
    namespace: str
    acl_claim: str
    cookies: bool

    def manager(self) -> TokenManager:
        return manager(self.prefix, self.namespace, acl_claim=self.acl_claim, cookies=self.cookies)


claim_options = st.builds(
    ClaimOptions,
    prefix=st.sampled_from(["", "stores_api", "role", "sub", "fresh", "f"]),
    namespace=st.sampled_from(["", "https://example.com/", "s", "r", "f", "fresh"]),
    acl_claim=st.sampled_from(["role", "permission", "role_admin"]),
    cookies=st.booleans(),
)


def names_aimed_at(target: str, options: ClaimOptions) -> list[str]:
    """Names built to land on `target`: as they are, in other cases, around underscores,
    prefixed, and the private key or public path that is stored as `target` exactly."""
    names = [target, target.upper(), target.capitalize(), f"_{target}", f"{target}_"]
    names += [f"{options.prefix}_{target}", f"{target}/x", f"x/{target}"]
    start = f"{options.prefix}_"
    if options.prefix and target.startswith(start):
        names.append(target[len(start) :])
    if options.namespace and target.startswith(options.namespace):
        names.append(target[len(options.namespace) :])
    return names


@st.composite
def forging_claims(draw: st.DrawFn, options: ClaimOptions) -> dict[str, Any]:
    """Claims whose names aim at what matters, or are any text at all."""
    targets = (*MATTERING, options.acl_claim, options.prefix, options.namespace)
    aimed = st.sampled_from(targets).flatmap(
        lambda target: st.sampled_from(names_aimed_at(target, options))
    )
    return draw(st.dictionaries(aimed | st.text(max_size=8), FORGED_VALUES, max_size=4))


@dataclass(frozen=True)
class Call:
    """What one `create_*_token` call sets, besides the claims."""

    kind: TokenKind
    identity: str | int
    role: str | None
    fresh: bool | None
    expires_delta: timedelta | Literal[False] | None
    iss: str | None
    aud: str | list[str] | None
    family: str | None

    def options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "role": self.role,
            "expires_delta": self.expires_delta,
            "iss": self.iss,
            "aud": self.aud,
            "family": self.family,
        }
        if self.kind == "access":
            options["fresh"] = self.fresh
        return options

    def lifetime(self) -> timedelta | None:
        """The lifetime asked for, or the configured default (15 minutes, 30 days)."""
        if self.expires_delta is False:
            return None
        if self.expires_delta is not None:
            return self.expires_delta
        return timedelta(minutes=15) if self.kind == "access" else timedelta(days=30)


calls = st.builds(
    Call,
    kind=st.sampled_from(KINDS),
    identity=st.text(max_size=8) | st.integers(),
    role=st.none() | st.sampled_from(["ADMIN", "USER"]),
    fresh=st.none() | st.booleans(),
    expires_delta=st.none()
    | st.just(False)
    | st.integers(1, 10**7).map(lambda seconds: timedelta(seconds=seconds)),
    iss=st.none() | st.sampled_from(["", "https://issuer.example"]),
    aud=st.none() | st.sampled_from(["", "api", []]) | st.lists(st.text(max_size=4), max_size=2),
    family=st.none() | st.text(max_size=8),
)


@cache
def key_id(options: ClaimOptions) -> str:
    """The `kid` the extension writes: that of a token made without any claims."""
    kid: str = jwt.get_unverified_header(options.manager().create_access_token("x"))["kid"]
    return kid


@settings(bounded, max_examples=250)
@given(options=claim_options, call=calls, data=st.data())
def test_no_claim_name_overwrites_what_the_extension_writes(
    options: ClaimOptions, call: Call, data: st.DataObject
) -> None:
    """Private and public claims named after a registered claim, the role's claim, `fresh`,
    `csrf`, `type`, the family or the key id, spelt so that their stored names land on it,
    are refused; any other name leaves the token saying what the call said."""
    tokens = options.manager()
    private = data.draw(forging_claims(options), label="private")
    public = data.draw(forging_claims(options), label="public") if options.namespace else {}
    before = time.time()
    try:
        raw = create(
            tokens,
            call.kind,
            call.identity,
            private_claims=private,
            public_claims=public,
            **call.options(),
        )
    except ConfigurationConflictError:
        return  # refused: nothing was forged
    after = time.time()
    token = tokens.decode(raw)

    assert token.type == call.kind
    assert jwt.get_unverified_header(raw) == {
        "alg": "HS256",
        "typ": "JWT",
        "class": call.kind,
        "kid": key_id(options),
    }
    assert token.identity == token.sub == str(call.identity)
    assert token.role == call.role
    assert token.fresh == (call.fresh if call.kind == "access" else None)
    assert token.family == call.family
    assert token.iss == (call.iss or None)
    assert token.aud == (call.aud or None)
    if options.cookies:  # csrf_protect is on by default
        assert token.csrf is not None and CSRF_VALUE.fullmatch(token.csrf)
    else:
        assert token.csrf is None
    assert "type" not in token.raw_data
    assert before - 1e-6 <= token.issued_at <= after
    assert token.raw_data["nbf"] == token.raw_data["iat"]
    lifetime = call.lifetime()
    if lifetime is None:
        assert "exp" not in token.raw_data
    else:
        assert token.raw_data["exp"] == token.raw_data["iat"] + lifetime.total_seconds()
    assert uuid.UUID(hex=token.raw_data["jti"]).version == 4
    # And what was not refused is the caller's, untouched.
    assert canonical(token.private_claims) == canonical(private)
    assert canonical(token.public_claims) == canonical(public)


# --- 3. any bearer token is answered from the error table ----------------------------

ROUTES = {"/protected": ("get", "Authorization"), "/refresh": ("post", "X-Refresh-Token")}
RFC6750_CHALLENGE = re.compile(r'Bearer error="(invalid_token|invalid_request)"(, |$)')


@dataclass
class Served:
    app: Sanic[Any, Any]
    client: testing.SanicASGITestClient
    requests: int = 0


_served: dict[bool, Served] = {}
REQUESTS_PER_APP = 25


def served(*, rfc6750_errors: bool) -> tuple[Sanic[Any, Any], testing.SanicASGITestClient]:
    """The helpers' views on an app without a blacklist (so holding no state) and its
    one test client, made again every REQUESTS_PER_APP requests: the test client starts
    the app for each request, and each start leaves every later request slower."""
    current = _served.get(rfc6750_errors)
    if current is None or current.requests >= REQUESTS_PER_APP:
        app = build_app(rfc6750_errors=rfc6750_errors)
        current = _served[rfc6750_errors] = Served(app, app.asgi_client)
    current.requests += 1
    return current.app, current.client


async def send_bearer(
    client: testing.SanicASGITestClient, route: str, token: str | bytes
) -> testing.TestingResponse:
    """`token` sent to `route` as `Bearer <token>` (bytes as they are, not as text)."""
    method, name = ROUTES[route]
    value = b"Bearer " + token if isinstance(token, bytes) else f"Bearer {token}"
    _, response = await getattr(client, method)(route, headers={name: value})
    return response


async def assert_answered_from_the_table(
    route: str, token: str | bytes, *, rfc6750_errors: bool
) -> None:
    """`token` is let through only if the app's own verification accepts it; otherwise
    it is answered with a status of the error table, its challenge, and a body that is
    exactly `{"msg": "..."}` (so the view never ran), never with a 500."""
    app, client = served(rfc6750_errors=rfc6750_errors)
    response = await send_bearer(client, route, token)
    if response.status == 200:  # an honest token after all: the view answered
        assert isinstance(token, str)
        verified = TokenManager.of(app).decode(token)
        assert verified.type == ("refresh" if route == "/refresh" else "access")
        assert response.json["identity"] == verified.identity
        return
    assert response.status in ((401,) if rfc6750_errors else (401, 422)), response.text
    body = response.json
    assert isinstance(body, dict) and set(body) == {"msg"}, body
    assert isinstance(body["msg"], str) and body["msg"].strip()
    challenge = response.headers.get("WWW-Authenticate", "")
    if rfc6750_errors:
        assert RFC6750_CHALLENGE.match(challenge), challenge
    elif response.status == 401:
        assert challenge.startswith("Bearer"), challenge
    else:
        assert not challenge


# The JWS alphabet, and the characters a careless encoder adds: padding, standard base64.
B64URLISH = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/"

garbage = st.one_of(
    # Printable ASCII without spaces: any text a header can carry as it is.
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1),
    # Any bytes but whitespace and control bytes, UTF-8 or not.
    st.binary(min_size=1).map(lambda data: bytes(b for b in data if b > 0x20 and b != 0x7F)),
    # Any text but whitespace, as its UTF-8 bytes.
    st.text(st.characters(exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), min_size=1).map(
        str.encode
    ),
    # Dotted segments of base64url, or nearly.
    st.lists(st.text(B64URLISH, max_size=24), min_size=1, max_size=5).map(".".join),
    # Dotted segments of base64url JSON, unsigned.
    st.lists(
        json_values().map(lambda value: b64url(json.dumps(value).encode())),
        min_size=1,
        max_size=4,
    ).map(".".join),
)

ERROR_MODES = pytest.mark.parametrize(
    "rfc6750_errors", [False, True], ids=["1.0-statuses", "rfc6750"]
)


@ERROR_MODES
@settings(bounded, max_examples=100)
@given(route=st.sampled_from(sorted(ROUTES)), token=garbage)
async def test_any_text_or_bytes_as_a_token_is_answered_from_the_error_table(
    rfc6750_errors: bool, route: str, token: str | bytes
) -> None:
    await assert_answered_from_the_table(route, token, rfc6750_errors=rfc6750_errors)


# JSON as attackers write it: NaN and infinities too, which Python's parser reads.
any_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
HEADER_PARAMETERS = ["alg", "typ", "class", "kid", "crit", "b64", "jwk", "jku", "x5u", "x5c"]
ALGORITHMS = ["HS256", "HS384", "HS512", "hs256", "none", "RS256", "ES256", "EdDSA", ""]
CLASSES = ["access", "refresh", "ACCESS", "admin", ""]
CLAIMS = ["sub", "iat", "nbf", "exp", "jti", "iss", "aud", "role", "fresh", "csrf", "family"]
YEAR_2100 = 4_102_444_800  # time claims from 1970 to 2100: past, present and future


@st.composite
def tampered_tokens(draw: st.DrawFn) -> str:
    """An honest token's header and claims, a few of them changed, dropped or of the
    wrong type, signed with the app's own secret (and the header's HMAC, if it names
    one), so that only what the token says can refuse it."""
    head = header(
        **draw(
            st.dictionaries(
                st.sampled_from(HEADER_PARAMETERS) | st.text(max_size=4),
                st.sampled_from([*ALGORITHMS, *CLASSES]) | any_json | st.just(ABSENT),
                max_size=2,
            )
        )
    )
    payload = claims(
        **draw(
            st.dictionaries(
                st.sampled_from(CLAIMS) | st.text(max_size=4),
                any_json | st.integers(0, YEAR_2100) | st.just(ABSENT),
                max_size=3,
            )
        )
    )
    alg = head.get("alg")
    return forge(head, payload, mac=alg if isinstance(alg, str) and alg in HMACS else "HS256")


# Any JSON object, or any bytes, as header and payload, signed with the app's secret.
arbitrary_jws = st.builds(
    forge,
    st.dictionaries(st.text(max_size=4), any_json) | st.binary(max_size=32),
    st.dictionaries(st.text(max_size=4), any_json) | st.binary(max_size=32),
)


@ERROR_MODES
@settings(bounded, max_examples=150)
@given(route=st.sampled_from(sorted(ROUTES)), token=tampered_tokens() | arbitrary_jws)
async def test_any_token_forged_with_the_right_secret_is_answered_from_the_error_table(
    rfc6750_errors: bool, route: str, token: str
) -> None:
    await assert_answered_from_the_table(route, token, rfc6750_errors=rfc6750_errors)


# --- 4. revoke_all refuses exactly the tokens dated at or before it ---------------------

USERS = ("alice", "bob")


@dataclass(frozen=True)
class Issue:
    """Create a token for `user`, dated now, or `back` microseconds before (`issued_at`)."""

    user: str
    kind: TokenKind
    back: int


@dataclass(frozen=True)
class RevokeAll:
    user: str


@dataclass(frozen=True)
class Tick:
    """Let `micros` microseconds pass (0: the next call reads the same moment)."""

    micros: int


Operation = Issue | RevokeAll | Tick

operations = st.lists(
    st.one_of(
        st.builds(
            Issue,
            st.sampled_from(USERS),
            st.sampled_from(KINDS),
            st.just(0) | st.integers(0, 3) | st.integers(0, 2_000_000),
        ),
        st.builds(RevokeAll, st.sampled_from(USERS)),
        st.builds(Tick, st.sampled_from([0, 1, 2]) | st.integers(0, 5_000_000)),
    ),
    min_size=2,
    max_size=25,
)


class Clock:
    """`time.time()` for the extension, reading whole microseconds that only move forward
    when told: the resolution `iat` is written with."""

    def __init__(self, start: int) -> None:
        self.micros = start

    def __call__(self) -> float:
        return self.micros / 1_000_000


@contextmanager
def frozen(clock: Callable[[], float]) -> Iterator[None]:
    """`time.time` is `clock` inside the block: for issuing, revoking and verifying."""
    with mock.patch.object(time, "time", clock):
        yield


@dataclass(frozen=True)
class Issued:
    raw: str
    user: str
    kind: TokenKind
    dated: int  # the microsecond `issued_at` says


def revoked_by(token: Issued, revocations: list[tuple[str, int]]) -> bool:
    """The documented rule: a revoke_all of the token's user at or after its date."""
    return any(user == token.user and at >= token.dated for user, at in revocations)


# Moments of the clock from 2024 to 2033, as whole microseconds.
START = st.integers(1_704_067_200_000_000, 2_000_000_000_000_000)


@settings(bounded, max_examples=80)
@given(start=START, steps=operations)
async def test_revoke_all_refuses_exactly_the_tokens_dated_at_or_before_it(
    start: int, steps: list[Operation]
) -> None:
    """Any interleaving of logins, revoke_alls and time passing, microsecond by
    microsecond: a token is refused iff a revoke_all of its user came at or after the
    moment it is dated (the moment it was issued, or the earlier `issued_at` it was
    given, so a token dated back can be revoked before it was even created). Tokens of
    other users, and tokens dated after every revoke_all, are let through."""
    app = build_app(use_blacklist=True, blacklist_class=InMemoryBlacklist)
    tokens = TokenManager.of(app)
    clock = Clock(start)
    issued: list[Issued] = []
    revocations: list[tuple[str, int]] = []
    with frozen(clock):
        client = app.asgi_client
        for step in steps:
            if isinstance(step, Tick):
                clock.micros += step.micros
            elif isinstance(step, RevokeAll):
                await tokens.revoke_all(step.user)
                revocations.append((step.user, clock.micros))
            elif step.back == 0:  # a login: dated now
                raw = create(tokens, step.kind, step.user)
                issued.append(Issued(raw, step.user, step.kind, clock.micros))
            else:  # claims read `back` microseconds ago
                dated = clock.micros - step.back
                raw = create(tokens, step.kind, step.user, issued_at=dated / 1_000_000)
                issued.append(Issued(raw, step.user, step.kind, dated))
        for token in issued:
            route = "/protected" if token.kind == "access" else "/refresh"
            response = await send_bearer(client, route, token.raw)
            if revoked_by(token, revocations):
                assert (response.status, response.json) == (401, {"msg": "Token has been revoked."})
            else:
                assert response.status == 200, (token, response.text)
                assert response.json["identity"] == token.user


def nudged(moment: float, steps: int) -> float:
    """`moment` moved `steps` floats up (or down)."""
    for _ in range(abs(steps)):
        moment = math.nextafter(moment, math.inf if steps > 0 else -math.inf)
    return moment


# Moments at and around each microsecond (exactly on it, and the float either side: the
# likeliest to be rounded the wrong way), and any others.
moments = st.one_of(
    st.floats(1_704_067_200.0, 2_000_000_000.0),
    st.builds(lambda micros, steps: nudged(micros / 1_000_000, steps), START, st.integers(-1, 1)),
)


@cache
def revoking_manager() -> TokenManager:
    with TokenManager.configure() as made:
        made.config.secret_key = SECRET
        made.config.use_blacklist = True
        made.config.blacklist_class = InMemoryBlacklist
    return made


@settings(bounded, max_examples=1000)
@given(moment=moments, kind=st.sampled_from(KINDS), dated=st.booleans())
# Found by this property: 1725407324.2323189 * 1e6 rounds up to a whole microsecond, and
# the token was dated 1725407324.232319, after it (and refused as not yet valid).
@example(moment=1725407324.2323189, kind="access", dated=False)
async def test_a_token_is_dated_at_or_before_the_moment_it_was_issued_for(
    moment: float, kind: TokenKind, dated: bool
) -> None:
    """`iat` is the moment of issue (now, or `issued_at`) rounded down to the microsecond:
    never after it, whatever the float, so a revoke_all at that very moment refuses it."""
    tokens = revoking_manager()
    user = uuid.uuid4().hex  # a user of its own: the blacklist outlives the example
    with frozen(lambda: moment):
        raw = create(tokens, kind, user, **({"issued_at": moment} if dated else {}))
        token = tokens.decode(raw)
        assert token.issued_at <= moment
        assert moment - token.issued_at < 1e-6
        assert token.issued_at == round(token.issued_at * 1_000_000) / 1_000_000  # whole micros
        await tokens.revoke_all(user)
        assert tokens.blacklist is not None
        assert await tokens.blacklist.is_blacklisted(token)
