"""A description of the machine and software a run measured, for the results and chart."""

import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")


def describe(project: Path) -> dict[str, str | int | None]:
    """CPU model, cores, OS, the versions that matter, and the commit measured."""
    return {
        "cpu": cpu_model(CPUINFO.read_text() if CPUINFO.exists() else ""),
        "cores": os.cpu_count() or 1,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sanic": version("sanic"),
        "pyjwt": version("pyjwt"),
        "commit": _commit(project),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def cpu_model(cpuinfo: str) -> str:
    """The first `model name` of /proc/cpuinfo, else the processor that Python reports."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            return value.strip()
    return platform.processor() or "unknown CPU"


def headline(machine: dict[str, str | int | None]) -> str:
    """One line naming the machine, for the chart's title."""
    return (
        f"{machine['cpu']}, {machine['cores']} cores; Python {machine['python']}, "
        f"Sanic {machine['sanic']}, PyJWT {machine['pyjwt']}"
    )


def _commit(project: Path) -> str | None:
    """The short commit of the project, with `+` when the work tree has changes."""
    try:
        commit = _git(project, "rev-parse", "--short", "HEAD")
        dirty = _git(project, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+" if dirty else "")


def _git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(project), *args], capture_output=True, text=True, check=True
    ).stdout.strip()
