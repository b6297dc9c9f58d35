"""POST /register, /login, /refresh, /logout and GET /me."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest

from app.db import open_database
from app.db.models import Role, User
from app.settings import Settings
from sanic_jwt_extended import JWT
from tests.app.helpers import PASSWORD, SECRET, Api, LoggedIn, build_app, refusal
from tests.helpers import bearer

pytestmark = pytest.mark.usefixtures("database_url")


def claims(token: str) -> dict[str, Any]:
    """The payload of a token issued by the app under test, verified with its secret."""
    return jwt.decode(token, SECRET, algorithms=["HS256"])


def refresh_header(token: str) -> dict[str, str]:
    return {"X-Refresh-Token": f"Bearer {token}"}


# POST /register


async def test_register_creates_a_user_with_the_user_role(api: Api) -> None:
    response = await api.call("POST", "/register", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 201
    assert response.json == {"id": 1, "username": "alice", "role": "USER"}


async def test_register_stores_only_an_argon2id_hash(api: Api, settings: Settings) -> None:
    await api.register("alice")
    async with open_database(settings.database_url):
        user = await User.get(username="alice")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


async def test_register_refuses_a_taken_username(api: Api) -> None:
    await api.register("alice")
    response = await api.call(
        "POST", "/register", json={"username": "alice", "password": "other-pass"}
    )
    assert response.status_code == 409
    assert response.json == {"msg": "That username is taken."}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "alice", "password": PASSWORD, "role": "ADMIN"}, "role"),
        ({"username": "alice", "password": PASSWORD, "extra": 1}, "extra"),
        ({"username": "al", "password": PASSWORD}, "username"),
        ({"username": "a" * 65, "password": PASSWORD}, "username"),
        ({"username": "alice smith", "password": PASSWORD}, "username"),
        ({"username": "élise", "password": PASSWORD}, "username"),
        ({"username": 12345, "password": PASSWORD}, "username"),
        ({"username": "alice", "password": "short12"}, "password"),
        ({"username": "alice", "password": "p" * 129}, "password"),
        ({"username": "alice", "password": 12345678}, "password"),
        ({"password": PASSWORD}, "username"),
    ],
)
async def test_register_refuses_invalid_bodies(api: Api, body: dict[str, Any], field: str) -> None:
    response = await api.call("POST", "/register", json=body)
    assert response.status_code == 422
    assert response.json["msg"] == "The request is invalid."
    assert [error["loc"] for error in response.json["errors"]] == [[field]]
    listed = await api.call("POST", "/login", json={"username": "alice", "password": PASSWORD})
    assert listed.status_code == 401, "nothing was created"


async def test_register_accepts_the_limits_of_the_rules(api: Api) -> None:
    await api.register("a.b", "p" * 8)
    await api.register("A_z-0" + "9" * 59, "p" * 128)


# POST /login


async def test_login_issues_a_fresh_access_token_and_a_refresh_token(api: Api) -> None:
    user_id = await api.register("alice")
    response = await api.call("POST", "/login", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    access, refresh = claims(body["access_token"]), claims(body["refresh_token"])
    expected = {
        "sub": str(user_id),
        "role": "USER",
        "stores_api_uid": user_id,
        "stores_api_username": "alice",
        "stores_api_is_admin": False,
    }
    assert access.items() >= (expected | {"fresh": True}).items()
    assert refresh.items() >= expected.items()
    assert jwt.get_unverified_header(body["refresh_token"])["class"] == "refresh"


@pytest.mark.parametrize(
    "body",
    [
        {"username": "alice", "password": "wrong password"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "alice", "password": ""},
    ],
)
async def test_login_gives_one_answer_for_any_wrong_credentials(
    api: Api, body: dict[str, str]
) -> None:
    await api.register("alice")
    response = await api.call("POST", "/login", json=body)
    assert response.status_code == 401
    assert response.json == {"msg": "Invalid credentials."}


@pytest.mark.parametrize("length", [65, 1_023, 1_024])
async def test_a_name_longer_than_any_account_is_just_a_wrong_name(api: Api, length: int) -> None:
    response = await api.call("POST", "/login", json={"username": "a" * length, "password": "x"})
    assert (response.status_code, response.json) == (401, {"msg": "Invalid credentials."})


async def test_login_refuses_unknown_fields(api: Api) -> None:
    body = {"username": "alice", "password": PASSWORD, "remember": True}
    response = await api.call("POST", "/login", json=body)
    assert response.status_code == 422


async def test_login_takes_the_form_of_oauth2s_password_grant(api: Api, user: LoggedIn) -> None:
    """What OAuth2 clients and the docs page's Authorize send; the same answer as JSON's."""
    form = {"grant_type": "password", "username": "alice", "password": PASSWORD}
    for extra in ({}, {"client_id": "docs", "client_secret": "", "scope": ""}):
        response = await api.call("POST", "/login", data=form | extra)
        assert response.status_code == 200, response.text
        assert set(response.json) == {"access_token", "refresh_token", "token_type", "expires_in"}
        assert response.json["token_type"] == "Bearer"
        me = await api.call("GET", "/me", headers=bearer(response.json["access_token"]))
        assert me.json["username"] == "alice"
    wrong = await api.call("POST", "/login", data=form | {"password": "not it"})
    assert (wrong.status_code, wrong.json) == (401, {"msg": "Invalid credentials."})


@pytest.mark.parametrize(
    ("form", "loc"),
    [
        ({"username": "alice", "password": PASSWORD}, ["grant_type"]),
        (
            {"grant_type": "client_credentials", "username": "alice", "password": PASSWORD},
            ["grant_type"],
        ),
        ({"grant_type": "password", "username": "alice"}, ["password"]),
        ({"grant_type": "password", "username": "alice", "password": PASSWORD, "x": "1"}, ["x"]),
    ],
)
async def test_a_login_form_without_the_password_grant_is_refused(
    api: Api, user: LoggedIn, form: dict[str, str], loc: list[str]
) -> None:
    response = await api.call("POST", "/login", data=form)
    assert response.status_code == 422
    assert response.json["msg"] == "The request is invalid."
    assert response.json["errors"][0]["loc"] == loc


async def test_login_refuses_a_body_neither_json_nor_a_form(api: Api, user: LoggedIn) -> None:
    response = await api.call(
        "POST", "/login", content=f"alice:{PASSWORD}", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415


async def test_login_rehashes_a_password_hashed_with_older_parameters(
    api: Api, settings: Settings
) -> None:
    await api.register("alice")
    stronger = build_app(settings.model_copy(update={"password_time_cost": 2}))
    await Api(stronger).login("alice")
    async with open_database(settings.database_url):
        user = await User.get(username="alice")
    assert ",t=2," in user.password_hash
    await Api(stronger).login("alice")


# POST /refresh


async def test_refresh_gives_a_non_fresh_access_token_and_the_next_refresh_token(
    api: Api, user: LoggedIn
) -> None:
    response = await api.call("POST", "/refresh", headers=refresh_header(user.refresh))
    assert response.status_code == 200
    assert set(response.json) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert response.json["token_type"] == "Bearer"
    assert claims(response.json["access_token"])["fresh"] is False
    assert response.json["refresh_token"] != user.refresh


async def test_without_rotation_refresh_gives_an_access_token_only(settings: Settings) -> None:
    api = Api(build_app(settings.model_copy(update={"refresh_rotation": False})))
    await api.register("alice")
    user = await api.login("alice")
    for _ in range(2):  # the same refresh token, again and again
        response = await api.call("POST", "/refresh", headers=refresh_header(user.refresh))
        assert response.status_code == 200
        assert set(response.json) == {"access_token", "token_type", "expires_in"}


async def test_refresh_reads_the_role_again_from_the_database(
    api: Api, user: LoggedIn, settings: Settings
) -> None:
    # Written to the row directly: every path of the service that changes a role also
    # ends the user's sessions (see test_accounts.py).
    async with open_database(settings.database_url):
        await User.filter(username="alice").update(role=Role.ADMIN)
    refreshed = claims(await api.refreshed(user))
    assert refreshed["role"] == "ADMIN"
    assert refreshed["stores_api_is_admin"] is True


async def test_refresh_refuses_a_user_who_no_longer_exists(
    api: Api, user: LoggedIn, settings: Settings
) -> None:
    async with open_database(settings.database_url):
        await User.filter(username="alice").delete()
    response = await api.call("POST", "/refresh", headers=refresh_header(user.refresh))
    assert response.status_code == 401
    assert response.json == {"msg": "User no longer exists."}


async def test_refresh_needs_a_refresh_token(api: Api, user: LoggedIn) -> None:
    missing = await api.call("POST", "/refresh")
    assert missing.status_code == 401
    access_instead = await api.call("POST", "/refresh", headers=refresh_header(user.access))
    assert refusal(access_instead) == (401, "invalid_token")
    tampered = await api.call(
        "POST", "/refresh", headers=refresh_header(user.refresh[:-4] + "AAAA")
    )
    assert refusal(tampered) == (401, "invalid_token")


async def test_a_refresh_token_is_not_an_access_token(api: Api, user: LoggedIn) -> None:
    response = await api.call("GET", "/me", headers=bearer(user.refresh))
    assert refusal(response) == (401, "invalid_token")


# POST /logout


async def test_logout_ends_the_session_refresh_token_included(api: Api, user: LoggedIn) -> None:
    """No X-Refresh-Token needed: the session's refresh token is refused too."""
    response = await api.call("POST", "/logout", headers=user.headers)
    assert response.status_code == 200
    assert response.json == {"msg": "Logged out."}
    again = await api.call("GET", "/me", headers=user.headers)
    assert again.status_code == 401
    assert again.json == {"msg": "Token has been revoked."}
    refreshed = await api.call("POST", "/refresh", headers=refresh_header(user.refresh))
    assert (refreshed.status_code, refreshed.json) == (401, {"msg": "Token has been revoked."})


