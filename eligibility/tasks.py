"""Background matching: re-evaluate firms when a profile or a policy changes, and nightly."""

from __future__ import annotations

from celery import shared_task

from eligibility.services import eligibility_rematch
from enterprises.models import Enterprise


@shared_task(name="eligibility.rematch_enterprise", soft_time_limit=110, time_limit=120)
def rematch_enterprise(enterprise_id: int) -> int:
    """Re-evaluate one firm against every policy in force; returns notifications sent."""
    if not Enterprise.objects.filter(pk=enterprise_id).exists():
        return 0
    return eligibility_rematch(enterprise_ids=[enterprise_id]).notified


@shared_task(name="eligibility.rematch_policies", soft_time_limit=1700, time_limit=1800)
def rematch_policies(policy_ids: list[int]) -> int:
    """Re-evaluate every firm against these policies (a policy was published or changed)."""
    return eligibility_rematch(policy_ids=policy_ids).notified


@shared_task(name="eligibility.rematch_all", soft_time_limit=3300, time_limit=3600)
def rematch_all() -> int:
    """The nightly re-match: every firm against every policy in force, closing dates included."""
    return eligibility_rematch().notified
