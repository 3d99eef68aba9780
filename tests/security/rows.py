"""Row counts of every table the application writes, to prove that a refused input wrote nothing."""

from __future__ import annotations

from django.apps import apps

#: Tables written on every request whatever its outcome (sessions, tokens, login attempts,
#: the access and audit log): a refusal is allowed, even required, to leave a trace there.
IGNORED_APPS = frozenset({"sessions", "authtoken", "axes", "audit", "admin", "contenttypes"})


def row_counts() -> dict[str, int]:
    """``app_label.Model`` -> number of rows, for every concrete model outside IGNORED_APPS."""
    counts = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label in IGNORED_APPS or meta.proxy or not meta.managed:
            continue
        counts[meta.label] = model._default_manager.count()
    return counts
