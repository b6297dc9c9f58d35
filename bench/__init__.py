"""The benchmark kit: `python -m bench` (or `make bench`); see the README's Benchmarks.

It starts the service from this project (one worker, pinned to one CPU) with the
settings under test, and the peers of bench/peers beside it, drives each scenario of
bench/scenarios.py with wrk from the other CPU, in rounds, and reports medians and
ratios as a table, as JSON and as a chart in data/bench (--output: elsewhere).
"""
