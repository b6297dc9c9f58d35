"""An async client of the stores-and-items API, with httpx.

    python examples/async_client.py [BASE_URL]        (default http://127.0.0.1:8000)

It registers a user of its own (a new name on every run) and logs in, creates a store and
50 items in it concurrently, lists them page by page, logs out and prints a summary.

Two tokens come from a login. `POST /items` needs a *fresh* access token, one straight
from a login, so the items are created with the login's token. Everything else goes
through `Session.request`, which refreshes the access token when the server says it has
expired (401 "Token has expired.") and tries once more, keeping the next refresh token
the server hands out (each refresh spends the one sent); a refreshed token is not fresh,
so it is never used to create items. Any other 401, or any unexpected status, is an
error: the client says which and exits with status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

DEFAULT_URL = "http://127.0.0.1:8000"
ITEMS = 50
PAGE_SIZE = 20
# What the server answers, with 401, for an access token past its `exp`.
EXPIRED = "Token has expired."


class ClientError(Exception):
    """The server answered something this client did not expect."""


def expect(response: httpx.Response, status: int) -> Any:
    """The JSON body of `response`, or ClientError when its status is not `status`."""
    if response.status_code != status:
        raise ClientError(
            f"{response.request.method} {response.request.url.path}: expected {status}, "
            f"got {response.status_code} {response.text}"
        )
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def has_expired(response: httpx.Response) -> bool:
    """Whether the server refused the access token only because it expired."""
    if response.status_code != 401:
        return False
    try:
        return bool(response.json().get("msg") == EXPIRED)
    except ValueError:  # not JSON: not this server's answer
        return False


@dataclass
class Session:
    """A logged-in user: the login's fresh access token, the current one, the refresh token."""

    client: httpx.AsyncClient
    fresh_access: str
    refresh_token: str
    access: str = ""
    refreshes: int = 0
    _refreshing: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.access = self.access or self.fresh_access

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send with the current access token; once more with a new one if it expired."""
        token = self.access
        response = await self.client.request(method, path, headers=bearer(token), **kwargs)
        if not has_expired(response):
            return response
        await self._refresh(token)
        return await self.client.request(method, path, headers=bearer(self.access), **kwargs)

    async def fresh_request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send with the login's fresh token, for routes that need one (never refreshed)."""
        return await self.client.request(method, path, headers=bearer(self.fresh_access), **kwargs)

    async def _refresh(self, expired: str) -> None:
        """Replace the expired access token, once however many requests found it expired."""
        async with self._refreshing:
            if self.access != expired:  # another request has refreshed it meanwhile
                return
            response = await self.client.post(
                "/refresh", headers={"X-Refresh-Token": f"Bearer {self.refresh_token}"}
            )
            tokens = expect(response, 200)
            self.access = tokens["access_token"]
            # Rotation: the refresh token sent is spent; the next one must be kept.
            self.refresh_token = tokens.get("refresh_token", self.refresh_token)
            self.refreshes += 1

    async def log_out(self) -> None:
        """End the session: its access and refresh tokens are refused from now on."""
        headers = bearer(self.access) | {"X-Refresh-Token": f"Bearer {self.refresh_token}"}
        expect(await self.client.post("/logout", headers=headers), 200)


async def sign_up(client: httpx.AsyncClient) -> Session:
    """Register a user with a name and password of this run's own, and log in."""
    credentials = {
        "username": f"client-{secrets.token_hex(6)}",
        "password": secrets.token_urlsafe(16),
    }
    expect(await client.post("/register", json=credentials), 201)
    tokens = expect(await client.post("/login", json=credentials), 200)
    return Session(client, tokens["access_token"], tokens["refresh_token"])


async def create_store(session: Session) -> int:
    name = f"Async store {secrets.token_hex(4)}"
    return int(expect(await session.request("POST", "/stores", json={"name": name}), 201)["id"])


async def create_items(session: Session, store_id: int, count: int) -> list[int]:
    """Create `count` items in the store at once; their ids."""

    async def create(number: int) -> int:
        item = {"name": f"Item {number}", "price": 1 + number / 4, "store_id": store_id}
        return int(expect(await session.fresh_request("POST", "/items", json=item), 201)["id"])

    return list(await asyncio.gather(*(create(number) for number in range(count))))


async def list_items(session: Session, store_id: int) -> tuple[list[int], int]:
    """The ids of the store's items, read page by page, and how many pages that took."""
    ids: list[int] = []
    pages = 0
    while True:
        query = {"store_id": store_id, "limit": PAGE_SIZE, "offset": len(ids)}
        page = expect(await session.request("GET", "/items", params=query), 200)
        pages += 1
        ids.extend(item["id"] for item in page["items"])
        if not page["items"] or len(ids) >= page["total"]:
            return ids, pages


async def tour(base_url: str) -> str:
    """Run the whole story against the server at `base_url`; the summary line."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        session = await sign_up(client)
        store_id = await create_store(session)
        started = time.perf_counter()
        created = await create_items(session, store_id, ITEMS)
        seconds = time.perf_counter() - started
        listed, pages = await list_items(session, store_id)
        if sorted(listed) != sorted(created):
            raise ClientError(f"listed items {sorted(listed)}, created {sorted(created)}")
        await session.log_out()
    return (
        f"Created store {store_id} and {len(created)} items concurrently in {seconds:.2f} s; "
        f"listed {len(listed)} items in {pages} pages; "
        f"refreshed the access token {session.refreshes} times; logged out."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="An async client of the stores-and-items API.")
    parser.add_argument("base_url", nargs="?", default=DEFAULT_URL, help=f"default {DEFAULT_URL}")
    args = parser.parse_args(argv)
    try:
        print(asyncio.run(tour(args.base_url)))
    except ClientError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except httpx.HTTPError as error:
        print(f"error: {args.base_url}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
