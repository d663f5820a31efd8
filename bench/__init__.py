"""Benchmarks: `python -m bench <name>` runs bench/bench_<name>.py and prints a markdown table."""
