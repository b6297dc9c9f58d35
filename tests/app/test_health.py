"""GET /health checks the database and the blacklist for real."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.helpers import Api, build_app, make_settings


@pytest.mark.usefixtures("database_url")
async def test_health_is_ok_when_both_parts_answer(api: Api) -> None:
    response = await api.call("GET", "/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "blacklist": "ok"}


async def test_health_names_an_unreachable_database(tmp_path: Path) -> None:
    # Not a database at all: the server starts (SQLite opens lazily), queries fail.
    (tmp_path / "db.sqlite3").write_bytes(b"this is not a SQLite database" * 100)
    api = Api(build_app(make_settings(database_url=f"sqlite://{tmp_path}/db.sqlite3")))
    response = await api.call("GET", "/health")
    assert response.status_code == 503
    assert response.json == {
        "msg": "Unavailable: database.",
        "status": "unavailable",
        "database": "unavailable",
        "blacklist": "ok",
    }


async def test_health_names_an_unreachable_blacklist(sqlite_database: str) -> None:
    settings = make_settings(database_url=sqlite_database, redis_url="redis://127.0.0.1:1/0")
    response = await Api(build_app(settings)).call("GET", "/health")
    assert response.status_code == 503
    assert response.json["blacklist"] == "unavailable"
    assert response.json["database"] == "ok"
    assert response.json["msg"] == "Unavailable: blacklist."
