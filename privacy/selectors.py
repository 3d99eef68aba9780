"""Reads about personal information: who may see a need's contact details, and the masked view."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from privacy import texts
from privacy.masking import mask_name, mask_phone
from privacy.models import ContactConsent

if TYPE_CHECKING:
    from accounts.models import User
    from needs.models import FinancingNeed

CONTACT_FIELDS = ["contact_name", "contact_phone"]


def contact_consented(need: FinancingNeed) -> bool:
    """Whether the firm agreed that the bank now handling ``need`` may see its contact details."""
    if need.assigned_branch_id is None:
        return False
    return ContactConsent.objects.filter(
        need=need, bank_id=need.assigned_branch.bank_id, withdrawn_at__isnull=True
    ).exists()


def contact_visible(user: User, need: FinancingNeed) -> bool:
    """The firm's own members always; the assigned officer once the firm consented for its bank.

    Everyone else (other officers, managers, district staff, admins) sees masked details.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_enterprise_member:
        return user.enterprise_id == need.enterprise_id
    if user.is_bank_user and need.assigned_officer_id == user.pk:
        return contact_consented(need)
    return False


def masked_contact(need: FinancingNeed) -> dict[str, str]:
    return {
        "contact_name": mask_name(need.contact_name),
        "contact_phone": mask_phone(need.contact_phone) if need.contact_phone else "",
    }


def need_contact(user: User, need: FinancingNeed, *, purpose: str) -> dict[str, Any]:
    """What ``user`` may see of the contact details of ``need``; a read of clear values is logged.

    The firm reading its own need is not logged (it is the person's own data); the bank's read is.
    """
    from privacy.services import personal_data_access_log

    visible = contact_visible(user, need)
    if visible:
        if not user.is_enterprise_member:
            personal_data_access_log(
                user=user, subject=need, fields=CONTACT_FIELDS, purpose=purpose
            )
        values = {"contact_name": need.contact_name, "contact_phone": need.contact_phone}
    else:
        values = masked_contact(need)
    return {**values, "masked": not visible}


def need_contact_context(user: User, need: FinancingNeed) -> dict[str, Any]:
    """Context for the contact block of the need page (``privacy/need_contact.html``)."""
    context: dict[str, Any] = {"contact": need_contact(user, need, purpose="need_detail")}
    is_owner = user.is_enterprise_member and user.enterprise_id == need.enterprise_id
    if need.assigned_branch_id is not None and (is_owner or user.is_bank_user):
        consented = contact_consented(need)
        context["contact_consent"] = {
            "bank_name": need.assigned_branch.bank.name,
            "granted": consented,
            "text": texts.contact_text(need.assigned_branch.bank.name),
            "can_grant": is_owner and not consented and need.is_open,
            "can_withdraw": is_owner and consented,
        }
    return context


def need_contact_api(context: dict[str, Any], need: FinancingNeed, data: dict[str, Any]) -> dict:
    """Mask (or reveal and log) the contact fields of a need's API representation.

    Lists never query per row: there only a firm's own member sees clear values (its own data);
    a single need (detail, action answers) follows :func:`need_contact`.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        data.update(masked_contact(need))
        return data
    view = context.get("view")
    if getattr(view, "action", None) == "list":
        if not (user.is_enterprise_member and user.enterprise_id == need.enterprise_id):
            data.update(masked_contact(need))
        return data
    shown = need_contact(user, need, purpose="api_need")
    data.update({field: shown[field] for field in CONTACT_FIELDS})
    return data
