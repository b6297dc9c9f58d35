"""A revocation journal: revocations that outlive the blacklist, and a manager without an app.

A restart is a new app on the same journal: what the old one revoked is refused by the
new one from its first request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from sanic import Sanic

from sanic_jwt_extended import JWT, TokenManager
from sanic_jwt_extended.blacklist import Cutoff, InMemoryBlacklist
from sanic_jwt_extended.exceptions import ConfigurationConflictError

from .helpers import SECRET, AppFactory, ListJournal, OnlyJtis, bearer


def journaled_app(make_app: AppFactory, journal: ListJournal, **options: object) -> Sanic[Any, Any]:
    return make_app(
        use_blacklist=True,
        blacklist_class=InMemoryBlacklist,
        revocation_journal=journal,
        **options,
    )


async def status_of(app: Sanic[Any, Any], raw: str) -> int:
    _, response = await app.asgi_client.get("/protected", headers=bearer(raw))
    return int(response.status)


async def test_a_logout_is_still_refused_after_a_restart(make_app: AppFactory) -> None:
    journal = ListJournal()
    before_restart = journaled_app(make_app, journal)
    raw = JWT.create_access_token("alice")
    _, response = await before_restart.asgi_client.post("/logout", headers=bearer(raw))
    assert response.status == 200

    after_restart = journaled_app(make_app, journal)
    assert await status_of(after_restart, raw) == 401


async def test_revoke_all_is_still_in_force_after_a_restart(make_app: AppFactory) -> None:
    journal = ListJournal()
    before_restart = journaled_app(make_app, journal)
    earlier = JWT.create_access_token("alice")
    _, response = await before_restart.asgi_client.post("/revoke-all/alice")
    assert response.status == 200
    later = JWT.create_access_token("alice")

    after_restart = journaled_app(make_app, journal)
    assert await status_of(after_restart, earlier) == 401
    assert await status_of(after_restart, later) == 200


async def test_without_a_journal_a_restart_forgets(make_app: AppFactory) -> None:
    """What the journal is for: the in-memory blacklist alone keeps nothing."""
    before_restart = make_app(use_blacklist=True, blacklist_class=InMemoryBlacklist)
    raw = JWT.create_access_token("alice")
    await before_restart.asgi_client.post("/logout", headers=bearer(raw))
    after_restart = make_app(use_blacklist=True, blacklist_class=InMemoryBlacklist)
    assert await status_of(after_restart, raw) == 200


async def test_what_another_process_records_is_caught_up_with(make_app: AppFactory) -> None:
    journal = ListJournal()
    app = journaled_app(make_app, journal)
    raw = JWT.create_access_token("alice")
    assert await status_of(app, raw) == 200
    manager = TokenManager.of(app)
    assert manager.revocations is not None

    # A command line, with its own manager on the same journal, revokes alice.
    other = standalone_manager(journal)
    await other.open()
    await other.revoke_all("alice")
    await other.close()

    await manager.revocations.catch_up()  # what the follower does every poll
    assert await status_of(app, raw) == 401


async def test_an_in_memory_blacklist_follows_the_journal_while_serving(
    make_app: AppFactory,
) -> None:
    journal = PollCounting()
    app = journaled_app(make_app, journal, journal_poll_seconds=0.001)
    manager = TokenManager.of(app)
    await manager.open()  # as the server's start does
    await asyncio.wait_for(journal.read_again.wait(), timeout=5)
    assert journal.reads >= 2  # once when opening, then by the follower
    await manager.close()
    reads = journal.reads
    await asyncio.sleep(0.01)
    assert journal.reads == reads  # closing stopped the follower


async def test_a_journal_that_cannot_be_written_fails_the_revocation(
    make_app: AppFactory,
) -> None:
    journal = BrokenJournal()
    app = journaled_app(make_app, journal)
    raw = JWT.create_access_token("alice")
    _, response = await app.asgi_client.post("/logout", headers=bearer(raw))
    assert response.status == 500  # the journal's own error, for the app to answer
    assert await status_of(app, raw) == 200  # and nothing half-done in the blacklist


def test_a_journal_needs_the_blacklist_on(make_app: AppFactory) -> None:
    with pytest.raises(ConfigurationConflictError, match="use_blacklist"):
        make_app(revocation_journal=ListJournal())


def test_a_journal_needs_a_blacklist_that_stores_cut_offs(make_app: AppFactory) -> None:
    with pytest.raises(ConfigurationConflictError, match="CutoffBlacklist"):
        make_app(use_blacklist=True, blacklist_class=OnlyJtis, revocation_journal=ListJournal())


async def test_a_manager_without_an_app_creates_reads_and_revokes() -> None:
    journal = ListJournal()
    manager = standalone_manager(journal)
    await manager.open()
    token = manager.decode(manager.create_access_token("alice", fresh=True))
    assert (token.identity, token.type, token.fresh) == ("alice", "access", True)
    await manager.revoke_all("alice")
    assert manager.revocations is not None
    assert await manager.revocations.is_revoked(token)
    await manager.close()
    assert [entry.key for entry in journal.entries] == ["identity:alice"]


def test_a_manager_without_an_app_is_checked_and_locked_like_an_app() -> None:
    with pytest.raises(ConfigurationConflictError, match="secret_key"), TokenManager.configure():
        pass
    manager = standalone_manager(ListJournal())
    with pytest.raises(RuntimeError):
        manager.config.secret_key = "another"


def test_a_manager_without_an_app_leaves_the_class_level_api_alone(make_app: AppFactory) -> None:
    app = make_app()
    standalone_manager(ListJournal())
    assert TokenManager.of(app).config is JWT.config


def standalone_manager(journal: ListJournal) -> TokenManager:
    with TokenManager.configure() as manager:
        manager.config.secret_key = SECRET
        manager.config.use_blacklist = True
        manager.config.blacklist_class = InMemoryBlacklist
        manager.config.revocation_journal = journal
    return manager


class PollCounting(ListJournal):
    """Sets `read_again` once it has been read a second time."""

    def __init__(self) -> None:
        super().__init__()
        self.read_again = asyncio.Event()

    async def read(self, after: int) -> tuple[list[Cutoff], int]:
        answer = await super().read(after)
        if self.reads >= 2:
            self.read_again.set()
        return answer


class BrokenJournal(ListJournal):
    async def record(self, cutoffs: Sequence[Cutoff]) -> None:
        raise OSError("disk full")


async def test_until_the_journal_is_read_tokens_are_refused_then_served(
    make_app: AppFactory,
) -> None:
    """Fail closed: a blacklist not yet filled might let a revoked token through."""
    journal = UnreadableAtFirst()
    app = journaled_app(make_app, journal, journal_poll_seconds=0.001)
    raw = JWT.create_access_token("alice")
    manager = TokenManager.of(app)
    assert manager.revocations is not None
    await manager.open()  # as the server's start does: it starts, the read fails
    with pytest.raises(OSError, match="the database is down"):  # for the app to answer
        await manager.revocations.is_revoked(manager.decode(raw))
    journal.readable.set()
    await asyncio.wait_for(journal.read_at_last.wait(), timeout=5)
    assert await manager.revocations.is_revoked(manager.decode(raw)) is False
    await manager.close()


class UnreadableAtFirst(ListJournal):
    """Fails to be read until `readable` is set; then sets `read_at_last`."""

    def __init__(self) -> None:
        super().__init__()
        self.readable = asyncio.Event()
        self.read_at_last = asyncio.Event()

    async def read(self, after: int) -> tuple[list[Cutoff], int]:
        if not self.readable.is_set():
            raise OSError("the database is down")
        answer = await super().read(after)
        self.read_at_last.set()
        return answer