async def test_logout_revokes_the_refresh_token_sent_with_it(api: Api, user: LoggedIn) -> None:
    headers = user.headers | refresh_header(user.refresh)
    assert (await api.call("POST", "/logout", headers=headers)).status_code == 200
    response = await api.call("POST", "/refresh", headers=refresh_header(user.refresh))
    assert response.status_code == 401


async def test_logout_leaves_the_users_other_sessions_alone(api: Api, user: LoggedIn) -> None:
    other = await api.login("alice")
    await api.call("POST", "/logout", headers=user.headers | refresh_header(user.refresh))
    assert (await api.call("GET", "/me", headers=other.headers)).status_code == 200
    assert (
        await api.call("POST", "/refresh", headers=refresh_header(other.refresh))
    ).status_code == 200


@pytest.mark.parametrize(
    ("refresh_value", "error"),
    [
        ("Basic abc", "invalid_request"),
        ("Bearer", "invalid_request"),
        ("Bearer not-a-jwt", "invalid_token"),
        ("Bearer a b", "invalid_request"),
    ],
)
async def test_logout_with_a_bad_refresh_header_revokes_nothing(
    api: Api, user: LoggedIn, refresh_value: str, error: str
) -> None:
    response = await api.call(
        "POST", "/logout", headers=user.headers | {"X-Refresh-Token": refresh_value}
    )
    assert refusal(response) == (401, error)
    assert (await api.call("GET", "/me", headers=user.headers)).status_code == 200


