"""Template helpers of the application pages and the policy page's public counts."""

from __future__ import annotations

from django import template
from django.utils import timezone

from applications.selectors import application_counts, policy_closed_reason
from applications.states import action_label, status_label

register = template.Library()


@register.filter
def application_state(value: str) -> str:
    return status_label(value)


@register.filter
def application_step(value: str) -> str:
    return action_label(value)


@register.simple_tag(takes_context=True)
def policy_application_panel(context, policy) -> dict:
    """Public counts of ``policy`` and what the viewer can do (apply; mark 免申即享)."""
    from applications.models import PolicyApplication, ProactivePolicy
    from policies.models import Policy

    user = context.get("user")
    panel = {"counts": application_counts(policy), "can_apply": False, "can_mark": False}
    if user is not None and user.is_authenticated:
        if user.is_enterprise_member and user.enterprise_id:
            panel["can_apply"] = not policy_closed_reason(policy, timezone.localdate())
            panel["open_application"] = (
                PolicyApplication.objects.filter(enterprise_id=user.enterprise_id, policy=policy)
                .open()
                .first()
            )
        elif user.is_district_staff or user.is_platform_admin:
            panel["can_mark"] = Policy.objects.for_user(user).filter(pk=policy.pk).exists()
            panel["proactive"] = ProactivePolicy.objects.filter(policy=policy).exists()
    return panel
