"""`python -m bench`: start the servers, drive the scenarios in rounds, report."""

import argparse
import json
import os
import shutil
import sys
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from redis import ConnectionPool

from bench import data
from bench.machine import describe
from bench.processes import PROJECT, Pinning
from bench.profiles import Breakdown, breakdown, hottest, render_breakdown
from bench.results import NothingCompleted, Round, render_table, summarise
from bench.runner import Driver, py_spy
from bench.scenarios import (
    CONNECTIONS,
    PEERS,
    Scenario,
    Server,
    database_of,
    select,
    servers_of,
)
from bench.servers import Backing, Launcher
from bench.soak import soak

# Where a run writes unless told otherwise: a folder git ignores, so that a run changes no
# tracked file (bench/results/ holds the run the README publishes: --output bench/results).
RESULTS = PROJECT / "data" / "bench"
REDIS = "redis://127.0.0.1:6379/14"


class BenchError(RuntimeError):
    """The run cannot go on; the message says why."""


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    try:
        scenarios = select(options.only)
        profiled = _profiled(options.profile, scenarios)
        _check_tools(profiled)
        results = run(options, scenarios, profiled)
    except (ValueError, RuntimeError, OSError) as error:  # BenchError, WrkError, a server
        print(f"error: {error}", file=sys.stderr)
        return 1
    print()
    print(render_table(results))
    _write(results, options.output)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Requests/s and latency of the service and its peers, under wrk.",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every scenario")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per scenario")
    parser.add_argument("--only", metavar="SCENARIO,...", help="run only these scenarios")
    parser.add_argument(
        "--profile",
        metavar="SCENARIO,...",
        help="then run each of these scenarios once more under py-spy, and break its time down",
    )
    parser.add_argument(
        "--postgres",
        default="postgres://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL database to connect to while creating and dropping the run's own",
    )
    parser.add_argument(
        "--redis",
        type=_redis_database,
        default=REDIS,
        help="the Redis database the run uses and empties before and after; its URL must "
        f"name it (default: {REDIS})",
    )
    parser.add_argument(
        "--soak",
        type=int,
        default=0,
        metavar="SECONDS",
        help="then run a mixed load for SECONDS (300 for the issue's five minutes) and report "
        "the growth of the workers' resident memory",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS,
        help="the folder results go to (default: data/bench, which git ignores)",
    )
    return parser


def _redis_database(url: str) -> str:
    """--redis, refused unless it names a database: without a number Redis would hand the
    run database 0, where applications keep their data, and the run empties it."""
    if "db" not in ConnectionPool.from_url(url).connection_kwargs:
        raise argparse.ArgumentTypeError(
            f"{url} names no database; the run empties the one it names, e.g. {REDIS}"
        )
    return url


def _profiled(names: str | None, scenarios: tuple[Scenario, ...]) -> tuple[Scenario, ...]:
    """The scenarios that --profile names (none without it), each among those run."""
    if names is None:
        return ()
    profiled = select(names)
    missing = [scenario.name for scenario in profiled if scenario not in scenarios]
    if missing:
        raise BenchError(f"--profile {', '.join(missing)}: not among the scenarios run")
    return profiled


def _check_tools(profiled: tuple[Scenario, ...]) -> None:
    if shutil.which("wrk") is None:
        raise BenchError("wrk is missing; install it with: apt-get install wrk")
    if profiled and py_spy() is None:
        raise BenchError("py-spy is missing; install the bench extra: pip install -e '.[bench]'")


def run(
    options: argparse.Namespace, scenarios: tuple[Scenario, ...], profiled: tuple[Scenario, ...]
) -> dict[str, Any]:
    """Start what the scenarios need, warm up, run the rounds, then profile those asked
    for; the results as JSON data."""
    pinning = Pinning.detect()
    servers = servers_of(scenarios)
    _announce(options, scenarios, pinning)
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(TemporaryDirectory(prefix="bench-")))
        backing = _backing(stack, options, servers, workdir)
        many = data.ITEMS if any(s.name == "me-many" for s in scenarios) else 0
        launcher = Launcher(stack, backing, pinning, many_tokens=many)
        driver = Driver({server: launcher.start(server) for server in servers}, pinning)
        _warm_up(driver, scenarios, options.warmup)
        rounds = [
            _round(driver, scenarios, options.duration, number, options.rounds)
            for number in range(1, options.rounds + 1)
        ]
        summary = summarise(rounds, _about(scenarios))
        profiles = {
            scenario.name: _profile(driver, scenario, options, summary).micros
            for scenario in profiled
        }
        soaked = soak(driver, scenarios, options.soak) if options.soak else None
        if soaked is not None:
            print(soaked.report(), flush=True)
    return {
        "machine": describe(PROJECT),
        "options": {
            "duration": options.duration,
            "rounds": options.rounds,
            "warmup": options.warmup,
            "threads": 1,
            "connections": CONNECTIONS,
            "pinning": pinning.describe(),
        },
        **summary,
        "soak": None if soaked is None else {**asdict(soaked), "growth": soaked.growth},
        "profiles": profiles,
    }


