"""Mass assignment: fields a client may not set change nothing, on every writable API endpoint.

Each write is made twice from the same starting point, in savepoints that are rolled back: once
with its proper payload and once with the same payload plus fields that belong to the server
(status, the assigned bank and branch, the firm, the owner, the submitter, computed amounts).
The two results must be identical (the row's fields, times only as set or unset), or the padded
call must be refused and leave the row as it was. The proper call must really write (2xx), so the
comparison is not between two refusals.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from applications.models import PolicyApplication
from enterprises.models import Enterprise
from needs.models import FinancingNeed
from tests.factories import make_uscc
from tests.security.conftest import PDF, World
from tests.security.matrix import APPLICATION_STEPS, NEED_STEPS
from tests.security.urlmap import endpoints

pytestmark = pytest.mark.django_db


def server_fields(w: World) -> dict[str, Any]:
    """What a client might try to set: values pointing at side B or at a finished case."""
    return {
        "id": 999_999,
        "status": "disbursed",
        "assigned_bank": w["other_branch"].bank_id,
        "assigned_branch": w["other_branch"].pk,
        "assigned_officer": w["other_officer"].pk,
        "assigned_team": 1,
        "enterprise": w["other_firm"].pk,
        "enterprise_id": w["other_firm"].pk,
        "owner": w["other_member"].pk,
        "user": w["other_member"].pk,
        "submitted_by": w["other_member"].pk,
        "created_by": w["other_member"].pk,
        "approved_amount_yuan": 7,
        "disbursed_amount_yuan": 7,
        "computed_amount_yuan": 999_999_999,
        "max_amount_yuan": 999_999_999,
        "paid_amount_yuan": 7,
        "eligible": True,
        "verified_at": "2020-01-01T00:00:00Z",
        "verified_by": w["admin"].pk,
        "uscc": w["other_firm"].uscc,
        "region": "370200",
        "region_code": "370200",
        "size_class": "large",
        "role": "platform_admin",
        "is_staff": True,
        "is_superuser": True,
        "created_at": "2020-01-01T00:00:00Z",
    }


def high_water_marks() -> dict[type[models.Model], int]:
    """The highest id of every table: a row above it was created by the call."""
    from django.apps import apps
    from django.db.models import Max

    return {
        model: model._default_manager.aggregate(top=Max("pk"))["top"] or 0
        for model in apps.get_models()
        if isinstance(model._meta.pk, models.AutoField)
    }


def snapshot(instance: models.Model | None, marks: dict[type[models.Model], int]) -> dict:
    """The row's stored values; times only as set or unset (they differ by the clock), and a
    reference to a row the call created as "new" (ids differ between runs on PostgreSQL)."""
    if instance is None:
        return {}
    instance = type(instance).objects.get(pk=instance.pk)
    values = {}
    for field in instance._meta.concrete_fields:
        if field.primary_key or field.name == "password":  # a salted hash differs every time
            continue
        value = getattr(instance, field.attname)
        if isinstance(value, datetime):
            value = "set"
        elif (
            field.is_relation
            and isinstance(value, int)
            and value > marks.get(field.related_model, value)
        ):
            value = "new"
        values[field.name] = value
    return values


@dataclass(frozen=True)
class Write:
    """One writable endpoint: who calls it, how to prepare the row, and which row to compare."""

    url: str
    role: str
    payload: Callable[[World], dict[str, Any]]
    kwargs: Callable[[World], dict[str, Any]] = lambda w: {}
    prepare: Callable[[World], None] = lambda w: None
    #: the row the write changes, or creates (looked up after the call)
    target: Callable[[World], models.Model | None] = lambda w: None
    method: str = "POST"
    multipart: bool = False


def _need(w: World) -> FinancingNeed:
    return w["need"]


def _need_in(status: str, **fields: Any) -> Callable[[World], None]:
    def prepare(w: World) -> None:
        FinancingNeed.objects.filter(pk=w["need"].pk).update(
            status=status, assigned_officer=w["officer"], **fields
        )

    return prepare


def _application_in(status: str, **fields: Any) -> Callable[[World], None]:
    def prepare(w: World) -> None:
        PolicyApplication.objects.filter(pk=w["application"].pk).update(status=status, **fields)

    return prepare


NEED_STATES: dict[str, Callable[[World], None]] = {
    "need-accept": _need_in("assigned"),
    "need-contact": _need_in("accepted"),
    "need-request-materials": _need_in("contacted"),
    "need-propose": _need_in("contacted"),
    "need-approve": _need_in("proposed"),
    "need-disburse": _need_in(
        "approved", approved_amount_yuan=2_000_000, decided_at=timezone.now()
    ),
    "need-decline": _need_in("accepted"),
    "need-transfer": _need_in("accepted"),
    "need-assign-officer": _need_in("assigned"),
    "need-staff-assign": lambda w: FinancingNeed.objects.filter(pk=w["need"].pk).update(
        status="pool", assigned_branch=None, assigned_officer=None
    ),
    "need-withdraw": _need_in("accepted"),
    "need-another-bank": _need_in("assigned"),
    "need-rate": _need_in("disbursed"),
    "need-comment": _need_in("accepted"),
}
APPLICATION_STATES: dict[str, Callable[[World], None]] = {
    "application-confirm": _application_in("draft"),
    "application-resubmit": _application_in("returned"),
    "application-withdraw": _application_in("submitted"),
    "application-accept": _application_in("submitted"),
    "application-return-for-correction": _application_in("under_review"),
    "application-approve": _application_in("under_review"),
    "application-reject": _application_in("under_review"),
    "application-publicize": _application_in("approved", approved_amount_yuan=100_000),
    "application-pay": _application_in(
        "publicity", approved_amount_yuan=100_000, publicity_ends_on=date(2026, 1, 1)
    ),
    "application-comment": lambda w: None,
}
#: Steps whose proper call is refused in this world (the payload cannot reach a write), still
#: checked: the padded call must then change nothing either.
MAY_REFUSE = {
    "need-another-bank",  # only once a deadline has passed without contact
}


def _first(roles: frozenset[str]) -> str:
    order = ("member", "officer", "manager", "staff", "admin")
    return next(role for role in order if role in roles)


WRITES: dict[str, Write] = {
    "need-list": Write(
        url="need-list",
        role="member",
        payload=lambda w: {
            "amount_yuan": 500_000,
            "term_months": 6,
            "purpose": "working_capital",
            "guarantee_methods": ["credit"],
            "contact_name": "陈静",
            "contact_phone": "13805381234",
        },
        target=lambda w: FinancingNeed.objects.order_by("-pk").first(),
    ),
    "application-list": Write(
        url="application-list",
        role="member",
        payload=lambda w: {
            "policy": w["policy"].pk,
            "facts": {},
            "declaration": True,
            "material_0": SimpleUploadedFile("营业执照.pdf", PDF),
            "material_1": SimpleUploadedFile("报表.pdf", PDF),
        },
        prepare=lambda w: PolicyApplication.objects.filter(pk=w["application"].pk).update(
            status="withdrawn"
        ),
        target=lambda w: PolicyApplication.objects.order_by("-pk").first(),
        multipart=True,
    ),
    "enterprise-me": Write(
        url="enterprise-me",
        role="member",
        method="PATCH",
        payload=lambda w: {"employees": 80, "contact_name": "王强"},
        target=lambda w: Enterprise.objects.get(pk=w["firm"].pk),
    ),
    "enterprise-register": Write(
        url="enterprise-register",
        role="anonymous",
        payload=lambda w: {
            "uscc": make_uscc(4242),
            "name": "新注册企业有限公司",
            "region_code": "370911",
            "contact_name": "李明",
            "contact_phone": "13905381111",
            "username": "new-firm-user",
            "password": "a-long-and-unusual-passphrase-7",
            "consent": True,
        },
        target=lambda w: User.objects.filter(username="new-firm-user").first(),
    ),
    "need-materials": Write(
        url="need-materials",
        role="member",
        payload=lambda w: {"note": "补充", "files": SimpleUploadedFile("补充.pdf", PDF)},
        kwargs=lambda w: {"pk": w["need"].pk},
        prepare=_need_in("materials"),
        target=_need,
        multipart=True,
    ),
    **{
        name: Write(
            url=name,
            role=_first(roles),
            payload=payload,
            kwargs=lambda w: {"pk": w["need"].pk},
            prepare=NEED_STATES[name],
            target=_need,
        )
        for name, (payload, roles) in NEED_STEPS.items()
    },
    **{
        name: Write(
            url=name,
            role=_first(roles),
            payload=payload,
            kwargs=lambda w: {"pk": w["application"].pk},
            prepare=APPLICATION_STATES[name],
            target=lambda w: w["application"],
        )
        for name, (payload, roles) in APPLICATION_STEPS.items()
    },
}
#: Writable endpoints with nothing a client could assign: they only evaluate, or issue and
#: revoke the caller's own token from its credentials.
EVALUATE_ONLY = {"api-eligibility", "api-product-match", "api-token-login", "api-token-logout"}


def test_every_writable_api_endpoint_is_covered():
    writable = {
        e.key
        for e in endpoints()
        if e.is_api and {"POST", "PUT", "PATCH", "DELETE"} & set(e.methods)
    }
    missing = sorted(writable - set(WRITES) - EVALUATE_ONLY)
    assert not missing, f"writable API endpoints without a mass-assignment case: {missing}"


def _call(client, write: Write, world: World, payload: dict[str, Any]):
    path = reverse(write.url, kwargs=write.kwargs(world))
    if write.multipart:
        data = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in payload.items()}
        return client.post(path, data)
    return client.generic(
        write.method, path, json.dumps(payload, default=str), content_type="application/json"
    )


def _outcome(client, world: World, write: Write, payload: dict[str, Any]):
    with transaction.atomic():
        write.prepare(world)
        marks = high_water_marks()
        before = snapshot(write.target(world), marks)
        response = _call(client, write, world, payload)
        after = snapshot(write.target(world), marks)
        transaction.set_rollback(True)
    return response.status_code, before, after, response.content.decode()


@pytest.mark.parametrize("name", sorted(WRITES))
def test_server_fields_in_a_write_change_nothing(name, world, client, login_as):
    write = WRITES[name]
    login_as(world, write.role)
    proper = write.payload(world)
    padded = {**server_fields(world), **write.payload(world)}
    if name == "enterprise-register":
        padded["enterprise"] = world["other_firm"].pk
    status, before, clean, body = _outcome(client, world, write, proper)
    if name not in MAY_REFUSE:
        assert status < 300, f"{name}: the proper call was refused ({status}): {body[:300]!r}"
    padded_status, _, dirty, _ = _outcome(client, world, write, padded)
    if padded_status >= 400:
        assert dirty == before, f"{name}: a refused call changed the row"
        return
    assert padded_status == status, (name, status, padded_status)
    changed = {k: (clean.get(k), dirty.get(k)) for k in set(clean) | set(dirty)}
    changed = {k: v for k, v in changed.items() if v[0] != v[1]}
    assert not changed, f"{name}: extra fields changed {changed}"


def test_registration_cannot_grant_a_role(world, client):
    """The registration endpoint makes a firm member of a new firm, whatever else is sent."""
    payload = {
        **server_fields(world),
        "uscc": make_uscc(4343),
        "name": "自助注册企业有限公司",
        "region_code": "370911",
        "contact_name": "李明",
        "contact_phone": "13905381111",
        "username": "self-made-admin",
        "password": "a-long-and-unusual-passphrase-7",
        "consent": True,
    }
    response = client.post(
        reverse("enterprise-register"), json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    user = User.objects.get(username="self-made-admin")
    assert (user.role, user.is_staff, user.is_superuser) == ("enterprise_member", False, False)
    assert user.enterprise.name == "自助注册企业有限公司"
    assert user.enterprise_id != world["other_firm"].pk
    assert user.enterprise.verified_at is None
