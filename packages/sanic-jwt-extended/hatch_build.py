"""Build hook: take the import package from the repository root when building there.

`sanic_jwt_extended/` lives at the root of the repository, where the service and its
tests import it. A build from the repository takes it from there; a build from the sdist
finds it beside this file (the sdist holds it at its root), where a forced include of the
repository's path would fail.
"""

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGE = "sanic_jwt_extended"


class PackageFromRepositoryRoot(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable" or Path(self.root, PACKAGE).is_dir():
            return  # editable: dev-mode-dirs points at the root; an sdist holds the package
        source = Path(self.root).parent.parent / PACKAGE
        if not source.is_dir():
            raise FileNotFoundError(f"{PACKAGE}/ is neither beside {self.root} nor at {source}")
        build_data["force_include"][str(source)] = PACKAGE
