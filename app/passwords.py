"""Password hashing with argon2id, kept off the event loop."""

import asyncio

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from app.settings import Settings


class Passwords:
    """Hashes and verifies passwords with the cost set in the settings.

    argon2 is deliberately slow, so each call runs in a worker thread: hashing on the
    event loop would stall every other request for tens of milliseconds.
    """

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.password_time_cost,
            memory_cost=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
            type=Type.ID,
        )
        # Verified against when the user is unknown, so that an unknown name costs as
        # much time as a wrong password and response times do not reveal who exists.
        self._dummy_hash = self._hasher.hash("not a password anyone has")

    async def hash(self, password: str) -> str:
        """The PHC string (algorithm, parameters, salt, hash) to store."""
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether `password` matches; `None` (no such user) never matches, as slowly."""
        try:
            await asyncio.to_thread(
                self._hasher.verify, password_hash or self._dummy_hash, password
            )
        except (VerificationError, InvalidHashError):
            return False
        return password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made with other parameters than the current ones."""
        return self._hasher.check_needs_rehash(password_hash)
