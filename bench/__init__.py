"""Benchmarks (run as modules, e.g. ``python -m bench.extract``); not part of the installed package."""
