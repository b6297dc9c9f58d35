"""Request and response bodies (pydantic v2).

Requests are strict: unknown fields are refused, and nothing is coerced (a string is not
a number, a boolean is not a number). Responses are built from the models by attribute,
so a field that is not listed here, like the password hash, can never leak.
"""

import unicodedata
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.db.models import MAX_ID, USERNAME_LENGTH, Role

# The most rows one answer lists: a page's `limit`, and a store's items.
MAX_PAGE_SIZE = 100
STORE_ITEMS_SHOWN = MAX_PAGE_SIZE


# Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) reorder the text
# around them: a name holding one can display as another name ("Trojan Source").
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _nfc_trimmed(value: Any) -> Any:
    """One spelling per text ("é" and "e" + combining acute are the same name), without
    the spaces around it: a name is trimmed, then its length checked."""
    return unicodedata.normalize("NFC", value).strip() if isinstance(value, str) else value


# Letters and symbols by category that fonts draw as blank space: the Hangul fillers (which
# Unicode also lists as default-ignorable) and the braille blank.
_BLANK_GRAPHICS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _visible(text: str) -> str:
    """Refuse names that display as nothing, or in another order than they read."""
    if not _BIDI_CONTROLS.isdisjoint(text):
        raise ValueError("must not contain bidirectional control characters")
    if not any(_shows(char) for char in text):
        raise ValueError("must contain a visible character")
    return text


def _shows(char: str) -> bool:
    """A letter, number, punctuation or symbol that is drawn as more than blank space."""
    return unicodedata.category(char)[0] in "LNPS" and char not in _BLANK_GRAPHICS


def _storable(text: str) -> str:
    """Refuse what a database would choke on: lone surrogates, NUL and other controls."""
    try:
        text.encode()
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise ValueError("must not contain control characters")
    return text


def _json_number(value: Any) -> Decimal:
    """Accept a JSON number only. Bodies are parsed with floats as Decimal, so 0.1 is exact."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError("must be a JSON number")
    number = Decimal(value)
    return abs(number) if number.is_zero() else number  # -0.0 is 0.0


# What `_storable` (and `_visible`) refuse, said in the document as JSON Schema patterns:
# the control characters (Unicode's Cc), and for a name the bidirectional controls too.
# Only the document has them; the validators say what is wrong in their own words.
_NO_CONTROLS = Field(json_schema_extra={"pattern": r"^[^\x00-\x1f\x7f-\x9f]*$"})
_NO_CONTROLS_OR_BIDI = Field(
    json_schema_extra={"pattern": r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"}
)

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# The constraints come first so that they stay the string's own (pydantic then words
# them for a string, and checks them after the before-validator that trims).
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=80),
    BeforeValidator(_nfc_trimmed),
    AfterValidator(_storable),
    AfterValidator(_visible),
    _NO_CONTROLS_OR_BIDI,
]
Username = Annotated[
    str, StringConstraints(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
]
Password = Annotated[
    str, StringConstraints(min_length=8, max_length=128), AfterValidator(_storable), _NO_CONTROLS
]
# The constraints come before the validator, so pydantic checks them (and documents
# them) as the decimal's own, after the validator has run.
Price = Annotated[
    Decimal,
    Field(ge=0, le=1_000_000, decimal_places=2),
    BeforeValidator(_json_number),
    PlainSerializer(float, return_type=float),
]
# A price read back from the database: checked once already, on its way in.
StoredPrice = Annotated[Decimal, PlainSerializer(float, return_type=float)]


# What a login takes: any string, as a name or password that breaks the rules just won't match.
LoginText = Annotated[
    str, StringConstraints(max_length=1024), AfterValidator(_storable), _NO_CONTROLS
]


def example(**values: Any) -> ConfigDict:
    """A model's example in the API document (OpenAPI 3.0's `example`), for people to read
    and the docs page to fill in: never a generated `"string"`."""
    return ConfigDict(json_schema_extra={"example": values})


# The moment the examples are dated.
EXAMPLE_TIME = "2025-01-31T12:00:00.123456Z"
_TIMES = {"created_at": EXAMPLE_TIME, "updated_at": EXAMPLE_TIME}


def _in_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# A moment in a response: ISO 8601 in UTC, as "2025-01-31T12:00:00.123456Z".
UtcTime = Annotated[AwareDatetime, AfterValidator(_in_utc)]


class RequestBody(BaseModel):
    """Base of every request body: strict, closed to unknown fields, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