async def test_logout_refuses_an_access_token_or_another_users_token_as_refresh(
    api: Api, user: LoggedIn
) -> None:
    await api.register("bob")
    bob = await api.login("bob")
    for wrong in (user.access, bob.refresh):
        response = await api.call("POST", "/logout", headers=user.headers | refresh_header(wrong))
        assert refusal(response) == (401, "invalid_token")
    assert (
        await api.call("POST", "/refresh", headers=refresh_header(bob.refresh))
    ).status_code == 200


async def test_logout_ignores_an_expired_refresh_token(api: Api, user: LoggedIn) -> None:
    expired = JWT.create_refresh_token("1", expires_delta=timedelta(seconds=-5))
    response = await api.call("POST", "/logout", headers=user.headers | refresh_header(expired))
    assert response.status_code == 200
    assert (await api.call("GET", "/me", headers=user.headers)).status_code == 401


async def test_logout_needs_an_access_token(api: Api, user: LoggedIn) -> None:
    assert (await api.call("POST", "/logout")).status_code == 401
    response = await api.call("POST", "/logout", headers=bearer(user.refresh))
    assert refusal(response) == (401, "invalid_token")


# GET /me


async def test_me_describes_the_bearer(api: Api, user: LoggedIn) -> None:
    response = await api.call("GET", "/me", headers=user.headers)
    assert response.status_code == 200
    assert response.json == {
        "id": 1,
        "username": "alice",
        "role": "USER",
        "private_claims": {"uid": 1, "username": "alice", "is_admin": False},
    }


