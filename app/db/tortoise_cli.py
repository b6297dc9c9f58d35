"""The config that tortoise's own command line (`tortoise makemigrations`) reads.

pyproject.toml's `[tool.tortoise]` points here. It is `app.db`'s config on the database
the settings name, read only when the `tortoise` command imports this module.
"""

from app.db import tortoise_config
from app.settings import Settings

TORTOISE_ORM = tortoise_config(Settings().database_url)
