"""The signing key of a development server: random, made on its first run, kept in `data/`.

settings.toml ships a sample `secret_key` so that a fresh clone runs at once, and the
README shows it: a development server exposed by mistake would accept tokens that anyone
can forge with it. Production refuses the sample (see `Settings`); in development and
test the server signs with a key of its own instead, kept beside the default SQLite file
so that tokens outlive a restart, as the users in that file do.
"""

import os
import secrets
import tempfile
from pathlib import Path

from pydantic import SecretStr

from app.settings import MIN_SECRET_BYTES, SAMPLE_SECRET_KEY, Settings

# Relative to the working directory, like the default database_url (data/stores.sqlite3).
SECRET_FILE = Path("data") / "development-secret-key"


def signs_with_sample(settings: Settings) -> bool:
    """Whether `settings` are a server's that would sign with the public sample key (an
    asymmetric one signs with its key file, and uses no secret). Production refuses the
    sample before this is asked; any other env must not sign with it either."""
    return not settings.asymmetric and settings.secret == SAMPLE_SECRET_KEY


def with_development_secret(settings: Settings, path: Path = SECRET_FILE) -> Settings:
    """`settings` signing with the key stored at `path`, which is made if missing."""
    if not path.exists():
        _create(path)
    secret = path.read_text().strip()
    if len(secret.encode()) < MIN_SECRET_BYTES[settings.algorithm]:
        raise ValueError(f"{path} holds too short a key for {settings.algorithm}; delete it")
    return settings.model_copy(update={"secret_key": SecretStr(secret)})


def _create(path: Path) -> None:
    """Write a new key, readable by its owner only, and publish it whole.

    It is written under a private name, then linked to `path`, so no server ever reads a
    half-written key; a link fails if another server published its key first, and the
    loser then uses that one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, staged = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(64) + "\n")
        os.link(staged, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(staged)
