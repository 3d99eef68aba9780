"""`python -m benchmarks [name ...]`: run the named benchmarks, or list them.

Each benchmark is its own module with its own flags; this entry point runs them one after
another with their defaults, so `make bench` has one command to call.
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
    unknown = [name for name in argv if name not in BENCHMARKS]
    if unknown:
        print(f"未知的基准测试 / unknown benchmark: {', '.join(unknown)}", file=sys.stderr)
        return 2
    for name in argv:
        print(f"=== {name}", flush=True)
        sys.argv = [f"benchmarks.{name}"]
        runpy.run_module(f"benchmarks.{name}", run_name="__main__")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
