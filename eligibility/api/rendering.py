"""The eligibility API's answer as JSON bytes, built without the generic renderer's detour.

The bytes are exactly those of DRF's ``JSONRenderer`` rendering ``{"results": rows}`` of
:func:`eligibility.selectors.eligibility_results` (same encoder class, options and escapes;
``tests/eligibility/test_pinned_answers.py`` holds both to the same pins). What a policy alone
gives (its id, title, region, type, dates, rule version, or the whole row when it is not
evaluated) is built once per rule set; per request only the evaluations are made, and all rows
are encoded in one call (measured faster than splicing pre-encoded parts).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

from eligibility import ruleset
from eligibility.selectors import (
    Candidate,
    policy_candidates,
    policy_head,
    unevaluated_tail,
)

_RANK = {True: 0, None: 1, False: 2}


def _encoder() -> json.JSONEncoder:
    # json.dumps(..., cls=JSONRenderer.encoder_class, ...) as JSONRenderer.render calls it.
    renderer = JSONRenderer
    return renderer.encoder_class(
        ensure_ascii=renderer.ensure_ascii,
        allow_nan=not renderer.strict,
        separators=(",", ":"),
    )


def fast_path_applies(renderer: Any, media_type: str | None) -> bool:
    """True when the negotiated renderer would give exactly these bytes (JSON, no indent)."""
    return (
        type(renderer) is JSONRenderer
        and JSONRenderer.encoder_class is JSONEncoder
        and JSONRenderer.compact
        and "indent" not in (media_type or "")
    )


def _parts(candidate: Candidate) -> tuple[dict[str, Any], dict[str, Any] | None, tuple]:
    """(the row's head, the whole row when it is not evaluated or None, its sort key)."""
    head = policy_head(candidate)
    tail = unevaluated_tail(candidate)
    if tail is None:
        return head, None, ()
    money = tail["amount_yuan"] if tail["amount_yuan"] is not None else tail["max_amount_yuan"]
    key = (_RANK[tail["eligible"]], -(money or 0), head["policy_id"])
    return head, {**head, **tail}, key


def results_json(
    *,
    facts: Mapping[str, Any],
    as_of: date,
    candidates: Iterable[Candidate],
    rules: ruleset.RuleSet,
) -> bytes:
    """``JSONRenderer().render({"results": evaluate_candidates(...)})`` (compact), faster:
    ``rules`` is the rule set the candidates come from, which keeps what the policies alone
    give; the rows are encoded in one pass of the C encoder."""
    rows = []
    for candidate in candidates:
        rule_id = candidate.rule.pk if candidate.rule is not None else None
        head, whole, key = rules.memo(
            ("json-parts", candidate.policy.pk, rule_id, candidate.in_force),
            lambda c=candidate: _parts(c),
            limit=1_000_000,  # bounded by the catalogue: one per policy, version and state
        )
        if whole is not None:
            rows.append((key, whole))
            continue
        ev = candidate.compiled.evaluate(facts, as_of, candidate.region_code)
        amount = ev.amount_yuan
        money = amount if amount is not None else ev.max_amount_yuan
        row = head.copy()  # the keys in the order of evaluate_candidates' rows
        row["eligible"] = ev.eligible
        row["amount_yuan"] = amount
        row["max_amount_yuan"] = ev.max_amount_yuan
        row["conditions"] = [
            {"label": c.label, "passed": c.passed, "fact": c.fact} for c in ev.conditions
        ]
        row["unmet"] = ev.unmet
        row["missing_facts"] = ev.missing_facts
        row["formula"] = ev.formula
        row["benefit_note"] = ev.benefit_note
        row["facts_used"] = ev.facts_used
        rows.append(((_RANK[ev.eligible], -(money or 0), head["policy_id"]), row))
    rows.sort(key=lambda pair: pair[0])
    text = _encoder().encode({"results": [pair[1] for pair in rows]})
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def eligibility_json(
    *, facts: Mapping[str, Any], as_of: date, policy_ids: list[int] | None = None
) -> bytes:
    """:func:`eligibility.selectors.eligibility_results`, rendered as the API answers it."""
    rules = ruleset.current()
    candidates = policy_candidates(as_of=as_of, policy_ids=policy_ids, rules=rules)
    return results_json(facts=facts, as_of=as_of, candidates=candidates, rules=rules)
