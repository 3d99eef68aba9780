"""`python -m benchmarks [name [--flag ...] ...]`: run the named benchmarks, or list them.

Each benchmark is its own module with its own flags; this entry point runs them one after
another, each with the flags that follow its name (or its defaults), so `make bench` has one
command to call: `make bench BENCH="catalogue_search --seconds 2 dashboard"`.
"""

from __future__ import annotations

import runpy
import sys

BENCHMARKS = {
    "needs_latency": "submission → officer notification through the real broker and worker",
    "catalogue_search": "catalogue search page and API vs a bare Django view (PostgreSQL)",
    "eligibility": "rule engine vs OpenFisca-core on the seeded rules, bulk re-match",
    "dashboard": "district dashboard with many cases vs a bare Django view (PostgreSQL)",
    "load": "mixed load test with locust vs a bare Django view",
}


def main(argv: list[str]) -> int:
    """Run the benchmarks named in ``argv``; with none, print what there is."""
    if not argv:
        print("用法 / usage: python -m benchmarks NAME [NAME ...]")
        for name, what in BENCHMARKS.items():
            print(f"  {name:<18} {what}")
        return 0
    # A known name starts a run; every other word is a flag or value of the run before it.
    runs: list[tuple[str, list[str]]] = []
    for word in argv:
        if word in BENCHMARKS or not runs:
            runs.append((word, []))
        else:
            runs[-1][1].append(word)
    unknown = [name for name, _ in runs if name not in BENCHMARKS]
    if unknown:
        print(f"未知的基准测试 / unknown benchmark: {', '.join(unknown)}", file=sys.stderr)
        return 2
    for name, flags in runs:
        print(f"=== {name} {' '.join(flags)}".rstrip(), flush=True)
        sys.argv = [f"benchmarks.{name}", *flags]
        runpy.run_module(f"benchmarks.{name}", run_name="__main__")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
