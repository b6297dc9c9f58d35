"""The numbers of a run: wrk's report, medians over rounds, the ratios and the table.

Everything here is pure, so that the tests check it without running a benchmark.
"""

import json
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

Metric = Literal["requests_per_s", "p50_ms", "p99_ms"]
METRICS: tuple[Metric, ...] = ("requests_per_s", "p50_ms", "p99_ms")

# One round: each measurement (a wrk process) by name.
Round = dict[str, "Measurement"]


class WrkError(RuntimeError):
    """wrk's run measured nothing worth reporting."""


class NothingCompleted(WrkError):
    """No response came within the run: too short a run for so slow a route."""


@dataclass(frozen=True)
class Measurement:
    """What one wrk process saw: the JSON line printed by bench/wrk/kit.lua."""

    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    socket_errors: int
    bad_status: int

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.duration_s

    def metric(self, name: Metric) -> float:
        return float(getattr(self, name))


def parse_wrk_output(name: str, stdout: str) -> Measurement:
    """The kit's JSON line in wrk's output, refused when some requests failed.

    A 401 or a refused connection is answered much faster than a real response, so a
    run with errors would flatter the route: it is an error of the run, not a number.
    """
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise WrkError(f"{name}: wrk printed no report:\n{stdout}")
    measurement = Measurement(**json.loads(lines[-1]))
    if measurement.requests == 0:
        raise NothingCompleted(f"{name}: no request completed")
    if measurement.bad_status or measurement.socket_errors:
        raise WrkError(
            f"{name}: of {measurement.requests} requests, {measurement.bad_status} were "
            f"answered with a status of 400 or more, and {measurement.socket_errors} met a "
            "socket error or time-out"
        )
    return measurement


@dataclass(frozen=True)
class Ratio:
    """A ratio of two measurements' metrics, and the issue's target for it."""

    label: str
    numerator: tuple[str, Metric]
    denominator: tuple[str, Metric]
    target: float
    at_least: bool = True

    def of(self, one_round: Round) -> float:
        (top, top_metric), (bottom, bottom_metric) = self.numerator, self.denominator
        return one_round[top].metric(top_metric) / one_round[bottom].metric(bottom_metric)

    def met(self, value: float) -> bool:
        return value >= self.target if self.at_least else value <= self.target


def target_text(entry: Mapping[str, Any]) -> str:
    """A ratio's target as `>= 0.85` or `<= 2`, from its entry in the summary."""
    return f"{'>=' if entry['at_least'] else '<='} {entry['target']:g}"


def _throughput(top: str, bottom: str, target: float) -> Ratio:
    return Ratio(f"{top} / {bottom}", (top, "requests_per_s"), (bottom, "requests_per_s"), target)


def _tail(measurement: str, label: str, target: float) -> Ratio:
    return Ratio(label, (measurement, "p99_ms"), (measurement, "p50_ms"), target, at_least=False)


RATIOS: tuple[Ratio, ...] = (
    # Issue 8's.
    _throughput("me", "hello", 0.85),
    _throughput("me-redis", "hello", 0.6),
    _throughput("me-many", "hello", 0.45),
    # A cached ES256 token costs what a cached HS256 one does: verified once, then looked up.
    _throughput("me-es256", "me", 0.95),
    _throughput("me", "fastapi-protected", 3.5),
    _throughput("me", "flask-protected", 7),
    _throughput("item", "item-noauth", 0.9),
    _throughput("item", "hello", 0.25),
    _throughput("stores", "hello", 0.25),
    # Issue 15's: the service against bare Sanic. `hello` is its fixed cost.
    _throughput("hello", "sanic-hello", 0.85),
    _throughput("me", "sanic-hello", 0.75),
    _throughput("me-quiet", "sanic-hello", 0.85),
    _throughput("item", "sanic-item", 0.8),
    _throughput("item-pg", "sanic-item-pg", 0.8),
    # Not goals: what a naive token check costs bare Sanic, as the issue measured it.
    _throughput("sanic-jwt", "sanic-hello", 0.44),
    _throughput("sanic-item-jwt", "sanic-item", 0.65),
    # Tails, p99 at most twice p50: issue 8's of me, alone and in a login storm; issue 15's.
    _tail("hello", "hello p99 / p50", 2),
    _tail("me", "me p99 / p50, idle", 2),
    _tail("me-storm", "me p99 / p50, login storm", 2),
    _tail("item", "item p99 / p50", 2),
    _tail("item-pg", "item-pg p99 / p50", 2),
)


def summarise(rounds: Sequence[Round], about: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The medians of every measurement and ratio over the rounds, with the rounds' values.

    `about` adds what the kit knows of each measurement (what it loads, which server).
    A ratio is the median of the per-round ratios: both sides of each come from the same
    round, so drift between rounds does not enter it.
    """
    names = list(dict.fromkeys(name for one_round in rounds for name in one_round))
    measurements = {
        name: {
            **about.get(name, {}),
            "median": {
                metric: statistics.median(r[name].metric(metric) for r in rounds)
                for metric in METRICS
            },
            "rounds": [
                asdict(r[name]) | {"requests_per_s": r[name].requests_per_s} for r in rounds
            ],
        }
        for name in names
    }
    ratios = {}
    for ratio in RATIOS:
        if ratio.numerator[0] in names and ratio.denominator[0] in names:
            per_round = [ratio.of(one_round) for one_round in rounds]
            median = statistics.median(per_round)
            ratios[ratio.label] = {
                "median": median,
                "rounds": per_round,
                "target": ratio.target,
                "at_least": ratio.at_least,
                "met": ratio.met(median),
            }
    return {"measurements": measurements, "ratios": ratios}


def render_table(summary: dict[str, Any]) -> str:
    """The summary as two Markdown tables, ready for a terminal or the README."""
    measured = [
        [
            name,
            entry.get("description", ""),
            f"{entry['median']['requests_per_s']:,.0f}",
            f"{entry['median']['p50_ms']:.2f}",
            f"{entry['median']['p99_ms']:.2f}",
        ]
        for name, entry in summary["measurements"].items()
    ]
    table = markdown(["scenario", "what", "requests/s", "p50 ms", "p99 ms"], measured, "llrrr")
    ratios = [
        [label, f"{entry['median']:.2f}", target_text(entry), "yes" if entry["met"] else "no"]
        for label, entry in summary["ratios"].items()
    ]
    if ratios:
        table += "\n\n" + markdown(
            ["ratio (median of rounds)", "value", "target", "met"], ratios, "lrrl"
        )
    return table


def markdown(header: list[str], rows: Iterable[list[str]], align: str) -> str:
    """A Markdown table padded so that its columns line up in plain text too."""
    lines = [header, *rows]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]

    def row(cells: list[str]) -> str:
        padded = [
            cell.rjust(width) if side == "r" else cell.ljust(width)
            for cell, width, side in zip(cells, widths, align, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = [
        "-" * (width - 1) + ":" if side == "r" else "-" * width
        for width, side in zip(widths, align, strict=True)
    ]
    return "\n".join([row(header), row(rule), *(row(line) for line in lines[1:])])
