"""Benchmarks: each measures its reference on the same run and prints the ratio."""
