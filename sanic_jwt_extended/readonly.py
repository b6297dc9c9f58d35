"""`ReadOnlyAfterInit`: objects configured inside `JWT.initialize` and frozen when it closes."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import fields
from typing import Any


class ReadOnlyAfterInit:
    """Refuses unknown attribute names always, and every assignment once `lock()` ran.

    Unknown names are refused so that a misspelt option fails loudly instead of being
    silently ignored. The known names are a dataclass's fields, unless a subclass says
    otherwise in `_known_names`.
    """

    _locked = False

    def __setattr__(self, name: str, value: Any) -> None:
        if self._locked:
            raise RuntimeError(
                f"{type(self).__name__}.{name} cannot be changed after JWT.initialize() closed"
            )
        if name not in self._known_names():
            raise AttributeError(f"{type(self).__name__} has no option {name!r}")
        object.__setattr__(self, name, value)

    def _known_names(self) -> Collection[str]:
        return {option.name for option in fields(self)}  # type: ignore[arg-type]

    def lock(self) -> None:
        object.__setattr__(self, "_locked", True)
