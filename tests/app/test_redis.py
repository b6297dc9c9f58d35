"""Two apps sharing one Redis blacklist (as workers or hosts do) see each other's revocations."""

from __future__ import annotations

from app.settings import Settings
from tests.app.helpers import Api, promote


async def test_health_reports_the_redis_blacklist(two_apps: tuple[Api, Api]) -> None:
    response = await two_apps[0].call("GET", "/health")
    assert response.json == {"status": "ok", "database": "ok", "blacklist": "ok"}


async def test_a_token_revoked_through_one_app_is_refused_by_the_other(
    two_apps: tuple[Api, Api],
) -> None:
    first, second = two_apps
    await first.register("alice")
    session = await first.login("alice")
    assert (await second.call("GET", "/me", headers=session.headers)).status_code == 200
    assert (await first.call("POST", "/logout", headers=session.headers)).status_code == 200
    response = await second.call("GET", "/me", headers=session.headers)
    assert response.status_code == 401
    assert response.json == {"msg": "Token has been revoked."}


async def test_a_demoted_admins_old_token_is_refused_by_both_apps(
    two_apps: tuple[Api, Api], settings: Settings
) -> None:
    first, second = two_apps
    await first.register("alice")
    await promote(settings, "alice")
    await promote(settings, "root")
    alice, root = await second.login("alice"), await first.login("root")
    assert (await second.call("GET", "/users/2", headers=alice.headers)).status_code == 200
    demoted = await first.call("PATCH", "/users/1", json={"role": "USER"}, headers=root.headers)
    assert demoted.json["role"] == "USER"
    for api in two_apps:
        response = await api.call("GET", "/users/2", headers=alice.headers)
        assert response.status_code == 401
        assert response.json == {"msg": "Token has been revoked."}
    again = await second.login("alice")
    assert (await first.call("GET", "/users/2", headers=again.headers)).status_code == 403


async def test_create_admin_with_redis_ends_earlier_access_tokens_at_once(
    two_apps: tuple[Api, Api], settings: Settings, shared_redis: str
) -> None:
    first = two_apps[0]
    await first.register("alice")
    session = await first.login("alice")
    # The command, run with the same settings as the servers, in a process of its own.
    await promote(settings.model_copy(update={"redis_url": shared_redis}), "alice")
    for api in two_apps:
        response = await api.call("GET", "/me", headers=session.headers)
        assert response.status_code == 401
        assert response.json == {"msg": "Token has been revoked."}


async def test_create_admin_without_redis_reaches_the_server_through_the_journal(
    api: Api, settings: Settings
) -> None:
    """A running server's in-memory blacklist is out of the command's reach, but the
    journal it records in is not: the server reads it when it starts (the test client
    starts the app for each request) and every second while it runs (see README)."""
    await api.register("alice")
    session = await api.login("alice")
    await promote(settings, "alice")
    response = await api.call("GET", "/me", headers=session.headers)
    assert (response.status_code, response.json) == (401, {"msg": "Token has been revoked."})
