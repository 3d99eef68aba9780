"""Fixtures of the eligibility tests: the real catalogue (fixtures/catalogue/*.yaml) in the DB."""

from __future__ import annotations

import pytest


@pytest.fixture
def catalogue(db):
    """The seeded catalogue, loaded as ``manage.py load_catalogue`` loads it."""
    from catalogue.loader import catalogue_load

    catalogue_load(notify=False)
    from policies.models import Policy

    return {p.key: p for p in Policy.objects.select_related("region")}


REVENUE_RULE = {
    "conditions": {
        "all": [
            {
                "fact": "annual_revenue_yuan",
                "op": "gt",
                "value": 5_000_000,
                "label": "主营业务收入超过500万元",
            },
            {"fact": "employees", "op": "gte", "value": 10, "label": "从业人员不少于10人"},
        ]
    },
    "benefit": {"type": "fixed", "amount_yuan": 100_000},
}


@pytest.fixture
def make_policy(db):
    """Create a published policy with one rule version (no catalogue services involved)."""
    from itertools import count

    from policies.models import Policy, PolicyRule, Status
    from tests.factories import RegionFactory

    serial = count(1)

    def make(
        *,
        region_code: str = "370900",
        rule: dict | None = None,
        title: str | None = None,
        valid_from=None,
        valid_to=None,
        rule_valid_from=None,
        rule_valid_to=None,
        support_type: str = "奖补",
        status: str = Status.PUBLISHED,
    ) -> Policy:
        n = next(serial)
        region = RegionFactory(code=region_code)
        policy = Policy.objects.create(
            key=f"test-policy-{n}-{region_code}",
            title=title or f"测试政策{n}",
            issuer="测试发文机关",
            region=region,
            category="科技创新",
            support_type=support_type,
            valid_from=valid_from,
            valid_to=valid_to,
            status=status,
        )
        PolicyRule.objects.create(
            policy=policy,
            valid_from=rule_valid_from,
            valid_to=rule_valid_to,
            data=dict(REVENUE_RULE if rule is None else rule),
        )
        return policy

    return make
