"""Benchmarks: `python -m bench` (see bench.harness). Figures go to docs/benchmarks.md."""
