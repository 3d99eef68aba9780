"""The published catalogue's rules, compiled once per process and catalogue version.

Every request of the calculator and of the eligibility API needs the same things: the published
policies with their regions, their rule versions compiled, the candidates in force on a day (per
region), the questions they ask, the regions offered on the form. A :class:`RuleSet` holds them
for one *catalogue version* (``catalogue.cache``: a token replaced by every catalogue write, in
every process, now and again when the writing transaction commits), the fact registry's version
and the database. The first request after a change loads a new set (the two queries of the old
per-request path); the others read the current version (one cache read) and no table.

Never stale:

- every catalogue service bumps the version (``catalogue_change_record``); a direct save or
  delete of a policy, rule version or region bumps it too (``eligibility.signals``), and a
  process-local counter covers this process even while the cache server is away;
- the version is read *before* the rows, so rows read between a write's first bump and its
  commit are kept under a version the commit's second bump retires;
- a set read inside a real transaction (which may roll back, or sees uncommitted rows) is used
  once and not kept;
- a set lives at most ``CATALOGUE_CACHE_SECONDS`` (0 = none kept), which bounds any write made
  without a signal (``QuerySet.update``, another program), as for the catalogue's other caches.

Nothing here depends on who asks: a firm's facts, prefill and stored matches are read per
request by the callers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Prefetch

from catalogue.cache import cache_seconds, catalogue_version
from eligibility import facts as fact_registry
from regions.codes import ancestors

if TYPE_CHECKING:
    from eligibility.selectors import Candidate
    from policies.models import Policy

_lock = threading.Lock()
_current: RuleSet | None = None
_local_generation = 0
# Entries kept per set and kind of entry (the first item of a key): keys partly come from requests
# (days, regions), so each kind is bounded; past its bound a value is computed and not kept.
_MEMO_LIMIT = 512


def local_change() -> None:
    """A catalogue row changed in this process: no set read before it is used again."""
    global _local_generation, _current
    with _lock:
        _local_generation += 1
        _current = None


class RuleSet:
    """The published policies and what is derived from them alone, for one catalogue version."""

    def __init__(self, key: tuple[Any, ...]) -> None:
        from eligibility.selectors import compiled_rule
        from policies.models import Policy, PolicyRule

        self.key = key
        self.created = time.monotonic()
        policies = list(
            Policy.objects.published()
            .select_related("region")
            .prefetch_related(
                Prefetch("rules", queryset=PolicyRule.objects.order_by("-valid_from"))
            )
            .order_by("pk")
        )
        self.policies: list[Policy] = policies
        self.by_id: dict[int, Policy] = {p.pk: p for p in policies}
        self.rules = {p.pk: list(p.rules.all()) for p in policies}
        self.compiled = {
            rule.pk: compiled_rule(rule) for rules in self.rules.values() for rule in rules
        }
        self._memo: dict[Any, Any] = {}
        self._memo_counts: dict[Any, int] = {}
        self._regions: list[tuple[str, str, str]] | None = None

    def memo(self, key: Any, compute: Callable[[], Any], limit: int = _MEMO_LIMIT) -> Any:
        """``compute()``, kept with this set (for data derived from the catalogue alone); at most
        ``limit`` entries of a kind (``key[0]`` for a tuple key) are kept."""
        try:
            return self._memo[key]
        except KeyError:
            pass
        value = compute()
        kind = key[0] if isinstance(key, tuple) else key
        count = self._memo_counts.get(kind, 0)
        if count < limit:
            self._memo[key] = value
            self._memo_counts[kind] = count + 1
        return value

    def regions(self) -> list[tuple[str, str, str]]:
        """Every region as (code, name, level), by code (read once per set)."""
        if self._regions is None:
            from regions.models import Region

            self._regions = list(
                Region.objects.order_by("code").values_list("code", "name", "level")
            )
        return self._regions

    # -- candidates ------------------------------------------------------------------------------

    def _candidate(self, policy: Policy, as_of: date) -> Candidate:
        from eligibility.selectors import Candidate, _pick_version

        rules = self.rules[policy.pk]
        policy_in_force = policy.is_in_force(as_of)
        version = _pick_version(rules, as_of) if policy_in_force else None
        compiled = self.compiled[version.pk] if version is not None else None
        in_force = policy_in_force and (version is not None or not rules)
        return Candidate(policy, version, compiled, in_force)

    def in_force(self, as_of: date) -> list[Candidate]:
        """The policies in force on ``as_of`` with a valid version in force, by id."""

        def compute() -> list[Candidate]:
            found = []
            for policy in self.policies:
                candidate = self._candidate(policy, as_of)
                if candidate.in_force and candidate.compiled is not None:
                    found.append(candidate)
            return found

        return self.memo(("in_force", as_of), compute)

    def in_force_for_region(self, as_of: date, region_code: str) -> list[Candidate]:
        """:meth:`in_force`, keeping the policies whose region covers ``region_code``."""

        def compute() -> list[Candidate]:
            codes = set(ancestors(region_code))
            return [c for c in self.in_force(as_of) if c.policy.region.code in codes]

        return self.memo(("region", as_of, region_code), compute)

    def named(self, policy_ids: Iterable[int], as_of: date) -> list[Candidate]:
        """Exactly the published policies named (unknown ids left out), in that order."""
        return [
            self._candidate(self.by_id[pk], as_of)
            for pk in dict.fromkeys(policy_ids)
            if pk in self.by_id
        ]


def _outside_transaction() -> bool:
    # Test cases wrap each test in atomic blocks of their own: those do not count.
    return all(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def current() -> RuleSet:
    """The rule set of the current catalogue version (loaded when the version changed)."""
    global _current
    seconds = cache_seconds()
    # The version first, the rows after (see the module's docstring).
    key = (
        str(connection.settings_dict.get("NAME", "")),
        catalogue_version() if seconds > 0 else None,
        fact_registry.registry_version(),
        _local_generation,
    )
    ruleset = _current
    if (
        ruleset is not None
        and ruleset.key == key
        and time.monotonic() - ruleset.created < seconds
        and _outside_transaction()
    ):
        return ruleset
    ruleset = RuleSet(key)
    # The registry may have grown while compiling (facts the catalogue declared): key it anew.
    ruleset.key = (*key[:2], fact_registry.registry_version(), key[3])
    if seconds > 0 and _outside_transaction():
        with _lock:
            if _local_generation == key[3]:
                _current = ruleset
    return ruleset
