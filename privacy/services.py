"""Writes about personal information: consents, access logging, export, deletion, retention,
and human review of automated eligibility results."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from audit.services import audit_record
from privacy import texts
from privacy.models import (
    ConsentRecord,
    ContactConsent,
    DataRequest,
    PersonalDataAccess,
    ReviewRequest,
)

if TYPE_CHECKING:
    from accounts.models import User
    from enterprises.models import Enterprise
    from needs.models import FinancingNeed
    from policies.models import Policy

logger = logging.getLogger("privacy")

ANONYMISED_NAME = "（已匿名）"


def _days(name: str, default: int) -> timedelta:
    return timedelta(days=getattr(settings, name, default))


# --- Consent ---------------------------------------------------------------------------------


def consent_record_registration(*, user: User, enterprise: Enterprise | None) -> ConsentRecord:
    """Keep the registration consent: who, for which firm, when, and the exact text version."""
    return ConsentRecord.objects.create(
        kind=ConsentRecord.Kind.REGISTRATION,
        user=user,
        enterprise=enterprise,
        text_version=texts.REGISTRATION_VERSION,
        text_digest=texts.digest(texts.REGISTRATION_TEXT),
    )


@transaction.atomic
def contact_consent_grant(*, need: FinancingNeed, actor: User) -> ContactConsent:
    """The firm agrees that the bank now handling ``need`` may see its contact details."""
    if not (actor.is_enterprise_member and actor.enterprise_id == need.enterprise_id):
        raise PermissionDenied
    if need.assigned_branch_id is None:
        raise ValidationError("该需求尚未派给银行，暂无需授权。")
    bank = need.assigned_branch.bank
    text = texts.contact_text(bank.name)
    consent, created = ContactConsent.objects.get_or_create(
        need=need,
        bank=bank,
        defaults={"granted_by": actor, "text_version": texts.CONTACT_VERSION, "text": text},
    )
    if not created and consent.withdrawn_at is not None:
        consent.withdrawn_at = None
        consent.granted_at = timezone.now()
        consent.granted_by = actor
        consent.text_version = texts.CONTACT_VERSION
        consent.text = text
        consent.save()
        created = True
    if created:
        audit_record(
            actor=actor, action="privacy.contact_consent", obj=need, changes={"bank": bank.name}
        )
    return consent


@transaction.atomic
def contact_consent_withdraw(*, need: FinancingNeed, actor: User) -> int:
    """Withdraw every active contact consent of ``need``: banks see masked details again."""
    if not (actor.is_enterprise_member and actor.enterprise_id == need.enterprise_id):
        raise PermissionDenied
    count = ContactConsent.objects.filter(need=need, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )
    if count:
        audit_record(actor=actor, action="privacy.contact_consent_withdraw", obj=need)
    return count


# --- Access log ------------------------------------------------------------------------------


def personal_data_access_log(
    *, user: User, subject: models.Model, fields: list[str], purpose: str
) -> PersonalDataAccess:
    """Record that ``user`` read ``fields`` of ``subject``: the names, never the values."""
    return PersonalDataAccess.objects.create(
        user=user if user.is_authenticated else None,
        role=getattr(user, "role", ""),
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        fields=list(fields),
        purpose=purpose[:48],
    )


# --- Export ----------------------------------------------------------------------------------


def _rows(queryset: models.QuerySet, fields: list[str]) -> list[dict[str, Any]]:
    return list(queryset.values(*fields))


def enterprise_data_export(*, enterprise: Enterprise, user: User) -> bytes:
    """A ZIP holding ``data.json``: everything the platform keeps about the firm and its people."""
    from accounts.models import User as UserModel
    from applications.models import PolicyApplication
    from eligibility.models import EligibilityResult
    from needs.models import FinancingNeed

    if not (user.is_enterprise_member and user.enterprise_id == enterprise.pk):
        raise PermissionDenied
    data = {
        "exported_at": timezone.now(),
        "enterprise": _rows(
            type(enterprise).objects.filter(pk=enterprise.pk),
            [
                "uscc",
                "name",
                "region__code",
                "industry_code",
                "annual_revenue_yuan",
                "employees",
                "total_assets_yuan",
                "founded_on",
                "qualifications",
                "credit_rating",
                "size_class",
                "contact_name",
                "contact_phone",
                "email",
                "verified_at",
                "created_at",
            ],
        )[0],
        "members": _rows(
            UserModel.objects.filter(enterprise=enterprise),
            [
                "username",
                "display_name",
                "phone",
                "email",
                "date_joined",
                "last_login",
                "privacy_consent_at",
            ],
        ),
        "consents": _rows(
            ConsentRecord.objects.filter(enterprise=enterprise),
            ["kind", "text_version", "granted_at"],
        ),
        "financing_needs": _rows(
            FinancingNeed.objects.filter(enterprise=enterprise),
            [
                "id",
                "amount_yuan",
                "term_months",
                "purpose",
                "description",
                "contact_name",
                "contact_phone",
                "status",
                "created_at",
                "closed_at",
            ],
        ),
        "contact_consents": _rows(
            ContactConsent.objects.filter(need__enterprise=enterprise),
            ["need_id", "bank__name", "text", "granted_at", "withdrawn_at"],
        ),
        "policy_applications": _rows(
            PolicyApplication.objects.filter(enterprise=enterprise),
            [
                "id",
                "policy__title",
                "year",
                "status",
                "facts",
                "computed_amount_yuan",
                "approved_amount_yuan",
                "paid_amount_yuan",
                "created_at",
            ],
        ),
        "eligibility_results": _rows(
            EligibilityResult.objects.filter(enterprise=enterprise),
            ["policy__title", "eligible", "amount_yuan", "evaluated_at"],
        ),
        "review_requests": _rows(
            ReviewRequest.objects.filter(enterprise=enterprise),
            ["policy__title", "reason", "status", "answer", "created_at", "answered_at"],
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        )
    with transaction.atomic():
        DataRequest.objects.create(
            enterprise=enterprise,
            kind=DataRequest.Kind.EXPORT,
            status=DataRequest.Status.DONE,
            requested_by=user,
            handled_at=timezone.now(),
        )
        personal_data_access_log(
            user=user, subject=enterprise, fields=sorted(data), purpose="data_export"
        )
    return buffer.getvalue()


# --- Deletion --------------------------------------------------------------------------------


@transaction.atomic
def deletion_request_create(*, enterprise: Enterprise, user: User) -> DataRequest:
    """Ask for the firm's personal data to be deleted; asking again returns the open request."""
    if not (user.is_enterprise_member and user.enterprise_id == enterprise.pk):
        raise PermissionDenied
    existing = DataRequest.objects.filter(
        enterprise=enterprise, kind=DataRequest.Kind.DELETION, status=DataRequest.Status.PENDING
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            request = DataRequest.objects.create(
                enterprise=enterprise, kind=DataRequest.Kind.DELETION, requested_by=user
            )
    except IntegrityError:  # a concurrent click created it first
        return DataRequest.objects.get(
            enterprise=enterprise,
            kind=DataRequest.Kind.DELETION,
            status=DataRequest.Status.PENDING,
        )
    audit_record(actor=user, action="privacy.deletion_request", obj=request)
    return request


def _delete_files(queryset: models.QuerySet) -> int:
    """Delete the stored files behind ``queryset``'s rows, then the rows; after the commit for
    the files, so a rollback never leaves a row pointing at nothing."""
    names = [(row.file.storage, row.file.name) for row in queryset if row.file]
    count = queryset.count()
    queryset.delete()

    def remove() -> None:
        for storage, name in names:
            storage.delete(name)

    transaction.on_commit(remove)
    return count


def _anonymise_enterprise(enterprise: Enterprise) -> dict[str, int]:
    """Remove the people's data of one firm; business facts needed for public-funds records stay."""
    from rest_framework.authtoken.models import Token

    from accounts.models import User as UserModel
    from applications.models import ApplicationFile
    from needs.models import FinancingNeed, NeedAttachment

    type(enterprise).objects.filter(pk=enterprise.pk).update(
        contact_name=ANONYMISED_NAME, contact_phone="", email=""
    )
    needs = FinancingNeed.objects.filter(enterprise=enterprise).update(
        contact_name=ANONYMISED_NAME, contact_phone="", description=""
    )
    members = list(UserModel.objects.filter(enterprise=enterprise))
    for member in members:
        member.username = f"deleted-{member.pk}"
        member.display_name = ""
        member.first_name = ""
        member.last_name = ""
        member.phone = ""
        member.email = ""
        member.is_active = False
        member.set_unusable_password()
        member.save()
    Token.objects.filter(user__in=members).delete()
    files = _delete_files(NeedAttachment.objects.filter(need__enterprise=enterprise))
    files += _delete_files(ApplicationFile.objects.filter(application__enterprise=enterprise))
    ContactConsent.objects.filter(need__enterprise=enterprise, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )
    return {"needs": needs, "members": len(members), "files": files}


@transaction.atomic
def deletion_request_fulfil(*, data_request: DataRequest, actor: User | None) -> DataRequest:
    """Carry out a deletion request: anonymise the firm's people and delete its files."""
    data_request = DataRequest.objects.select_for_update().get(pk=data_request.pk)
    if data_request.status == DataRequest.Status.DONE:
        return data_request
    counts = _anonymise_enterprise(data_request.enterprise)
    data_request.status = DataRequest.Status.DONE
    data_request.handled_by = actor
    data_request.handled_at = timezone.now()
    data_request.save(update_fields=["status", "handled_by", "handled_at"])
    audit_record(actor=actor, action="privacy.deletion_done", obj=data_request, changes=counts)
    return data_request


# --- Retention -------------------------------------------------------------------------------


@transaction.atomic
def retention_sweep(*, now=None) -> dict[str, int]:
    """Delete or anonymise what has been kept long enough (run nightly by Celery beat).

    - needs closed longer than ``PRIVACY_NEED_RETENTION_DAYS``: contact details anonymised,
      attachments (rows and files) deleted;
    - deletion requests pending longer than ``PRIVACY_DELETION_GRACE_DAYS``: carried out;
    - personal-data access records older than ``PRIVACY_ACCESS_LOG_RETENTION_DAYS``: deleted.

    Every step filters on what is still to do, so a second run changes nothing.
    """
    from needs.models import FinancingNeed, NeedAttachment

    now = now or timezone.now()
    cutoff = now - _days("PRIVACY_NEED_RETENTION_DAYS", 3 * 365)
    expired = FinancingNeed.objects.filter(closed_at__lt=cutoff)
    files = _delete_files(NeedAttachment.objects.filter(need__in=expired))
    needs = expired.exclude(contact_name=ANONYMISED_NAME).update(
        contact_name=ANONYMISED_NAME, contact_phone="", description=""
    )
    overdue = DataRequest.objects.filter(
        kind=DataRequest.Kind.DELETION,
        status=DataRequest.Status.PENDING,
        requested_at__lt=now - _days("PRIVACY_DELETION_GRACE_DAYS", 15),
    )
    deletions = 0
    for data_request in overdue:
        deletion_request_fulfil(data_request=data_request, actor=None)
        deletions += 1
    logs, _ = PersonalDataAccess.objects.filter(
        accessed_at__lt=now - _days("PRIVACY_ACCESS_LOG_RETENTION_DAYS", 3 * 365)
    ).delete()
    counts = {"needs": needs, "files": files, "deletions": deletions, "access_logs": logs}
    logger.info("retention sweep: %s", counts)
    return counts


# --- Human review of automated results --------------------------------------------------------


def _live_result(*, enterprise: Enterprise, policy: Policy) -> dict[str, Any]:
    """The engine's answer now, for a pair the nightly match does not store (only qualifying
    pairs are stored): the reviewer sees what the firm saw, missing facts included."""
    from eligibility.selectors import eligibility_results, enterprise_facts

    today = timezone.localdate()
    rows = eligibility_results(
        facts=enterprise_facts(enterprise), as_of=today, policy_ids=[policy.pk]
    )
    row = rows[0] if rows else {"eligible": None, "amount_yuan": None, "missing_facts": []}
    return {
        "eligible": row["eligible"],
        "amount_yuan": row["amount_yuan"],
        "missing_facts": list(row.get("missing_facts") or []),
        "evaluated_at": timezone.now().isoformat(),
    }


@transaction.atomic
def review_request_create(
    *, enterprise: Enterprise, policy: Policy, user: User, reason: str
) -> ReviewRequest:
    """Ask a person to review the automated eligibility result of ``policy`` for the firm."""
    from eligibility.models import EligibilityResult

    if not (user.is_enterprise_member and user.enterprise_id == enterprise.pk):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请说明需要人工复核的理由。"})
    if len(reason) > 1000:
        raise ValidationError({"reason": "理由不超过1000字。"})
    if ReviewRequest.objects.filter(
        enterprise=enterprise, policy=policy, status=ReviewRequest.Status.OPEN
    ).exists():
        raise ValidationError({"reason": "该政策已有待复核的申请，请等待答复。"})
    result = EligibilityResult.objects.filter(enterprise=enterprise, policy=policy).first()
    if result is not None:
        snapshot = {
            "eligible": result.eligible,
            "amount_yuan": result.amount_yuan,
            "evaluated_at": result.evaluated_at.isoformat(),
        }
    else:
        snapshot = _live_result(enterprise=enterprise, policy=policy)
    review = ReviewRequest.objects.create(
        enterprise=enterprise, policy=policy, requested_by=user, result=snapshot, reason=reason
    )
    audit_record(actor=user, action="privacy.review_request", obj=review)
    return review


@transaction.atomic
def review_request_answer(*, review: ReviewRequest, actor: User, answer: str) -> ReviewRequest:
    """A person's answer to a review request; only staff who may see the request can answer."""
    review = ReviewRequest.objects.select_for_update().get(pk=review.pk)
    if not ReviewRequest.objects.for_user(actor).filter(pk=review.pk).exists() or not (
        actor.is_district_staff or actor.is_platform_admin
    ):
        raise PermissionDenied
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": "请填写复核意见。"})
    if review.status == ReviewRequest.Status.ANSWERED:
        raise ValidationError({"answer": "该申请已答复。"})
    review.answer = answer[:2000]
    review.status = ReviewRequest.Status.ANSWERED
    review.answered_by = actor
    review.answered_at = timezone.now()
    review.save(update_fields=["answer", "status", "answered_by", "answered_at"])
    audit_record(
        actor=actor,
        action="privacy.review_answer",
        obj=review,
        changes={"status": ["open", "answered"]},
    )
    return review
