"""The kit's settings of what it touches: the Redis database it empties and the folder its
results go to, each with a default that leaves alone what the kit did not create."""

import subprocess
from contextlib import ExitStack
from pathlib import Path

import pytest

from bench import cli, data
from bench.processes import PROJECT
from bench.scenarios import Server


def test_results_go_where_git_ignores_them_unless_told_otherwise() -> None:
    default = cli._parser().parse_args([]).output
    assert default == PROJECT / "data" / "bench"
    for written in ("latest.json", "latest.png", "profile-me.txt"):
        ignored = subprocess.run(
            ["git", "check-ignore", "--quiet", str(default / written)], cwd=PROJECT, check=False
        )
        assert ignored.returncode == 0, f"git would see {default / written}"
    assert cli._parser().parse_args(["--output", "bench/results"]).output == Path("bench/results")


def test_the_redis_database_defaults_to_14_and_must_be_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli._parser().parse_args([]).redis == "redis://127.0.0.1:6379/14"
    chosen = cli._parser().parse_args(["--redis", "redis://10.0.0.5:6380/3"])
    assert chosen.redis == "redis://10.0.0.5:6380/3"
    with pytest.raises(SystemExit) as refused:
        cli._parser().parse_args(["--redis", "redis://127.0.0.1:6379"])
    assert refused.value.code == 2
    assert "names no database" in capsys.readouterr().err


def test_the_run_empties_the_redis_database_of_its_option_before_and_after(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    flushed: list[str] = []
    monkeypatch.setattr(data, "flush_redis", flushed.append)
    options = cli._parser().parse_args(["--redis", "redis://127.0.0.1:6379/9"])
    with ExitStack() as stack:
        backing = cli._backing(stack, options, [Server.SQLITE, Server.REDIS], tmp_path)
        assert backing.redis_url == "redis://127.0.0.1:6379/9"
        assert flushed == ["redis://127.0.0.1:6379/9"]
    assert flushed == ["redis://127.0.0.1:6379/9"] * 2