# A field that a body may leave out, and that is then not set (`model_fields_set` says
# which were sent). null is no value for it (app.web.docs documents no default).
OMITTED: Any = Field(default=None)

# Example credentials of the document (no account the tests make has this password).
EXAMPLE_PASSWORD = "a long passphrase"


class Credentials(RequestBody):
    """A new account: the username and password rules apply."""

    model_config = example(username="alice", password=EXAMPLE_PASSWORD)

    username: Username
    password: Password


class Login(RequestBody):
    """Login takes any strings: a name or password that breaks the rules just won't match."""

    model_config = example(username="alice", password=EXAMPLE_PASSWORD)

    username: LoginText
    password: LoginText


class PasswordGrant(RequestBody):
    """OAuth2's password grant (RFC 6749 section 4.3.2), the form body that OAuth2 clients
    (the docs page's Authorize among them) send to /login. The client's id and secret and
    the scope are accepted and ignored: this service has no clients or scopes to check."""

    model_config = example(grant_type="password", username="alice", password=EXAMPLE_PASSWORD)

    grant_type: Literal["password"]
    username: LoginText
    password: LoginText
    client_id: str = OMITTED
    client_secret: str = OMITTED
    scope: str = OMITTED

    def login(self) -> Login:
        return Login(username=self.username, password=self.password)


class PasswordChange(RequestBody):
    """The caller's password, to prove it is them, and the new one (the rules of
    registration apply to it)."""

    model_config = example(current_password=EXAMPLE_PASSWORD, new_password="a newer passphrase")

    current_password: LoginText
    new_password: Password


class StoreIn(RequestBody):
    model_config = example(name="Corner shop")

    name: Name


class ItemUpdate(RequestBody):
    model_config = example(name="Green tea", price=3.5)

    name: Name
    price: Price


class ItemIn(ItemUpdate):
    model_config = example(name="Green tea", price=3.5, store_id=1)

    store_id: Id


class ItemPatch(RequestBody):
    """Any of an item's fields, at least one; those left out stay as they are."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1, "example": {"price": 2.75}})

    name: Name = OMITTED
    price: Price = OMITTED

    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        if not self.model_fields_set:
            raise PydanticCustomError("no_change", "Send at least one of name and price.")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields sent, as validated (a price stays a Decimal)."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class RoleChange(RequestBody):
    model_config = example(role="ADMIN")

    # JSON has no enums: the role arrives as its string, which strict mode would refuse.
    role: Annotated[Role, Field(strict=False)]


class Page(BaseModel):
    """`?limit=&offset=`; query values are strings, so they are converted, not strict."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(default=0, ge=0, le=MAX_ID)


class ItemPage(Page):
    store_id: Id | None = None


class UserPage(Page):
    search: (
        Annotated[
            str,
            StringConstraints(max_length=USERNAME_LENGTH),
            AfterValidator(_storable),
            _NO_CONTROLS,
        ]
        | None
    ) = Field(
        default=None,
        description="Only the users whose name contains this text, in any letter case.",
    )


class ResponseBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)


_ALICE = {"id": 1, "username": "alice", "role": "USER"}
_TEA = {"id": 1, "name": "Green tea", "price": 3.5, "store_id": 1, **_TIMES}
_SHOP = {"id": 1, "name": "Corner shop", **_TIMES}


class UserOut(ResponseBody):
    model_config = example(**_ALICE)

    id: int
    username: str
    role: Role


class Timestamped(ResponseBody):
    created_at: UtcTime
    updated_at: UtcTime


class StoreOut(Timestamped):
    model_config = example(**_SHOP)

    id: int
    name: str


class ItemOut(Timestamped):
    model_config = example(**_TEA)

    id: int
    name: str
    price: StoredPrice
    store_id: int


class StoreWithItems(StoreOut):
    """A store and its first 100 items by id (`GET /items?store_id=` lists them all)."""

    model_config = example(**_SHOP, items=[_TEA])

    items: list[ItemOut]


