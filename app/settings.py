"""Typed, validated configuration: `settings.toml` overlaid by `APP_<KEY>` variables.

Every key is read from `settings.toml` at the repository root, and any of them can be
overridden from the environment (`APP_PORT=9000`), which is how deployments and the test
suite change them without editing the file. Values passed to `Settings(...)` win over both.
"""

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from redis.asyncio.connection import parse_url as parse_redis_url
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import ConfigurationError

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "settings.toml"

# The secret shipped in settings.toml: fine for development, refused in production.
SAMPLE_SECRET_KEY = "sample-secret-for-development-only-replace-it-before-any-deployment!!"

# RFC 7518 section 3.2: an HMAC key must be at least as long as the hash output.
MIN_SECRET_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}

# The algorithms that sign with a private key read from signing_key_file; the others
# (those of MIN_SECRET_BYTES) sign with secret_key.
ASYMMETRIC_ALGORITHMS = ("RS256", "ES256", "EdDSA")

KeyFile = Annotated[str, Field(min_length=1)]

# The database_url schemes the service is built and tested for.
DATABASE_SCHEMES = ("sqlite", "postgres")

# Token lifetimes stay well inside what a date can hold (a year 9999 expiry overflows).
MAX_TOKEN_DAYS = 3650

# argon2's own bounds (RFC 9106 3.1): its memory cost is at least 8 KiB per lane.
ARGON2_MAX_COST = 2**32 - 1
ARGON2_MAX_LANES = 2**24 - 1
ARGON2_KIB_PER_LANE = 8

# How similar an APP_* name must be to a setting's to be taken for a misspelling of it.
NEAR_MISS_CUTOFF = 0.75


class PoolParameters(BaseModel):
    """The query parameters of a postgres:// database_url that size and bound its pool
    (app.db.postgres); asyncpg would refuse these bounds only once it connects."""

    model_config = {"extra": "allow"}

    minsize: int = Field(default=1, ge=0)
    maxsize: int = Field(default=5, ge=1)
    # How long a query waits for a free connection before the service answers 503.
    acquire_timeout: float = Field(default=5.0, gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _min_within_max(self) -> Self:
        if self.minsize > self.maxsize:
            raise ValueError(f"minsize ({self.minsize}) is above maxsize ({self.maxsize})")
        return self


class Settings(BaseSettings):
    """The service's configuration; see `settings.toml` for what each key means."""

    model_config = SettingsConfigDict(
        env_prefix="APP_",
        toml_file=SETTINGS_FILE,
        extra="forbid",
        frozen=True,
    )

    env: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    secret_key: SecretStr = SecretStr(SAMPLE_SECRET_KEY)
    algorithm: Literal["HS256", "HS384", "HS512", "RS256", "ES256", "EdDSA"] = "HS256"
    # Empty unless the algorithm is asymmetric (see app.accounts.keys).
    signing_key_file: str = ""
    verify_key_files: tuple[KeyFile, ...] = ()
    previous_secret_keys: tuple[SecretStr, ...] = ()
    jwks_max_age_seconds: int = Field(default=300, ge=0)
    access_token_minutes: int = Field(default=15, ge=1, le=MAX_TOKEN_DAYS * 24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=MAX_TOKEN_DAYS)
    # Sessions (see the README): each refresh spends its refresh token; a spent one back
    # within the grace period is a retry, after it a theft that ends the session.
    refresh_rotation: bool = True
    refresh_reuse_grace_seconds: float = Field(default=10, ge=0, allow_inf_nan=False)
    # Login throttling, per username and per client address, each over a fixed window
    # that starts at its first failure (see app.accounts.throttle).
    login_max_failures: int = Field(default=5, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)
    login_max_failures_per_address: int = Field(default=100, ge=1)
    private_claim_prefix: str = Field(default="stores_api", pattern=r"^[A-Za-z0-9_]*$")
    database_url: str = Field(default="sqlite://data/stores.sqlite3", min_length=1)
    redis_url: str = ""
    request_max_size: int = Field(default=65_536, ge=1_024)
    password_time_cost: int = Field(default=3, ge=1, le=ARGON2_MAX_COST)
    password_memory_kib: int = Field(default=65_536, ge=ARGON2_KIB_PER_LANE, le=ARGON2_MAX_COST)
    password_parallelism: int = Field(default=4, ge=1, le=ARGON2_MAX_LANES)
    log_format: Literal["text", "json"] = "text"
    # One line per request in the log; off, as Sanic's own ACCESS_LOG, for a proxy that logs.
    access_log: bool = True
    # "auto" (in settings.toml, or APP_DOCS=auto) is read as: on, except in production.
    docs: bool = True
    # Browser origins allowed to call the API (CORS), e.g. ["https://app.example.com"].
    cors_origins: list[str] = []

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Constructor arguments first, then the environment, then `settings.toml`."""
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls)

    @model_validator(mode="before")
    @classmethod
    def _docs_default(cls, data: Any) -> Any:
        """`docs = "auto"`, or no value: the API docs are served except in production."""
        if isinstance(data, dict) and data.get("docs", "auto") == "auto":
            data = {**data, "docs": data.get("env", "development") != "production"}
        return data

    @field_validator("secret_key")
    @classmethod
    def _secret_not_empty(cls, secret: SecretStr) -> SecretStr:
        """An empty APP_SECRET_KEY is a deployment's mistake, never a key."""
        if not secret.get_secret_value():
            raise ValueError("empty; set a secret, or unset APP_SECRET_KEY")
        return secret

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, url: str) -> str:
        """Refuse when read a URL the service could not open, or whose pool it would
        misuse: another engine, a malformed URL, pool parameters out of bounds."""
        scheme = urlsplit(url).scheme
        if scheme not in DATABASE_SCHEMES:
            raise ValueError(
                f"the scheme {scheme!r} is not supported; the service runs on "
                f"{' or '.join(f'{name}://' for name in DATABASE_SCHEMES)}"
            )
        try:
            described = expand_db_url(url)
        except (ConfigurationError, ValueError) as exc:
            raise ValueError(str(exc)) from exc
        if scheme == "postgres":
            _check_pool(described["credentials"])
        return url

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, url: str) -> str:
        """Refuse when read a URL the Redis client would refuse in each worker."""
        if url:
            try:
                parse_redis_url(url)
            except ValueError as exc:
                raise ValueError(str(exc)) from exc
        return url

    @model_validator(mode="after")
    def _argon2_lanes_have_memory(self) -> Self:
        """argon2 refuses to hash (at start-up) with less memory than its lanes need."""
        needed = ARGON2_KIB_PER_LANE * self.password_parallelism
        if self.password_memory_kib < needed:
            raise ValueError(
                f"password_memory_kib must be at least {needed} (8 per lane) for "
                f"password_parallelism {self.password_parallelism}"
            )
        return self

    @model_validator(mode="after")
    def _keys_fit_the_algorithm(self) -> Self:
        """Refuse keys the algorithm would ignore: an operator who set them meant them to
        sign or verify, and a ring never mixes secrets with public keys."""
        if self.asymmetric:
            if not self.signing_key_file:
                raise ValueError(
                    f"{self.algorithm} signs with the private key in signing_key_file; set "
                    "APP_SIGNING_KEY_FILE (python server.py keys generate makes one)"
                )
            if self.previous_secret_keys:
                raise ValueError(
                    f"previous_secret_keys verify HS* tokens, which an {self.algorithm} "
                    "service cannot accept; older key files go in verify_key_files"
                )
        elif self.signing_key_file or self.verify_key_files:
            raise ValueError(
                f"{self.algorithm} signs with secret_key and verifies with "
                "previous_secret_keys; signing_key_file and verify_key_files are for "
                f"{', '.join(ASYMMETRIC_ALGORITHMS)}"
            )
        return self

    @model_validator(mode="after")
    def _safe_for_production(self) -> Self:
        """Refuse, in production, a secret anyone can read or brute-force.

        Key files are checked when they are read (app.accounts.keys), not here: these
        checks need no file system.
        """
        if self.env != "production":
            return self
        if not self.asymmetric:
            secret = self.secret_key.get_secret_value()
            if secret == SAMPLE_SECRET_KEY:
                raise ValueError(
                    "secret_key is the sample one from settings.toml; set APP_SECRET_KEY"
                )
            needed = MIN_SECRET_BYTES[self.algorithm]
            if len(secret.encode()) < needed:
                raise ValueError(f"secret_key must be at least {needed} bytes for {self.algorithm}")
            for number, previous in enumerate(self.previous_secret_keys):
                # A verifying secret forges tokens as well as the signing one does.
                if len(previous.get_secret_value().encode()) < needed:
                    raise ValueError(
                        f"previous_secret_keys[{number}] must be at least {needed} bytes for "
                        f"{self.algorithm}"
                    )
        if self.workers > 1 and not self.redis_url:
            raise ValueError("workers > 1 needs redis_url: the in-memory blacklist is per process")
        return self

    @property
    def asymmetric(self) -> bool:
        """Whether tokens are signed with a private key (and published as a JWK Set)."""
        return self.algorithm in ASYMMETRIC_ALGORITHMS

    @property
    def secret(self) -> str:
        """The HMAC key itself; PyJWT signs with its UTF-8 bytes."""
        return self.secret_key.get_secret_value()


