"""Re-evaluation when a policy or one of its rule versions is saved or deleted.

The catalogue's services own those writes; listening here keeps them free of eligibility code.
The re-match is enqueued after the commit, once per transaction and policy.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from policies.models import Policy, PolicyRule


@receiver(post_save, sender=Policy, dispatch_uid="eligibility.policy_saved")
def _policy_saved(sender, instance: Policy, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    from eligibility.services import eligibility_enqueue_policies

    eligibility_enqueue_policies(policy_ids=[instance.pk])


@receiver(post_save, sender=PolicyRule, dispatch_uid="eligibility.rule_saved")
@receiver(post_delete, sender=PolicyRule, dispatch_uid="eligibility.rule_deleted")
def _rule_changed(sender, instance: PolicyRule, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    from eligibility.services import eligibility_enqueue_policies

    eligibility_enqueue_policies(policy_ids=[instance.policy_id])
