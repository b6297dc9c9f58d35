"""Helpers shared by the extension's and the service's tests (fixtures live in conftest.py)."""


def bearer(token: str) -> dict[str, str]:
    """The `Authorization` header carrying `token` as a bearer token."""
    return {"Authorization": f"Bearer {token}"}
