"""`python -m benchmarks`: each benchmark gets the flags that follow its name."""

from __future__ import annotations

import benchmarks.__main__ as entry


def test_flags_go_to_the_benchmark_they_follow(monkeypatch):
    runs: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(
        entry.runpy, "run_module", lambda module, run_name: runs.append((module, entry.sys.argv))
    )
    monkeypatch.setattr(entry.sys, "argv", ["benchmarks"])
    assert entry.main(["catalogue_search", "--seconds", "2", "dashboard", "load", "--x"]) == 0
    assert runs == [
        ("benchmarks.catalogue_search", ["benchmarks.catalogue_search", "--seconds", "2"]),
        ("benchmarks.dashboard", ["benchmarks.dashboard"]),
        ("benchmarks.load", ["benchmarks.load", "--x"]),
    ]


def test_an_unknown_name_runs_nothing(monkeypatch, capsys):
    monkeypatch.setattr(entry.runpy, "run_module", lambda *a, **k: (_ for _ in ()).throw(OSError))
    assert entry.main(["nope", "--seconds", "2"]) == 2
    assert "nope" in capsys.readouterr().err
