"""Writes about enterprises: self-registration, verification, profile updates."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from audit.services import audit_record
from eligibility.services import eligibility_enqueue_enterprise
from enterprises.models import Enterprise, Qualification
from enterprises.sizing import classify_size
from enterprises.validators import normalise_uscc, validate_uscc
from privacy.services import consent_record_registration
from regions.models import Region

PROFILE_FIELDS = (
    "name",
    "industry_code",
    "industry_chain",
    "annual_revenue_yuan",
    "employees",
    "total_assets_yuan",
    "founded_on",
    "qualifications",
    "credit_rating",
    "contact_name",
    "contact_phone",
    "email",
)


def _derive_size(enterprise: Enterprise) -> None:
    enterprise.size_class = (
        classify_size(
            industry_code=enterprise.industry_code,
            employees=enterprise.employees,
            revenue_yuan=enterprise.annual_revenue_yuan,
            assets_yuan=enterprise.total_assets_yuan,
        )
        or ""
    )


def _check_qualifications(codes: list[str]) -> None:
    known = set(Qualification.values)
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValidationError({"qualifications": f"未知的资质代码：{'、'.join(unknown)}"})


@transaction.atomic
def enterprise_register(
    *,
    uscc: str,
    name: str,
    region: Region,
    contact_name: str,
    contact_phone: str,
    username: str,
    password: str,
    email: str = "",
    consent: bool,
) -> User:
    """Register a firm and its first member account; the firm awaits verification by staff."""
    errors: dict[str, list[str]] = {}
    code = normalise_uscc(uscc)
    try:
        validate_uscc(code)
    except ValidationError as exc:
        errors["uscc"] = exc.messages
    else:
        if Enterprise.objects.filter(uscc=code).exists():
            errors["uscc"] = [
                "该统一社会信用代码已注册，请由企业已有账号登录或联系金融发展服务中心。"
            ]
    if User.objects.filter(username__iexact=username).exists():
        errors["username"] = ["该用户名已被使用。"]
    if not consent:
        errors["consent"] = ["请阅读并同意《个人信息处理规则》后再注册。"]
    candidate = User(username=username, email=email, display_name=contact_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)

    enterprise = Enterprise(
        uscc=code,
        name=name,
        region=region,
        contact_name=contact_name,
        contact_phone=contact_phone,
        email=email,
    )
    enterprise.full_clean()
    enterprise.save()
    user = User(
        username=username,
        email=email,
        display_name=contact_name,
        phone=contact_phone,
        role=Role.ENTERPRISE_MEMBER,
        enterprise=enterprise,
        privacy_consent_at=timezone.now(),
    )
    user.set_password(password)
    user.save()
    # The consent is kept with its time and the version of the text agreed to.
    consent_record_registration(user=user, enterprise=enterprise)
    audit_record(
        actor=user,
        action="user.register",
        obj=user,
        changes={"role": Role.ENTERPRISE_MEMBER, "enterprise": enterprise.pk},
    )
    return user


@transaction.atomic
def enterprise_verify(*, enterprise: Enterprise, verified_by: User) -> Enterprise:
    """Mark a firm as verified by district staff."""
    enterprise.verified_at = timezone.now()
    enterprise.verified_by = verified_by
    enterprise.save(update_fields=["verified_at", "verified_by", "updated_at"])
    audit_record(actor=verified_by, action="enterprise.verify", obj=enterprise)
    return enterprise


@transaction.atomic
def enterprise_update_profile(*, enterprise: Enterprise, data: dict[str, Any]) -> Enterprise:
    """Update a firm's profile facts and re-derive its size class."""
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError({field: "该字段不可修改。" for field in sorted(unknown)})
    if "qualifications" in data:
        _check_qualifications(list(data["qualifications"]))
    for field, value in data.items():
        setattr(enterprise, field, value)
    if isinstance(enterprise.founded_on, date) and enterprise.founded_on > timezone.localdate():
        raise ValidationError({"founded_on": "成立日期不能晚于今天。"})
    _derive_size(enterprise)
    enterprise.full_clean()
    enterprise.save()
    eligibility_enqueue_enterprise(enterprise_id=enterprise.pk)  # re-match after the commit
    return enterprise


def enterprise_create(*, uscc: str, name: str, region: Region, **profile: Any) -> Enterprise:
    """Create a firm directly (demo data, staff entry), with its size class derived."""
    enterprise = Enterprise(uscc=normalise_uscc(uscc), name=name, region=region)
    for field, value in profile.items():
        setattr(enterprise, field, value)
    if enterprise.qualifications:
        _check_qualifications(enterprise.qualifications)
    _derive_size(enterprise)
    enterprise.full_clean()
    enterprise.save()
    return enterprise
