"""The service's fixtures (tests/app/conftest.py), for the kit's tests that run its app:
an app on a clean database of each backend. Fixtures are found by name, so importing them
here is enough."""

from tests.app.conftest import (
    _postgres_schema,
    _sanic_test_mode,
    _sqlite_schema,
    api,
    app,
    database_url,
    postgres_database,
    settings,
    sqlite_database,
)

__all__ = [
    "_postgres_schema",
    "_sanic_test_mode",
    "_sqlite_schema",
    "api",
    "app",
    "database_url",
    "postgres_database",
    "settings",
    "sqlite_database",
]