def pool_parameters(credentials: Mapping[str, Any]) -> PoolParameters:
    """The pool parameters of a postgres:// URL's expanded credentials (expand_db_url)."""
    return PoolParameters.model_validate(credentials)


def _check_pool(credentials: Mapping[str, Any]) -> None:
    """Raise ValueError, in words, when the URL's pool parameters are out of bounds."""
    try:
        pool_parameters(credentials)
    except ValidationError as exc:
        raise ValueError(f"pool parameters: {one_line(exc)}") from exc


def one_line(error: ValidationError) -> str:
    """pydantic's report, which spans lines, as `where: what; ...`, in our words: a
    validator's own message without pydantic's `Value error, ` before it."""
    problems = []
    for detail in error.errors():
        where = ".".join(str(part) for part in detail["loc"])
        what = str(detail.get("ctx", {}).get("error", detail["msg"]))
        problems.append(f"{where}: {what}" if where else what)
    return "; ".join(problems)


def near_misses(environ: Mapping[str, str]) -> dict[str, str]:
    """Each APP_* variable of `environ` that reads as a misspelt setting, and the variable
    meant (APP_DATABSE_URL: APP_DATABASE_URL).

    Other APP_* variables are left alone, platforms and tools set their own: one that
    holds a setting's name whole (APP_TEST_DATABASE_URL) is another tool's, not a typo.
    """
    prefix = str(Settings.model_config["env_prefix"])
    names = list(Settings.model_fields)
    found = {}
    for variable in environ:
        if not variable.upper().startswith(prefix):
            continue
        name = variable[len(prefix) :].lower()
        if name in names or any(setting in name for setting in names):
            continue
        close = difflib.get_close_matches(name, names, n=1, cutoff=NEAR_MISS_CUTOFF)
        if close:
            found[variable] = f"{prefix}{close[0].upper()}"
    return found
