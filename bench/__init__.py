"""Benchmark of the embedded default: `python -m bench.run` (or `make bench ARGS=...`)."""
