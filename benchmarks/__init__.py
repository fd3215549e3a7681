"""Benchmark harness: corpus generator and timing script (not part of the installed package)."""