async def test_me_needs_a_token(api: Api) -> None:
    response = await api.call("GET", "/me")
    assert response.status_code == 401
    assert set(response.json) == {"msg"}
    expired = JWT.create_access_token("1", expires_delta=timedelta(seconds=-5))
    assert (await api.call("GET", "/me", headers=bearer(expired))).status_code == 401
    response = await api.call("GET", "/me", headers={"Authorization": "Basic abc"})
    assert refusal(response) == (401, "invalid_request")


async def test_logout_with_an_already_revoked_refresh_token_still_ends_the_access_token(
    api: Api, user: LoggedIn
) -> None:
    await api.call("POST", "/logout", headers=user.headers | refresh_header(user.refresh))
    again = await api.login("alice")
    response = await api.call(
        "POST", "/logout", headers=again.headers | refresh_header(user.refresh)
    )
    assert response.status_code == 200
    assert response.json == {"msg": "Logged out; the refresh token had already been revoked."}
    assert (await api.call("GET", "/me", headers=again.headers)).status_code == 401


async def test_logout_says_when_the_refresh_token_had_expired(api: Api, user: LoggedIn) -> None:
    expired = JWT.create_refresh_token("1", expires_delta=timedelta(seconds=-5))
    response = await api.call("POST", "/logout", headers=user.headers | refresh_header(expired))
    assert response.json == {"msg": "Logged out; the refresh token had already expired."}


async def test_tokens_leave_login_and_refresh_marked_not_to_be_stored(
    api: Api, user: LoggedIn
) -> None:
    login = await api.call("POST", "/login", json={"username": "alice", "password": PASSWORD})
    refresh = await api.call("POST", "/refresh", headers=refresh_header(user.refresh))
    for response in (login, refresh):
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"


async def test_failed_logins_and_refreshes_challenge_for_a_bearer_token(
    api: Api, user: LoggedIn, settings: Settings
) -> None:
    wrong = await api.call("POST", "/login", json={"username": "alice", "password": "nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    async with open_database(settings.database_url):
        await User.filter(username="alice").delete()
    gone = await api.call("POST", "/refresh", headers=refresh_header(user.refresh))
    assert gone.status_code == 401
    assert gone.headers["www-authenticate"].startswith("Bearer")


# Correctly signed tokens that this service did not make (another claim layout, another
# service sharing the key) are refused with a 4xx, never a 500.


@pytest.mark.parametrize(
    ("subject", "private_claims"),
    [
        ("1", {"uid": 1, "is_admin": False}),  # no username
        ("1", {"uid": 1, "username": 7, "is_admin": False}),  # ill-typed
        ("alice", {"uid": 1, "username": "alice", "is_admin": False}),
        ("99999999999999999999", {"uid": 1, "username": "alice", "is_admin": False}),
        ("-1", {"uid": 1, "username": "alice", "is_admin": False}),
        ("\u0661", {"uid": 1, "username": "alice", "is_admin": False}),  # an Arabic-Indic 1
    ],
)
async def test_me_refuses_tokens_of_another_layout(
    api: Api, user: LoggedIn, subject: str, private_claims: dict[str, Any]
) -> None:
    token = JWT.create_access_token(subject, role="USER", private_claims=private_claims)
    response = await api.call("GET", "/me", headers=bearer(token))
    assert refusal(response) == (401, "invalid_token")
    assert set(response.json) == {"msg"}


@pytest.mark.parametrize("subject", ["alice", "99999999999999999999", "0", "1.0"])
async def test_refresh_refuses_tokens_whose_subject_is_no_user_id(
    api: Api, user: LoggedIn, subject: str
) -> None:
    token = JWT.create_refresh_token(subject, role="USER")
    response = await api.call("POST", "/refresh", headers=refresh_header(token))
    assert refusal(response) == (401, "invalid_token")
    assert set(response.json) == {"msg"}


async def test_usernames_are_unique_in_any_letter_case_and_keep_their_own(api: Api) -> None:
    await api.register("Alice")
    taken = await api.call("POST", "/register", json={"username": "ALICE", "password": PASSWORD})
    assert taken.status_code == 409
    session = await api.login("alice")  # names match in any case, as they are unique so
    me = await api.call("GET", "/me", headers=session.headers)
    assert me.json["username"] == "Alice"