def _announce(
    options: argparse.Namespace, scenarios: tuple[Scenario, ...], pinning: Pinning
) -> None:
    seconds = len(scenarios) * (options.warmup + options.rounds * options.duration)
    print(
        f"{len(scenarios)} scenarios, {options.rounds} rounds of {options.duration} s "
        f"({pinning.describe()}): about {seconds / 60:.1f} minutes of load",
        flush=True,
    )


def _backing(
    stack: ExitStack, options: argparse.Namespace, servers: list[Server], workdir: Path
) -> Backing:
    """The run's own PostgreSQL database, and the Redis database of --redis, when used."""
    postgres_url = redis_url = None
    if Server.POSTGRES in {database_of(server) for server in servers}:
        name = f"bench_{os.getpid()}"
        try:
            postgres_url = data.create_postgres_database(options.postgres, name)
        except Exception as error:
            raise BenchError(
                _unreachable("PostgreSQL", options.postgres, error, "item-pg and sanic-item-pg")
            ) from None
        stack.callback(data.drop_postgres_database, options.postgres, name)
    if Server.REDIS in servers:
        redis_url = options.redis
        try:
            data.flush_redis(redis_url)
        except Exception as error:
            raise BenchError(_unreachable("Redis", redis_url, error, "me-redis")) from None
        stack.callback(data.flush_redis, redis_url)
    return Backing(workdir, postgres_url, redis_url)


def _unreachable(what: str, url: str, error: Exception, scenario: str) -> str:
    return (
        f"{what} at {url}: {error}; start it, or leave {scenario} out with --only "
        "(or point the kit elsewhere: see --help)"
    )


def _warm_up(driver: Driver, scenarios: tuple[Scenario, ...], seconds: int) -> None:
    """Run each scenario briefly, unmeasured: caches, pools and the JIT-less CPU warm up."""
    print(f"warming up: {seconds} s per scenario", flush=True)
    for scenario in scenarios:
        try:
            driver.run(scenario, seconds)
        except NothingCompleted as slow:  # still warmed the server up; errors would raise
            print(f"warm-up: {slow}", flush=True)


def _round(
    driver: Driver, scenarios: tuple[Scenario, ...], duration: int, number: int, rounds: int
) -> Round:
    """Every scenario once, in turn, so that drift over the run hits them all alike."""
    measured: Round = {}
    for scenario in scenarios:
        for name, measurement in driver.run(scenario, duration).items():
            print(
                f"round {number}/{rounds}  {name:<18} {measurement.requests_per_s:>9,.0f} req/s"
                f"  p50 {measurement.p50_ms:7.2f} ms  p99 {measurement.p99_ms:7.2f} ms",
                flush=True,
            )
            measured[name] = measurement
    return measured


def _profile(
    driver: Driver, scenario: Scenario, options: argparse.Namespace, summary: dict[str, Any]
) -> Breakdown:
    """Profile `scenario`; print its hottest functions and the breakdown of a request.

    The breakdown shares out the time of a request at the rate of the rounds: py-spy
    slows the run it profiles (by 13 to 23% in one run: it pauses the processes to sample
    them, and shares wrk's CPU), which changes the time of a request, not its shares.
    """
    options.output.mkdir(parents=True, exist_ok=True)
    path = driver.profile(scenario, options.duration, options.output)
    collapsed = path.read_text()
    print(f"\nprofile of {scenario.name}: {path}; the hottest functions, by share of samples:")
    for frame, inclusive, own in hottest(collapsed, 25):
        print(f"  {inclusive:6.1%} total {own:6.1%} own  {frame}")
    measured = summary["measurements"]
    # Its loads all load the server profiled (the login storm's two do).
    served = sum(measured[load.name]["median"]["requests_per_s"] for load in scenario.loads)
    parts = breakdown(collapsed, served)
    print(f"\n{render_breakdown(scenario.name, parts)}")
    return parts


def _about(scenarios: tuple[Scenario, ...]) -> dict[str, dict[str, Any]]:
    """What each measurement loads, for the results."""
    return {
        load.name: {
            "description": load.description or scenario.description,
            "server": load.server.value,
            "peer": load.server in PEERS,
            "path": load.path,
            "connections": load.connections,
        }
        for scenario in scenarios
        for load in scenario.loads
    }


def _write(results: dict[str, Any], output: Path) -> None:
    from bench.chart import draw  # matplotlib is slow to import; only the end needs it

    output.mkdir(parents=True, exist_ok=True)
    (output / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    draw(results, output / "latest.png")
    print(f"\nresults: {output / 'latest.json'}, chart: {output / 'latest.png'}")
