"""Re-evaluation when a policy or one of its rule versions is saved or deleted.

The catalogue's services own those writes; listening here keeps them free of eligibility code.
The re-match is enqueued after the commit, once per transaction and policy.

Any save or delete of a policy, a rule version or a region also retires the compiled rule sets
(``eligibility.ruleset``): in this process at once, in the others through the catalogue version
(the catalogue services bump it too; a direct write, e.g. a fixture or a shell, would not).
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from policies.models import Policy, PolicyRule
from regions.models import Region


def _catalogue_rows_changed() -> None:
    import contextlib

    from catalogue.cache import catalogue_changed
    from eligibility.ruleset import local_change

    local_change()
    # The cache server may be away (a fault test): this process is covered by local_change and
    # the others by the rule sets' lifetime; the write itself must not fail for that.
    with contextlib.suppress(Exception):
        catalogue_changed()


@receiver(post_save, sender=Policy, dispatch_uid="eligibility.policy_saved_ruleset")
@receiver(post_delete, sender=Policy, dispatch_uid="eligibility.policy_deleted_ruleset")
@receiver(post_save, sender=PolicyRule, dispatch_uid="eligibility.rule_saved_ruleset")
@receiver(post_delete, sender=PolicyRule, dispatch_uid="eligibility.rule_deleted_ruleset")
@receiver(post_save, sender=Region, dispatch_uid="eligibility.region_saved_ruleset")
@receiver(post_delete, sender=Region, dispatch_uid="eligibility.region_deleted_ruleset")
def _catalogue_row_changed(sender, **kwargs) -> None:
    _catalogue_rows_changed()


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
