"""settings.toml, APP_<KEY> overrides, and what production refuses."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
from argon2 import PasswordHasher
from pydantic import ValidationError

from app.settings import SAMPLE_SECRET_KEY, SETTINGS_FILE, Settings, near_misses, one_line


@pytest.fixture(autouse=True)
def _no_app_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start each test from settings.toml alone, whatever the developer's shell exports."""
    for name in Settings.model_fields:
        monkeypatch.delenv(f"APP_{name.upper()}", raising=False)


def test_settings_toml_gives_the_documented_defaults() -> None:
    settings = Settings()
    assert (settings.env, settings.host, settings.port, settings.workers) == (
        "development",
        "127.0.0.1",
        8000,
        1,
    )
    assert settings.private_claim_prefix == "stores_api"
    assert settings.database_url == "sqlite://data/stores.sqlite3"
    assert settings.redis_url == ""
    assert settings.secret == SAMPLE_SECRET_KEY


def test_settings_toml_sets_every_key_and_documents_it() -> None:
    text = SETTINGS_FILE.read_text()
    assert set(tomllib.loads(text)) == set(Settings.model_fields)
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if re.match(r"^\w+ = ", line):
            assert lines[number - 1].startswith("#"), f"{line!r} has no comment above it"


def test_the_password_cost_defaults_are_argon2_cffis_own() -> None:
    settings, library = Settings(), PasswordHasher()
    assert settings.password_time_cost == library.time_cost
    assert settings.password_memory_kib == library.memory_cost
    assert settings.password_parallelism == library.parallelism


def test_every_key_can_be_overridden_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_PORT", "9001")
    monkeypatch.setenv("APP_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("APP_REDIS_URL", "redis://cache:6379/2")
    monkeypatch.setenv("APP_DATABASE_URL", "postgres://u:p@db:5432/stores")
    settings = Settings()
    assert settings.port == 9001
    assert settings.secret == "from-the-environment"
    assert settings.redis_url == "redis://cache:6379/2"
    assert settings.database_url == "postgres://u:p@db:5432/stores"


def test_values_given_in_code_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_PORT", "9001")
    assert Settings(port=9002).port == 9002


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("port", "70000"),
        ("workers", "0"),
        ("algorithm", "none"),
        ("env", "staging"),
        ("database_url", "mongodb://localhost/x"),
        ("private_claim_prefix", "has space"),
        ("unknown_key", "x"),
    ],
)
def test_invalid_values_are_refused(key: str, value: str) -> None:
    values: dict[str, Any] = {key: value}
    with pytest.raises(ValidationError):
        Settings(**values)


POSTGRES = "postgres://user@db:5432/stores"


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"database_url": "mysql://user@db/stores"}, "the scheme 'mysql' is not supported"),
        ({"database_url": f"{POSTGRES}?acquire_timeout=abc"}, "acquire_timeout: Input should"),
        ({"database_url": f"{POSTGRES}?acquire_timeout=nan"}, "should be a finite number"),
        ({"database_url": f"{POSTGRES}?maxsize=0"}, "maxsize: Input should be greater"),
        ({"database_url": f"{POSTGRES}?minsize=3&maxsize=2"}, "minsize (3) is above maxsize (2)"),
        ({"secret_key": ""}, "secret_key: empty"),
        ({"refresh_token_days": 1_000_000_000}, "refresh_token_days: Input should be less"),
        ({"access_token_minutes": 10**12}, "access_token_minutes: Input should be less"),
        ({"refresh_reuse_grace_seconds": "inf"}, "should be a finite number"),
        ({"redis_url": "not-a-url"}, "redis_url: Redis URL must specify one of"),
        (
            {"password_memory_kib": 8, "password_parallelism": 4},
            "password_memory_kib must be at least 32 (8 per lane)",
        ),
    ],
)
def test_values_that_would_fail_later_are_refused_when_read(
    values: dict[str, Any], reason: str
) -> None:
    """Each of these passed the settings and failed at start-up, or in a request."""
    with pytest.raises(ValidationError) as refused:
        Settings(**values)
    assert reason in one_line(refused.value)
    assert "Value error" not in one_line(refused.value)


def test_pool_parameters_within_bounds_are_accepted() -> None:
    url = f"{POSTGRES}?minsize=2&maxsize=2&acquire_timeout=0.5"
    assert Settings(database_url=url).database_url == url


