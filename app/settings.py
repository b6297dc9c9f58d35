"""Typed, validated configuration: `settings.toml` overlaid by `APP_<KEY>` variables.

Every key is read from `settings.toml` at the repository root, and any of them can be
overridden from the environment (`APP_PORT=9000`), which is how deployments and the test
suite change them without editing the file. Values passed to `Settings(...)` win over both.
"""

from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
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
    access_token_minutes: int = Field(default=15, ge=1)
    refresh_token_days: int = Field(default=30, ge=1)
    # Sessions (see the README): each refresh spends its refresh token; a spent one back
    # within the grace period is a retry, after it a theft that ends the session.
    refresh_rotation: bool = True
    refresh_reuse_grace_seconds: float = Field(default=10, ge=0)
    # Login throttling, per username and per client address, each over a fixed window
    # that starts at its first failure (see app.accounts.throttle).
    login_max_failures: int = Field(default=5, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)
    login_max_failures_per_address: int = Field(default=100, ge=1)
    private_claim_prefix: str = Field(default="stores_api", pattern=r"^[A-Za-z0-9_]*$")
    database_url: str = Field(default="sqlite://data/stores.sqlite3", min_length=1)
    redis_url: str = ""
    request_max_size: int = Field(default=65_536, ge=1_024)
    password_time_cost: int = Field(default=3, ge=1)
    password_memory_kib: int = Field(default=65_536, ge=8)
    password_parallelism: int = Field(default=4, ge=1)
    log_format: Literal["text", "json"] = "text"
    # One line per request in the log; off, as Sanic's own ACCESS_LOG, for a proxy that logs.
    access_log: bool = True
    # "auto" (in settings.toml, or APP_DOCS=auto) is read as: on, except in production.
    docs: bool = True

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

    @field_validator("database_url")
    @classmethod
    def _tortoise_url(cls, url: str) -> str:
        """Reject at start-up a URL that tortoise-orm could not open."""
        try:
            expand_db_url(url)
        except ConfigurationError as exc:
            raise ValueError(str(exc)) from exc
        return url

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
