"""The soak: a mixed load on the SQLite server for minutes, its workers' memory sampled.

A leak shows as resident memory that keeps growing once caches and pools are warm; the
first lap of the mix is the warm-up, and growth is measured from its end.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from time import monotonic

import psutil

from bench.runner import Driver
from bench.scenarios import Scenario, Server

# The mix: the SQLite server's token, cache-missing, database and anonymous routes.
MIX = ("me", "me-many", "item", "stores")
# Seconds of each scenario in a lap of the mix.
SLICE_SECONDS = 10
# The bound: resident memory per worker grows by less than this after warm-up.
GROWTH_TARGET = 0.05


@dataclass(frozen=True)
class Soak:
    """Resident memory (bytes) of the worker with the most, after each lap of the mix."""

    seconds: int
    scenarios: tuple[str, ...]
    samples: tuple[int, ...]

    @property
    def growth(self) -> float:
        """From the end of the first lap (the warm-up) to the end of the last."""
        return growth(self.samples)

    def report(self) -> str:
        mib = [sample / 2**20 for sample in self.samples]
        verdict = "met" if self.growth < GROWTH_TARGET else "missed"
        return (
            f"soak: {self.seconds} s of {', '.join(self.scenarios)}; worker RSS per lap (MiB): "
            + " ".join(f"{value:.1f}" for value in mib)
            + f"; growth after warm-up {self.growth:+.1%} (target < {GROWTH_TARGET:.0%}: {verdict})"
        )


def growth(samples: Sequence[int]) -> float:
    """The relative change from the first sample to the last."""
    if len(samples) < 2:
        raise ValueError("a soak needs two laps of the mix or more")
    return (samples[-1] - samples[0]) / samples[0]


def soak(driver: Driver, scenarios: Sequence[Scenario], seconds: int) -> Soak:
    """Run the mix in laps for `seconds` (two laps at least), sampling after each lap."""
    mix = [scenario for scenario in scenarios if scenario.name in MIX]
    if not mix:
        raise ValueError(f"--soak needs one of {', '.join(MIX)} among the scenarios")
    rss = _worker_rss(driver.targets[Server.SQLITE].pid)
    samples: list[int] = []
    deadline = monotonic() + seconds
    while len(samples) < 2 or monotonic() < deadline:
        for scenario in mix:
            driver.run(scenario, SLICE_SECONDS)
        samples.append(rss())
        print(f"soak: lap {len(samples)}, worker RSS {samples[-1] / 2**20:.1f} MiB", flush=True)
    return Soak(seconds, tuple(scenario.name for scenario in mix), tuple(samples))


def _worker_rss(server_pid: int) -> Callable[[], int]:
    """The largest resident set among the server's worker processes (its descendants)."""

    def largest() -> int:
        workers = psutil.Process(server_pid).children(recursive=True)
        return max(int(worker.memory_info().rss) for worker in workers)

    return largest
