"""The view decorators: what reaches the view, and what each refusal looks like."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import pytest
from sanic import Request
from sanic.response import HTTPResponse, json

from sanic_jwt_extended import (
    JWT,
    jwt_optional,
    jwt_required,
    refresh_jwt_required,
    verify_jwt_in_request,
)
from sanic_jwt_extended.exceptions import ConfigurationConflictError
from sanic_jwt_extended.tokens import Token

from .helpers import AppFactory, bearer


async def test_the_view_receives_the_token(make_app: AppFactory) -> None:
    app = make_app(use_acl=True, private_claim_prefix="p")
    raw = JWT.create_access_token("alice", role="USER", fresh=True, private_claims={"a": 1})
    _, response = await app.asgi_client.get("/protected", headers=bearer(raw))
    assert response.status == 200
    assert response.json == {
        "identity": "alice",
        "type": "access",
        "role": "USER",
        "fresh": True,
        "private_claims": {"a": 1},
        "public_claims": {},
    }


async def test_bare_and_called_forms_and_method_views_all_work(make_app: AppFactory) -> None:
    app = make_app()
    headers = bearer(JWT.create_access_token("alice"))
    for method, path in [("get", "/protected"), ("post", "/protected"), ("get", "/items")]:
        _, response = await getattr(app.asgi_client, method)(path, headers=headers)
        assert (response.status, response.json["identity"]) == (200, "alice"), path


async def test_no_token_is_a_401(make_app: AppFactory) -> None:
    app = make_app()
    _, response = await app.asgi_client.get("/protected")
    assert response.status == 401
    assert response.json == {"msg": "Missing access token: looked in Authorization header."}


@pytest.mark.parametrize(
    "header",
    ["Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Bearer", "Bearer a b", "", "Token abc"],
)
async def test_a_malformed_authorization_header_is_a_422(make_app: AppFactory, header: str) -> None:
    app = make_app()
    _, response = await app.asgi_client.get("/protected", headers={"Authorization": header})
    assert response.status == 422
    assert response.json["msg"].startswith("Bad Authorization header")


async def test_the_scheme_is_case_insensitive(make_app: AppFactory) -> None:
    app = make_app()
    raw = JWT.create_access_token("alice")
    _, response = await app.asgi_client.get(
        "/protected", headers={"Authorization": f"bearer {raw}"}
    )
    assert response.status == 200


async def test_a_refresh_token_is_not_an_access_token_nor_the_reverse(
    make_app: AppFactory,
) -> None:
    app = make_app()
    refresh = JWT.create_refresh_token("alice")
    access = JWT.create_access_token("alice")
    _, response = await app.asgi_client.get("/protected", headers=bearer(refresh))
    assert (response.status, response.json) == (422, {"msg": "Only access tokens are allowed."})
    _, response = await app.asgi_client.post(
        "/refresh", headers={"X-Refresh-Token": f"Bearer {access}"}
    )
    assert (response.status, response.json) == (422, {"msg": "Only refresh tokens are allowed."})


async def test_refresh_tokens_travel_in_x_refresh_token(make_app: AppFactory) -> None:
    app = make_app()
    refresh = JWT.create_refresh_token("alice")
    _, response = await app.asgi_client.post("/refresh", headers=bearer(refresh))
    assert response.status == 401  # the Authorization header is for access tokens
    _, response = await app.asgi_client.post(
        "/refresh", headers={"X-Refresh-Token": f"Bearer {refresh}"}
    )
    assert (response.status, response.json["type"]) == (200, "refresh")


async def test_fresh_required(make_app: AppFactory) -> None:
    app = make_app()
    for fresh, status in [(True, 200), (False, 401), (None, 401)]:
        raw = JWT.create_access_token("alice", fresh=fresh)
        _, response = await app.asgi_client.post("/fresh", headers=bearer(raw))
        assert response.status == status, fresh
    assert response.json == {"msg": "Fresh token required."}


@pytest.mark.parametrize(
    ("path", "role", "status"),
    [
        ("/admin", "ADMIN", 200),
        ("/admin", "USER", 403),
        ("/admin", None, 403),
        ("/not-banned", "USER", 200),
        ("/not-banned", None, 200),
        ("/not-banned", "BANNED", 403),
    ],
)
async def test_allow_and_deny_roles(
    make_app: AppFactory, path: str, role: str | None, status: int
) -> None:
    app = make_app(use_acl=True)
    raw = JWT.create_access_token("alice", role=role)
    _, response = await app.asgi_client.get(path, headers=bearer(raw))
    assert response.status == status
    if status == 403:
        assert response.json == {"msg": "This role may not access this resource."}


async def test_roles_on_method_views(make_app: AppFactory) -> None:
    app = make_app(use_acl=True)
    _, response = await app.asgi_client.delete(
        "/items", headers=bearer(JWT.create_access_token("a", role="USER"))
    )
    assert response.status == 403
    _, response = await app.asgi_client.delete(
        "/items", headers=bearer(JWT.create_access_token("a", role="ADMIN"))
    )
    assert response.status == 200


@pytest.mark.parametrize("decorator", [jwt_required, jwt_optional, refresh_jwt_required])
def test_allow_with_deny_is_refused_when_applied(decorator: object) -> None:
    with pytest.raises(ConfigurationConflictError, match="allow and deny"):
        decorator(allow=["A"], deny=["B"])  # type: ignore[operator]


def test_refresh_jwt_required_accepts_fresh_required_false_only() -> None:
    async def view(request: Request, token: object) -> HTTPResponse:
        return json({})

    assert callable(refresh_jwt_required(fresh_required=False)(view))
    with pytest.raises(ConfigurationConflictError, match="freshness"):
        refresh_jwt_required(fresh_required=True)(view)


class TestJwtOptional:
    async def test_no_token_passes_none(self, make_app: AppFactory) -> None:
        app = make_app()
        _, response = await app.asgi_client.get("/optional")
        assert (response.status, response.json) == (200, {"token": None})

    async def test_another_scheme_counts_as_no_token(self, make_app: AppFactory) -> None:
        app = make_app()
        _, response = await app.asgi_client.get(
            "/optional", headers={"Authorization": "Basic YWxhZGRpbjpvcGVuc2VzYW1l"}
        )
        assert (response.status, response.json) == (200, {"token": None})

    async def test_a_valid_token_is_passed(self, make_app: AppFactory) -> None:
        app = make_app()
        raw = JWT.create_access_token("alice")
        _, response = await app.asgi_client.get("/optional", headers=bearer(raw))
        assert response.json["identity"] == "alice"

    @pytest.mark.parametrize(
        ("make_header", "status"),
        [
            (lambda: bearer(JWT.create_access_token("a", expires_delta=timedelta(-1))), 401),
            (lambda: bearer(JWT.create_access_token("a")[:-3] + "abc"), 422),
            (lambda: bearer(JWT.create_refresh_token("a")), 422),
            (lambda: {"Authorization": "Bearer"}, 422),
        ],
        ids=["expired", "tampered", "refresh-token", "bearer-without-token"],
    )
    async def test_an_invalid_token_is_refused_not_ignored(
        self, make_app: AppFactory, make_header: object, status: int
    ) -> None:
        app = make_app()
        _, response = await app.asgi_client.get("/optional", headers=make_header())  # type: ignore[operator]
        assert response.status == status


class TestLocations:
    async def test_query_parameter(self, make_app: AppFactory) -> None:
        app = make_app(token_location=("query",), jwt_query_param_name="token")
        raw = JWT.create_access_token("alice")
        _, response = await app.asgi_client.get("/protected", params={"token": raw})
        assert response.status == 200
        _, response = await app.asgi_client.get("/protected", headers=bearer(raw))
        assert response.status == 401
        assert "token query parameter" in response.json["msg"]

    async def test_the_first_location_holding_a_token_wins(self, make_app: AppFactory) -> None:
        app = make_app(token_location=("query", "header"))
        alice, bob = JWT.create_access_token("alice"), JWT.create_access_token("bob")
        _, response = await app.asgi_client.get(
            "/protected", params={"jwt": alice}, headers=bearer(bob)
        )
        assert response.json["identity"] == "alice"
        _, response = await app.asgi_client.get("/protected", headers=bearer(bob))
        assert response.json["identity"] == "bob"

    async def test_custom_header_name_and_prefix(self, make_app: AppFactory) -> None:
        app = make_app(jwt_header_key="X-Auth", jwt_header_prefix="JWT")
        raw = JWT.create_access_token("alice")
        _, response = await app.asgi_client.get("/protected", headers={"X-Auth": f"JWT {raw}"})
        assert response.status == 200

    async def test_an_empty_prefix_means_the_bare_token(self, make_app: AppFactory) -> None:
        app = make_app(jwt_header_prefix="")
        raw = JWT.create_access_token("alice")
        _, response = await app.asgi_client.get("/protected", headers={"Authorization": raw})
        assert response.status == 200


class TestCookiesAndCsrf:
    @staticmethod
    def cookie(name: str, raw: str) -> dict[str, str]:
        return {"Cookie": f"{name}={raw}"}

    async def test_safe_methods_need_no_csrf_header(self, make_app: AppFactory) -> None:
        app = make_app(token_location=("cookies",))
        raw = JWT.create_access_token("alice")
        _, response = await app.asgi_client.get(
            "/protected", headers=self.cookie("access_token_cookie", raw)
        )
        assert response.status == 200

    async def test_unsafe_methods_need_the_double_submit_value(self, make_app: AppFactory) -> None:
        app = make_app(token_location=("cookies",))
        raw = JWT.create_access_token("alice")
        csrf = Token(raw).csrf
        assert csrf
        headers = self.cookie("access_token_cookie", raw)

        _, response = await app.asgi_client.post("/protected", headers=headers)
        assert (response.status, response.json) == (
            401,
            {"msg": "Missing CSRF token in the X-CSRF-Token header."},
        )
        _, response = await app.asgi_client.post(
            "/protected", headers={**headers, "X-CSRF-Token": csrf[::-1]}
        )
        assert (response.status, response.json) == (
            401,
            {"msg": "CSRF double submit tokens do not match."},
        )
        _, response = await app.asgi_client.post(
            "/protected", headers={**headers, "X-CSRF-Token": csrf}
        )
        assert response.status == 200

    async def test_refresh_cookies_use_their_own_names(self, make_app: AppFactory) -> None:
        app = make_app(token_location=("cookies",), refresh_jwt_csrf_header="X-CSRF-Refresh")
        raw = JWT.create_refresh_token("alice")
        headers = {**self.cookie("refresh_token_cookie", raw), "X-CSRF-Refresh": Token(raw).csrf}
        _, response = await app.asgi_client.post("/refresh", headers=headers)
        assert response.status == 200

    async def test_csrf_protection_can_be_switched_off(self, make_app: AppFactory) -> None:
        app = make_app(token_location=("cookies",), csrf_protect=False)
        raw = JWT.create_access_token("alice")
        _, response = await app.asgi_client.post(
            "/protected", headers=self.cookie("access_token_cookie", raw)
        )
        assert response.status == 200

    async def test_header_tokens_need_no_csrf_even_with_cookies_on(
        self, make_app: AppFactory
    ) -> None:
        app = make_app(token_location=("header", "cookies"))
        _, response = await app.asgi_client.post(
            "/protected", headers=bearer(JWT.create_access_token("alice"))
        )
        assert response.status == 200


async def test_every_handler_can_be_replaced(make_app: AppFactory) -> None:
    app = make_app()

    async def teapot(request: Request, exception: Exception) -> HTTPResponse:
        return json({"msg": "No token, no tea.", "error": type(exception).__name__}, status=418)

    with JWT.initialize(app) as manager:
        manager.config.secret_key = "another-secret-that-is-long-enough-for-hs256"
        manager.handler.no_authorization = teapot
    _, response = await app.asgi_client.get("/protected")
    assert response.status == 418
    assert response.json == {"msg": "No token, no tea.", "error": "NoAuthorizationError"}
    # Handlers not replaced keep their defaults.
    _, response = await app.asgi_client.get("/protected", headers={"Authorization": "Basic x"})
    assert response.status == 422


async def test_verify_jwt_in_request_runs_the_same_checks_inline(make_app: AppFactory) -> None:
    app = make_app()

    @app.post("/logout-both")
    @jwt_required
    async def logout_both(request: Request, token: Token) -> HTTPResponse:
        refresh = await verify_jwt_in_request(request, refresh=True, optional=True)
        return json({"access": token.type, "refresh": refresh and refresh.type})

    access, refresh = JWT.create_access_token("a"), JWT.create_refresh_token("a")
    _, response = await app.asgi_client.post("/logout-both", headers=bearer(access))
    assert response.json == {"access": "access", "refresh": None}
    both = {**bearer(access), "X-Refresh-Token": f"Bearer {refresh}"}
    _, response = await app.asgi_client.post("/logout-both", headers=both)
    assert response.json == {"access": "access", "refresh": "refresh"}
    wrong = {**bearer(access), "X-Refresh-Token": f"Bearer {access}"}
    _, response = await app.asgi_client.post("/logout-both", headers=wrong)
    assert response.status == 422


async def no_request(token: Token) -> HTTPResponse:
    return json({})


async def no_token(request: Request) -> HTTPResponse:
    return json({})


async def nothing() -> HTTPResponse:
    return json({})


@pytest.mark.parametrize("view", [no_request, no_token, nothing])
@pytest.mark.parametrize("decorator", [jwt_required, jwt_optional, refresh_jwt_required])
def test_a_view_that_cannot_take_a_request_and_token_is_refused_when_decorated(
    decorator: Any, view: Any
) -> None:
    with pytest.raises(TypeError, match=rf"{view.__name__} cannot be protected: .*request"):
        decorator(view)
    with pytest.raises(TypeError, match=view.__name__):
        decorator()(view)


async def test_a_view_called_without_a_request_says_so(make_app: AppFactory) -> None:
    make_app()

    @jwt_required
    async def view(request: Any, token: Token) -> HTTPResponse:
        return json({})

    with pytest.raises(TypeError, match=r"view was called without a Request"):
        await cast(Any, view)("not a request")
    with pytest.raises(TypeError, match=r"without a Request"):
        await cast(Any, view)()
