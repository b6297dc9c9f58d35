"""The bar chart of a run: requests/s per scenario, and the ratios against their targets."""

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: the chart only goes to a file

import matplotlib.pyplot as plt  # after the backend is chosen

from bench.machine import headline
from bench.results import target_text

OURS, PEER = "tab:blue", "tab:gray"
MET, MISSED = "tab:green", "tab:red"


def draw(results: dict[str, Any], path: Path) -> None:
    """Write the chart of `results` (the kit's JSON) as a PNG at `path`."""
    measurements = results["measurements"]
    ratios = results["ratios"]
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(13, 0.45 * max(len(measurements), len(ratios), 4) + 1.5)
    )
    names = list(measurements)
    speeds = [measurements[name]["median"]["requests_per_s"] for name in names]
    colours = [PEER if measurements[name]["peer"] else OURS for name in names]
    bars = left.barh(names, speeds, color=colours)
    left.bar_label(bars, labels=[f"{speed:,.0f}" for speed in speeds], padding=3)
    left.invert_yaxis()
    left.set_xlabel("requests/s (median of rounds; grey: peers)")
    left.margins(x=0.2)
    if ratios:
        _draw_ratios(right, ratios)
    else:
        right.axis("off")
    figure.suptitle(f"{headline(results['machine'])}\n{_how(results['options'])}")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _draw_ratios(axes: Any, ratios: dict[str, Any]) -> None:
    """Ratios on a log scale (they span 0.1 to 10 and more), each with its target marked."""
    labels = list(ratios)
    values = [ratios[label]["median"] for label in labels]
    targets = [ratios[label]["target"] for label in labels]
    axes.barh(labels, values, color=[MET if ratios[label]["met"] else MISSED for label in labels])
    axes.scatter(targets, labels, marker="|", s=400, color="black", zorder=3)
    for label, value, target in zip(labels, values, targets, strict=True):
        text = f"{value:.2f} ({target_text(ratios[label])})"
        axes.text(max(value, target) * 1.15, label, text, va="center")
    axes.set_xscale("log")
    axes.set_xlim(min(values + targets) / 2, max(values + targets) * 12)
    axes.invert_yaxis()
    axes.set_xlabel("ratio, median of per-round ratios (|: target; green: met)")


def _how(options: dict[str, Any]) -> str:
    return (
        f"one worker; wrk -t1 -c{options['connections']}; rounds: {options['rounds']} of "
        f"{options['duration']} s each; {options['pinning']}"
    )