@pytest.mark.parametrize(
    ("environ", "warned"),
    [
        ({"APP_DATABSE_URL": "x"}, {"APP_DATABSE_URL": "APP_DATABASE_URL"}),
        (
            {"APP_WORKER": "2", "APP_PROT": "1"},
            {"APP_WORKER": "APP_WORKERS", "APP_PROT": "APP_PORT"},
        ),
        # A setting itself; another tool's name built on one; names like no setting's;
        # not ours at all.
        ({"APP_DATABASE_URL": "x", "APP_TEST_DATABASE_URL": "x", "APP_NAME": "x"}, {}),
        ({"APP_RELEASE": "x", "DATABSE_URL": "x"}, {}),
    ],
)
def test_a_near_miss_of_a_setting_name_is_found(
    environ: dict[str, str], warned: dict[str, str]
) -> None:
    assert near_misses(environ) == warned


def production(**values: Any) -> Settings:
    return Settings(env="production", **values)


def test_production_refuses_the_sample_secret() -> None:
    with pytest.raises(ValidationError, match="sample"):
        production()


@pytest.mark.parametrize(("algorithm", "needed"), [("HS256", 32), ("HS384", 48), ("HS512", 64)])
def test_production_needs_a_secret_as_long_as_the_hash(algorithm: str, needed: int) -> None:
    with pytest.raises(ValidationError, match=f"at least {needed} bytes"):
        production(algorithm=algorithm, secret_key="s" * (needed - 1))
    assert production(algorithm=algorithm, secret_key="s" * needed).secret == "s" * needed


def test_the_secret_length_counts_utf8_bytes() -> None:
    assert production(secret_key="é" * 16).secret == "é" * 16
    with pytest.raises(ValidationError):
        production(secret_key="é" * 15 + "e")


def test_production_refuses_several_workers_without_a_shared_blacklist() -> None:
    with pytest.raises(ValidationError, match="redis_url"):
        production(secret_key="s" * 32, workers=2)
    assert production(secret_key="s" * 32, workers=2, redis_url="redis://r:6379/0").workers == 2


def test_development_accepts_the_sample_secret_and_several_workers() -> None:
    assert Settings(workers=2).secret == SAMPLE_SECRET_KEY


def test_key_files_are_read_from_the_environment_as_a_json_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_ALGORITHM", "ES256")
    monkeypatch.setenv("APP_SIGNING_KEY_FILE", "keys/new.pem")
    monkeypatch.setenv("APP_VERIFY_KEY_FILES", '["keys/old.pem", "keys/older.pem"]')
    settings = Settings()
    assert settings.signing_key_file == "keys/new.pem"
    assert settings.verify_key_files == ("keys/old.pem", "keys/older.pem")
    monkeypatch.setenv("APP_ALGORITHM", "HS256")
    monkeypatch.delenv("APP_SIGNING_KEY_FILE")
    monkeypatch.delenv("APP_VERIFY_KEY_FILES")
    monkeypatch.setenv("APP_PREVIOUS_SECRET_KEYS", '["an older secret"]')
    assert [key.get_secret_value() for key in Settings().previous_secret_keys] == [
        "an older secret"
    ]


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"algorithm": "ES256"}, "ES256 signs with the private key in signing_key_file"),
        (
            {"algorithm": "RS256", "signing_key_file": "k.pem", "previous_secret_keys": ["s"]},
            "previous_secret_keys verify HS\\* tokens",
        ),
        ({"signing_key_file": "k.pem"}, "HS256 signs with secret_key"),
        ({"verify_key_files": ["k.pem"]}, "HS256 signs with secret_key"),
    ],
)
def test_keys_that_the_algorithm_would_ignore_are_refused(
    values: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ValidationError, match=reason):
        Settings(**values)


def test_production_asks_no_secret_of_an_asymmetric_service() -> None:
    """secret_key signs nothing with ES256: the sample is no risk there (key files are
    checked as they are read, see test_keys.py)."""
    assert production(algorithm="ES256", signing_key_file="k.pem").secret == SAMPLE_SECRET_KEY


def test_production_needs_previous_secrets_as_long_as_the_signing_one() -> None:
    with pytest.raises(ValidationError, match=r"previous_secret_keys\[1\] must be at least 32"):
        production(secret_key="s" * 32, previous_secret_keys=["p" * 32, "p" * 31])