class PageOut(ResponseBody):
    """Where a page sits in the whole list."""

    total: int
    limit: int
    offset: int


_PAGE = {"total": 1, "limit": 50, "offset": 0}


class StoreList(PageOut):
    model_config = example(stores=[_SHOP], **_PAGE)

    stores: list[StoreOut]


class ItemList(PageOut):
    model_config = example(items=[_TEA], **_PAGE)

    items: list[ItemOut]


class UserList(PageOut):
    model_config = example(users=[_ALICE], **_PAGE)

    users: list[UserOut]


class Me(ResponseBody):
    model_config = example(
        **_ALICE, private_claims={"uid": 1, "username": "alice", "is_admin": False}
    )

    id: int
    username: str
    role: str | None
    private_claims: dict[str, Any]


_SESSION = {
    "id": "9f1c0e7a4b2d4e6f8a0b1c2d3e4f5a6b",
    "created_at": EXAMPLE_TIME,
    "last_used_at": EXAMPLE_TIME,
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
    "address": "203.0.113.7",
    "current": True,
}


class SessionOut(ResponseBody):
    """A session: one login, kept going by its refreshes, until it ends."""

    model_config = example(**_SESSION)

    id: str
    created_at: UtcTime
    last_used_at: UtcTime
    user_agent: str
    address: str
    # Whether it is the session of the token that asked.
    current: bool


class SessionList(ResponseBody):
    """The sessions that have not ended, newest first."""

    model_config = example(sessions=[_SESSION])

    sessions: list[SessionOut]


class TokenClaims(BaseModel):
    """The private claims this service puts in its tokens (see `app.accounts.tokens`)."""

    model_config = ConfigDict(strict=True)

    uid: int
    username: str
    is_admin: bool


# A token's shape, not a token: three base64url parts.
_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


class AccessToken(ResponseBody):
    model_config = example(access_token=_TOKEN, token_type="Bearer", expires_in=900)

    access_token: str
    token_type: str = "Bearer"
    expires_in: int


class TokenPair(AccessToken):
    model_config = example(
        access_token=_TOKEN, refresh_token=_TOKEN, token_type="Bearer", expires_in=900
    )

    refresh_token: str


class Message(ResponseBody):
    """The body of confirmations and of every error: one sentence."""

    model_config = example(msg="Item not found.")

    msg: str


class FieldError(ResponseBody):
    """One problem of an invalid request: where it is (field names, list indexes), and what."""

    model_config = example(loc=["price"], msg="Input should be less than or equal to 1000000")

    loc: list[str | int]
    msg: str


class InvalidRequestBody(Message):
    """The 422 answer to a body or query that does not fit its schema."""

    model_config = example(
        msg="The request is invalid.",
        errors=[{"loc": ["price"], "msg": "Input should be less than or equal to 1000000"}],
    )

    errors: list[FieldError]


def _absent(value: str | None) -> bool:
    return value is None


# A member of one key type only: left out of the others' JSON, rather than written null.
KeyParameter = Annotated[str | None, Field(default=None, exclude_if=_absent)]

_JWK = {
    "kty": "EC",
    "kid": "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
    "alg": "ES256",
    "use": "sig",
    "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
}


class PublicJwk(ResponseBody):
    """A public key (RFC 7517, RFC 7518 6): `n`, `e` for RSA; `crv`, `x`, `y` for EC;
    `crv`, `x` for OKP (EdDSA). Only these members are ever written: never a private one."""

    model_config = example(**_JWK)

    kty: str
    kid: str
    alg: str
    use: str
    n: KeyParameter
    e: KeyParameter
    crv: KeyParameter
    x: KeyParameter
    y: KeyParameter


class JwkSet(ResponseBody):
    """The keys that verify this service's tokens, the signing one first (RFC 7517 5)."""

    model_config = example(keys=[_JWK])

    keys: list[PublicJwk]


class Health(ResponseBody):
    """Each part's state: "ok" or "unavailable"."""

    model_config = example(status="ok", database="ok", blacklist="ok")

    status: str
    database: str
    blacklist: str


class HealthUnavailable(Health, Message):
    """503: the parts that do not answer are named in `msg`."""

    model_config = example(
        msg="Unavailable: database.", status="unavailable", database="unavailable", blacklist="ok"
    )
