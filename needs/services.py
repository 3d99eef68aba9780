"""Writes about financing needs: submitting, routing, each step of case handling, and closing.

Every step locks the need, asks the state machine (``needs.states``) whether it may happen, writes
the change and an audited :class:`~needs.models.NeedEvent` (who, when, from, to, note) in one
transaction, and tells the people concerned through ``notification_send``. Routing is written as a
pending :class:`~needs.models.RoutingRequest` in the same transaction and run by a Celery task after
the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from audit.services import audit_record
from banks.models import Branch, LoanProduct
from enterprises.models import Enterprise
from needs.deadlines import deadlines_cancel, deadlines_create, deadlines_meet
from needs.models import (
    Assignment,
    ContactChannel,
    Deadline,
    DeclineReason,
    FinancingNeed,
    GuaranteeMethod,
    NeedAttachment,
    NeedEvent,
    NeedRating,
    Purpose,
    RoutingRequest,
    Urgency,
)
from needs.permissions import ensure_may, role_may
from needs.routing import Destination, choose_destination
from needs.states import Action, Status, check_transition
from notifications.services import notification_send
from portal.errors import TransitionNotAllowed
from portal.uploads import CheckedUpload, check_upload
from portal.validators import validate_phone
from workdays.calendar import shanghai_date

logger = logging.getLogger(__name__)

NEED_FIELDS = (
    "amount_yuan",
    "term_months",
    "purpose",
    "guarantee_methods",
    "collateral",
    "urgency",
    "description",
    "contact_name",
    "contact_phone",
)
MAX_ATTACHMENTS = 10


def _wan(yuan: int | None) -> str:
    if yuan is None:
        return "—"
    value = Decimal(yuan) / Decimal(10_000)
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text}万元"


def _url(need: FinancingNeed) -> str:
    return reverse("needs:detail", args=[need.pk])


def _event(
    need: FinancingNeed,
    *,
    actor: User | None,
    action: str,
    from_status: str,
    to_status: str,
    note: str = "",
    data: Mapping[str, Any] | None = None,
) -> NeedEvent:
    audit_record(
        actor=actor,
        action=f"need.{action}",
        obj=need,
        changes={"status": [from_status, to_status], **(data or {})},
    )
    return NeedEvent.objects.create(
        need=need,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=dict(data or {}),
    )


_LOCK_RELATED = ("enterprise__region", "assigned_branch__bank", "assigned_team", "assigned_officer")


def _lock(need: FinancingNeed) -> FinancingNeed:
    return (
        FinancingNeed.objects.select_for_update(of=("self",))
        .select_related(*_LOCK_RELATED)
        .get(pk=need.pk)
    )


def _lock_for(actor: User, need: FinancingNeed, action: str) -> FinancingNeed:
    """``ensure_may`` and ``_lock`` in one query: the need locked if ``actor`` may see it (404
    otherwise), then the role's right to ``action`` checked on the locked row (403)."""
    locked = (
        FinancingNeed.objects.for_user(actor)
        .select_for_update(of=("self",))
        .select_related(*_LOCK_RELATED)
        .filter(pk=need.pk)
        .first()
    )
    if locked is None:
        raise Http404("未找到该融资需求。")
    if not role_may(actor, locked, action):
        raise PermissionDenied("您的角色不能执行此操作。")
    return locked


def _open_assignment(need: FinancingNeed) -> Assignment | None:
    return Assignment.objects.filter(need=need, outcome=Assignment.Outcome.OPEN).first()


def _firm_members(need: FinancingNeed) -> list[User]:
    return list(
        User.objects.filter(
            enterprise_id=need.enterprise_id, role=Role.ENTERPRISE_MEMBER, is_active=True
        )
    )


def _bank_people(need: FinancingNeed) -> list[User]:
    """Who handles the need at the bank: its officer, else the team, else the branch's officers."""
    if need.assigned_officer_id:
        return [need.assigned_officer]
    if need.assigned_team_id:
        members = list(need.assigned_team.members.filter(is_active=True))
        if members:
            return members
    if need.assigned_branch_id is None:
        return []
    people = list(
        User.objects.filter(
            branch_id=need.assigned_branch_id, role=Role.BANK_OFFICER, is_active=True
        )
    )
    return people or list(
        User.objects.filter(
            branch_id=need.assigned_branch_id, role=Role.BANK_MANAGER, is_active=True
        )
    )


def _district_staff(need: FinancingNeed) -> list[User]:
    return list(
        User.objects.filter(
            role=Role.DISTRICT_STAFF,
            is_active=True,
            region__code__in=need.enterprise.region.ancestor_codes(),
        )
    )


def _notify(
    users: Iterable[User], need: FinancingNeed, *, kind: str, title: str, body: str, key: str
) -> None:
    for user in users:
        notification_send(
            user=user,
            kind=kind,
            title=title,
            body=body,
            url=_url(need),
            dedupe_key=f"need:{need.pk}:{key}",
        )


def _schedule_routing(need: FinancingNeed) -> RoutingRequest:
    """A pending routing row in this transaction, and its task enqueued once the commit succeeds."""
    routing = RoutingRequest.objects.create(need=need)

    def enqueue() -> None:
        from needs.tasks import need_route

        need_route.delay(routing.pk)

    # robust: the need is committed; with the broker down, routing_sweep re-drives the row.
    transaction.on_commit(enqueue, robust=True)
    return routing


# --- Submitting -----------------------------------------------------------------------------------


def _products(raw: Iterable[Any]) -> list[LoanProduct]:
    ids: list[int] = []
    for value in raw or []:
        product_id = getattr(value, "pk", value)
        try:
            product_id = int(product_id)
        except (TypeError, ValueError) as exc:
            raise ValidationError({"products": "意向产品无效。"}) from exc
        if product_id not in ids:
            ids.append(product_id)
    if len(ids) > 5:
        raise ValidationError({"products": "最多选择 5 个意向产品。"})
    if not ids:  # most needs name no product: not even an empty query to build
        return []
    products = list(LoanProduct.objects.published().filter(pk__in=ids))
    missing = sorted(set(ids) - {product.pk for product in products})
    if missing:
        raise ValidationError(
            {"products": f"以下意向产品不存在或未发布：{'、'.join(map(str, missing))}"}
        )
    return products


def _clean_need(data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values = {field: data[field] for field in NEED_FIELDS if field in data}
    methods = list(values.get("guarantee_methods") or [])
    if not methods:
        errors["guarantee_methods"] = ["请至少选择一种可接受的担保方式。"]
    elif any(method not in GuaranteeMethod.values for method in methods):
        errors["guarantee_methods"] = ["担保方式只能是信用、抵押、质押、保证。"]
    values["guarantee_methods"] = list(dict.fromkeys(methods))
    if values.get("purpose") not in Purpose.values:
        errors["purpose"] = ["请选择融资用途。"]
    values.setdefault("urgency", Urgency.NORMAL)
    if values["urgency"] not in Urgency.values:
        errors["urgency"] = ["请选择紧急程度。"]
    try:
        validate_phone(values.get("contact_phone") or "")
    except ValidationError as exc:
        errors["contact_phone"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return values


def _store(need: FinancingNeed, actor: User, checked: CheckedUpload, *, material: bool):
    stored = default_storage.save(checked.storage_name, checked.file)
    return NeedAttachment.objects.create(
        need=need,
        uploaded_by=actor,
        file=stored,
        storage_name=stored,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        is_material=material,
    )


def _check_files(files: Iterable[UploadedFile], field: str = "attachments") -> list[CheckedUpload]:
    files = list(files or [])
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError({field: f"一次最多上传 {MAX_ATTACHMENTS} 个文件。"})
    checked, errors = [], []
    for upload in files:
        try:
            checked.append(check_upload(upload, folder="needs"))
        except ValidationError as exc:
            errors.extend(f"{upload.name}：{message}" for message in exc.messages)
    if errors:
        raise ValidationError({field: errors})
    return checked


def _store_all(
    need: FinancingNeed, actor: User, checked: list[CheckedUpload], *, material: bool
) -> list[NeedAttachment]:
    """Store files under generated names; delete those already stored if one fails."""
    stored: list[NeedAttachment] = []
    try:
        for item in checked:
            stored.append(_store(need, actor, item, material=material))
    except Exception:
        for attachment in stored:
            default_storage.delete(attachment.storage_name)
        raise

    return stored


@dataclass(frozen=True)
class Submission:
    """What a submission wrote, as it is in memory: the API answers from it without re-reading."""

    need: FinancingNeed
    products: list[LoanProduct]
    attachments: list[NeedAttachment]
    event: NeedEvent


def financing_need_submit(
    *,
    enterprise: Enterprise,
    submitted_by: User,
    data: Mapping[str, Any],
    attachments: Iterable[UploadedFile] = (),
) -> FinancingNeed:
    """Save a firm's need, all or nothing, and schedule its routing after the commit.

    One transaction: :func:`financing_need_submission`'s (no savepoint of a second one)."""
    return financing_need_submission(
        enterprise=enterprise, submitted_by=submitted_by, data=data, attachments=attachments
    ).need


@transaction.atomic
def financing_need_submission(
    *,
    enterprise: Enterprise,
    submitted_by: User,
    data: Mapping[str, Any],
    attachments: Iterable[UploadedFile] = (),
) -> Submission:
    """:func:`financing_need_submit`, answering everything it wrote."""
    if not (submitted_by.is_enterprise_member and submitted_by.enterprise_id == enterprise.pk):
        raise PermissionDenied("只有本企业用户可以提交融资需求。")
    values = _clean_need(data)
    products = _products(data.get("products") or [])
    checked = _check_files(attachments)
    need = FinancingNeed(enterprise=enterprise, submitted_by=submitted_by, **values)
    # The field validators (amount >= 10 000, term >= 1) and the new need's status imply the
    # model's CheckConstraints; the database still enforces them, so Django's validation of
    # each constraint (a SELECT inside a savepoint per constraint) is skipped.
    need.full_clean(
        exclude=["enterprise", "submitted_by", "assigned_branch", "assigned_officer"],
        validate_constraints=False,
    )
    need.save()
    if products:  # a new need has none yet: add, without reading the current set
        need.products.add(*products)
    stored = _store_all(need, submitted_by, checked, material=False)
    try:
        event = _event(
            need,
            actor=submitted_by,
            action="submit",
            from_status="",
            to_status=Status.PENDING,
            note=f"提交融资需求：{_wan(need.amount_yuan)}，{need.term_months}个月，"
            f"{need.get_purpose_display()}",
            data={"attachments": [a.original_name for a in stored]},
        )
        _schedule_routing(need)
    except Exception:
        for attachment in stored:
            default_storage.delete(attachment.storage_name)
        raise
    return Submission(need=need, products=products, attachments=stored, event=event)


# --- Routing -------------------------------------------------------------------------------------


def _assign(
    need: FinancingNeed,
    destination: Destination,
    *,
    actor: User | None,
    action: str,
    note: str = "",
) -> Assignment:
    now = timezone.now()
    from_status = need.status
    assignment = Assignment.objects.create(
        need=need,
        rule=destination.rule,
        reason=destination.reason[:300],
        branch=destination.branch,
        team=destination.team,
        lead_bank=destination.lead_bank,
        assigned_by=actor,
    )
    need.assigned_branch = destination.branch
    need.assigned_team = destination.team
    need.assigned_officer = None
    need.status = Status.ASSIGNED if destination.branch else Status.POOL
    if destination.branch:
        need.assigned_at = now
    need.save()
    branch = destination.branch
    _event(
        need,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=need.status,
        note=(destination.reason + (f" {note}" if note else "")).strip(),
        data={
            "rule": destination.rule,
            "branch_id": branch.pk if branch else None,
            "branch": branch.name if branch else "",
            "bank": branch.bank.name if branch else "",
        },
    )
    firm = need.enterprise.name
    if branch is not None:
        deadlines_create(need=need, assignment=assignment)
        _notify(
            _bank_people(need),
            need,
            kind="need_assigned",
            title=f"新的融资需求：{firm}，{_wan(need.amount_yuan)}",
            body=f"{destination.reason}\n请在时限内接单。",
            key=f"assigned:{assignment.pk}",
        )
        _notify(
            _firm_members(need),
            need,
            kind="need_routed",
            title=f"您的融资需求已派给{branch.name}",
            body=destination.reason,
            key=f"routed:{assignment.pk}",
        )
    else:
        _notify(
            _district_staff(need),
            need,
            kind="need_pool",
            title=f"需求池待分配：{firm}，{_wan(need.amount_yuan)}",
            body=destination.reason,
            key=f"pool:{assignment.pk}",
        )
    return assignment


def financing_need_route(*, routing_id: int) -> Assignment | None:
    """Run one routing: claim the row (a duplicate run changes nothing), choose, assign.

    The claim and the assignment commit together, so a failure leaves the row pending for the
    sweeper.
    """
    with transaction.atomic():
        claimed = RoutingRequest.objects.filter(pk=routing_id, done_at__isnull=True).update(
            done_at=timezone.now()
        )
        if not claimed:
            return None
        routing = RoutingRequest.objects.get(pk=routing_id)
        need = _lock(routing.need)
        if need.status != Status.PENDING:
            return None
        check_transition(need.status, Action.ROUTE)
        return _assign(need, choose_destination(need), actor=None, action=Action.ROUTE)


def routing_pending_ids(*, older_than_seconds: int = 60) -> list[int]:
    """Routing rows still pending after ``older_than_seconds`` (their task never ran)."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    return list(
        RoutingRequest.objects.filter(done_at__isnull=True, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )


@transaction.atomic
def financing_need_staff_assign(
    *, need: FinancingNeed, actor: User, branch: Branch, note: str = ""
) -> Assignment:
    """District staff hand a need from the pool to a branch."""
    need = _lock_for(actor, need, Action.STAFF_ASSIGN)
    check_transition(need.status, Action.STAFF_ASSIGN)
    open_assignment = _open_assignment(need)
    if open_assignment is not None:
        open_assignment.outcome = Assignment.Outcome.TRANSFERRED
        open_assignment.ended_at = timezone.now()
        open_assignment.save(update_fields=["outcome", "ended_at"])
    destination = Destination(
        rule=Assignment.Rule.STAFF,
        reason=f"金融发展服务中心（{actor}）分配给{branch.name}。",
        branch=branch,
    )
    return _assign(need, destination, actor=actor, action=Action.STAFF_ASSIGN, note=note)


# --- Case handling by the bank --------------------------------------------------------------------


def _step(
    need: FinancingNeed,
    actor: User,
    action: str,
    *,
    note: str = "",
    data: Mapping[str, Any] | None = None,
    fields: Mapping[str, Any] | None = None,
) -> FinancingNeed:
    need = _lock_for(actor, need, action)
    target = check_transition(need.status, action)
    from_status = need.status
    need.status = target
    for name, value in (fields or {}).items():
        setattr(need, name, value)
    need.save()
    _event(
        need,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=target,
        note=note,
        data=data,
    )
    return need


def _tell_firm(need: FinancingNeed, *, key: str, title: str, body: str = "") -> None:
    _notify(_firm_members(need), need, kind="need_progress", title=title, body=body, key=key)


def _bank_name(need: FinancingNeed) -> str:
    return need.assigned_branch.name if need.assigned_branch_id else "银行"


@transaction.atomic
def financing_need_accept(*, need: FinancingNeed, actor: User, note: str = "") -> FinancingNeed:
    """The bank takes the case; an officer who accepts becomes its officer."""
    officer = actor if actor.role == Role.BANK_OFFICER else None
    need = _step(
        need,
        actor,
        Action.ACCEPT,
        note=note,
        fields={
            "accepted_at": timezone.now(),
            "assigned_officer": officer or need.assigned_officer,
        },
    )
    deadlines_meet(need=need, kinds=[Deadline.Kind.ACCEPT])
    _tell_firm(
        need,
        key=f"accepted:{need.accepted_at:%Y%m%d%H%M%S}",
        title=f"{_bank_name(need)}已接单",
        body=f"客户经理：{actor}。将尽快与您联系。",
    )
    return need


@transaction.atomic
def financing_need_contact(
    *, need: FinancingNeed, actor: User, channel: str, note: str
) -> FinancingNeed:
    """Record the first real contact with the firm (channel and note)."""
    if channel not in ContactChannel.values:
        raise ValidationError({"channel": "请选择对接方式。"})
    if not note.strip():
        raise ValidationError({"note": "请填写对接情况。"})
    label = ContactChannel(channel).label
    need = _step(
        need,
        actor,
        Action.CONTACT,
        note=note,
        data={"channel": channel, "channel_label": label},
        fields={"first_contact_at": timezone.now()},
    )
    deadlines_meet(need=need, kinds=[Deadline.Kind.CONTACT])
    _tell_firm(need, key="contacted", title=f"{_bank_name(need)}已与您对接（{label}）", body=note)
    return need


@transaction.atomic
def financing_need_request_materials(
    *, need: FinancingNeed, actor: User, items: str, note: str = ""
) -> FinancingNeed:
    """Ask the firm for documents; the case waits for the firm's upload."""
    if not items.strip():
        raise ValidationError({"items": "请列出需要补充的材料。"})
    need = _step(need, actor, Action.REQUEST_MATERIALS, note=note, data={"items": items})
    count = NeedEvent.objects.filter(need=need, action=Action.REQUEST_MATERIALS).count()
    _tell_firm(
        need,
        key=f"materials:{count}",
        title=f"{_bank_name(need)}请您补充材料",
        body=f"需要补充：{items}\n{note}".strip(),
    )
    return need


@transaction.atomic
def financing_need_propose(
    *,
    need: FinancingNeed,
    actor: User,
    product: str,
    amount_yuan: int,
    rate_percent: Decimal,
    term_months: int,
    note: str = "",
) -> FinancingNeed:
    """Offer the firm a financing plan: product, amount, annual rate and term."""
    errors = {}
    if amount_yuan is None or amount_yuan <= 0:
        errors["amount_yuan"] = "方案金额必须大于 0。"
    if rate_percent is None or not (Decimal("0") < Decimal(rate_percent) < Decimal("36")):
        errors["rate_percent"] = "年利率应在 0% 到 36% 之间。"
    if term_months is None or not (1 <= term_months <= 360):
        errors["term_months"] = "期限应为 1 到 360 个月。"
    if not product.strip():
        errors["product"] = "请填写产品名称。"
    if errors:
        raise ValidationError(errors)
    need = _step(
        need,
        actor,
        Action.PROPOSE,
        note=note,
        data={
            "product": product,
            "amount_yuan": amount_yuan,
            "rate_percent": str(rate_percent),
            "term_months": term_months,
        },
        fields={
            "proposed_product": product,
            "proposed_amount_yuan": amount_yuan,
            "proposed_rate_percent": Decimal(rate_percent),
            "proposed_term_months": term_months,
        },
    )
    _tell_firm(
        need,
        key="proposed",
        title=f"{_bank_name(need)}提出了融资方案",
        body=f"{product}：{_wan(amount_yuan)}，年利率{rate_percent}%，{term_months}个月。{note}",
    )
    return need


@transaction.atomic
def financing_need_approve(
    *, need: FinancingNeed, actor: User, amount_yuan: int, note: str = ""
) -> FinancingNeed:
    """Record the credit approval (授信) and its amount."""
    if amount_yuan is None or amount_yuan <= 0:
        raise ValidationError({"amount_yuan": "授信金额必须大于 0。"})
    need = _step(
        need,
        actor,
        Action.APPROVE,
        note=note,
        data={"amount_yuan": amount_yuan},
        fields={"approved_amount_yuan": amount_yuan, "decided_at": timezone.now()},
    )
    deadlines_meet(
        need=need, kinds=[Deadline.Kind.ACCEPT, Deadline.Kind.CONTACT, Deadline.Kind.DECISION]
    )
    _tell_firm(
        need,
        key="approved",
        title=f"{_bank_name(need)}已授信{_wan(amount_yuan)}",
        body=note,
    )
    return need


@transaction.atomic
def financing_need_disburse(
    *, need: FinancingNeed, actor: User, amount_yuan: int, disbursed_on: date, note: str = ""
) -> FinancingNeed:
    """Record the disbursement (放款): amount and date; the case closes."""
    errors = {}
    if amount_yuan is None or amount_yuan <= 0:
        errors["amount_yuan"] = "放款金额必须大于 0。"
    elif need.approved_amount_yuan and amount_yuan > need.approved_amount_yuan:
        errors["amount_yuan"] = f"放款金额不能超过授信金额（{_wan(need.approved_amount_yuan)}）。"
    if disbursed_on is None or disbursed_on > shanghai_date(timezone.now()):
        errors["disbursed_on"] = "放款日期不能晚于今天。"
    elif need.decided_at and disbursed_on < shanghai_date(need.decided_at):
        errors["disbursed_on"] = "放款日期不能早于授信日期。"
    if errors:
        current = FinancingNeed.objects.filter(pk=need.pk).values_list("status", flat=True).first()
        check_transition(current or need.status, Action.DISBURSE)  # a wrong state is 409 first
        raise ValidationError(errors)
    now = timezone.now()
    need = _step(
        need,
        actor,
        Action.DISBURSE,
        note=note,
        data={"amount_yuan": amount_yuan, "disbursed_on": disbursed_on.isoformat()},
        fields={
            "disbursed_amount_yuan": amount_yuan,
            "disbursed_on": disbursed_on,
            "closed_at": now,
        },
    )
    Assignment.objects.filter(need=need, outcome=Assignment.Outcome.OPEN).update(
        outcome=Assignment.Outcome.COMPLETED, ended_at=now
    )
    deadlines_cancel(need=need)
    _tell_firm(
        need,
        key="disbursed",
        title=f"{_bank_name(need)}已放款{_wan(amount_yuan)}",
        body="欢迎对本次融资服务进行评价。",
    )
    return need


def _leave_bank(
    need: FinancingNeed,
    actor: User,
    action: str,
    *,
    outcome: str,
    note: str,
    reason: str = "",
    data: Mapping[str, Any] | None = None,
) -> tuple[FinancingNeed, Branch | None, list[User], Assignment | None]:
    """The current bank lets go of the need, which goes back to routing without that bank."""
    need = _lock_for(actor, need, action)
    target = check_transition(need.status, action)
    now = timezone.now()
    assignment = _open_assignment(need)
    from_status = need.status
    branch = need.assigned_branch
    if assignment is not None:
        assignment.outcome = outcome
        assignment.ended_at = now
        assignment.decline_reason = reason
        assignment.decline_note = note
        assignment.save(update_fields=["outcome", "ended_at", "decline_reason", "decline_note"])
    bank_people = _bank_people(need)
    if action == Action.DECLINE:
        deadlines_meet(need=need, kinds=[Deadline.Kind.DECISION])
    deadlines_cancel(need=need)
    need.status = target
    need.assigned_branch = None
    need.assigned_team = None
    need.assigned_officer = None
    need.save()
    _event(
        need,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=target,
        note=note,
        data={
            **(data or {}),
            "branch_id": branch.pk if branch else None,
            "branch": branch.name if branch else "",
            "bank": branch.bank.name if branch else "",
        },
    )
    _schedule_routing(need)
    return need, branch, bank_people, assignment


@transaction.atomic
def financing_need_decline(
    *, need: FinancingNeed, actor: User, reason: str, note: str
) -> FinancingNeed:
    """The bank declines with a structured reason and a note; the need is routed again without it."""
    errors = {}
    if reason not in DeclineReason.values:
        errors["reason"] = "请选择退回原因。"
    if not (note or "").strip():
        errors["note"] = "请填写退回说明。"
    if errors:
        raise ValidationError(errors)
    label = DeclineReason(reason).label
    need, branch, _, assignment = _leave_bank(
        need,
        actor,
        Action.DECLINE,
        outcome=Assignment.Outcome.DECLINED,
        note=note,
        reason=reason,
        data={"reason": reason, "reason_label": label},
    )
    _tell_firm(
        need,
        key=f"declined:{assignment.pk if assignment else 0}",
        title=f"{branch.name if branch else '银行'}未能承接您的融资需求：{label}",
        body=f"说明：{note}\n平台正在为您重新派单，您也可以查看其他匹配的信贷产品。",
    )
    return need


@transaction.atomic
def financing_need_request_another_bank(
    *, need: FinancingNeed, actor: User, note: str = ""
) -> FinancingNeed:
    """The firm asks for another bank because its case has stalled past a deadline."""
    ensure_may(actor, need, Action.ANOTHER_BANK)
    stalled = Deadline.objects.filter(
        need=need,
        met_at__isnull=True,
        cancelled_at__isnull=True,
        due_at__lt=timezone.now(),
        assignment__outcome=Assignment.Outcome.OPEN,
    ).exists()
    current = FinancingNeed.objects.filter(pk=need.pk).values_list("status", flat=True).first()
    check_transition(current, Action.ANOTHER_BANK)
    if not stalled:
        raise TransitionNotAllowed("案件尚未超过办理时限，暂不能申请更换银行。")
    need, _, bank_people, assignment = _leave_bank(
        need,
        actor,
        Action.ANOTHER_BANK,
        outcome=Assignment.Outcome.RELEASED,
        note=note,
    )
    for user in bank_people:
        notification_send(
            user=user,
            kind="need_released",
            title=f"企业已申请更换银行：融资需求 #{need.pk}",
            body=f"该需求超过办理时限，企业申请由其他银行办理。{note}",
            url="",
            dedupe_key=f"need:{need.pk}:released:{assignment.pk if assignment else 0}",
        )
    return need


@transaction.atomic
def financing_need_transfer(
    *,
    need: FinancingNeed,
    actor: User,
    branch: Branch | None = None,
    officer: User | None = None,
    note: str = "",
) -> FinancingNeed:
    """Hand the case to another branch or officer of the same bank."""
    need = _lock_for(actor, need, Action.TRANSFER)
    check_transition(need.status, Action.TRANSFER)
    bank_id = need.assigned_branch.bank_id
    if officer is not None:
        if officer.role not in (Role.BANK_OFFICER, Role.BANK_MANAGER) or officer.branch_id is None:
            raise ValidationError({"officer": "请选择本行的客户经理。"})
        branch = branch or Branch.objects.get(pk=officer.branch_id)
        if officer.branch_id != branch.pk:
            raise ValidationError({"officer": "客户经理不属于所选网点。"})
    if branch is None:
        raise ValidationError({"branch": "请选择转办的网点或客户经理。"})
    if branch.bank_id != bank_id:
        raise ValidationError({"branch": "只能在本行内转办。"})
    from_branch = need.assigned_branch
    Assignment.objects.filter(need=need, outcome=Assignment.Outcome.OPEN).update(branch=branch)
    need.assigned_branch = branch
    need.assigned_officer = officer
    if need.assigned_team_id and need.assigned_team.branch_id != branch.pk:
        need.assigned_team = None
    need.save()
    _event(
        need,
        actor=actor,
        action=Action.TRANSFER,
        from_status=need.status,
        to_status=need.status,
        note=note,
        data={
            "from_branch": from_branch.name,
            "to_branch": branch.name,
            "officer": str(officer) if officer else "",
        },
    )
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    _notify(
        _bank_people(need),
        need,
        kind="need_transferred",
        title=f"转办给您的融资需求：{need.enterprise.name}",
        body=f"由{actor}自{from_branch.name}转办。{note}",
        key=f"transfer:{stamp}",
    )
    return need


@transaction.atomic
def financing_need_assign_officer(
    *, need: FinancingNeed, actor: User, officer: User, note: str = ""
) -> FinancingNeed:
    """A branch manager gives the case to one of the branch's officers."""
    need = _lock_for(actor, need, Action.ASSIGN_OFFICER)
    check_transition(need.status, Action.ASSIGN_OFFICER)
    if officer.role != Role.BANK_OFFICER or officer.branch_id != need.assigned_branch_id:
        raise ValidationError({"officer": "只能分配给本网点的客户经理。"})
    need.assigned_officer = officer
    need.save(update_fields=["assigned_officer", "updated_at"])
    _event(
        need,
        actor=actor,
        action=Action.ASSIGN_OFFICER,
        from_status=need.status,
        to_status=need.status,
        note=note,
        data={"officer_id": officer.pk, "officer": str(officer)},
    )
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    notification_send(
        user=officer,
        kind="need_assigned_officer",
        title=f"{actor}将融资需求分配给您：{need.enterprise.name}",
        body=note,
        url=_url(need),
        dedupe_key=f"need:{need.pk}:officer:{officer.pk}:{stamp}",
    )
    return need


# --- The firm's side -----------------------------------------------------------------------------


@transaction.atomic
def financing_need_withdraw(*, need: FinancingNeed, actor: User, note: str = "") -> FinancingNeed:
    """The firm withdraws its need; the case closes and the bank is told."""
    need = _lock_for(actor, need, Action.WITHDRAW)
    check_transition(need.status, Action.WITHDRAW)
    bank_people = _bank_people(need) if need.assigned_branch_id else []
    now = timezone.now()
    Assignment.objects.filter(need=need, outcome=Assignment.Outcome.OPEN).update(
        outcome=Assignment.Outcome.WITHDRAWN, ended_at=now
    )
    RoutingRequest.objects.filter(need=need, done_at__isnull=True).update(done_at=now)
    deadlines_cancel(need=need)
    need = _step(need, actor, Action.WITHDRAW, note=note, fields={"closed_at": now})
    _notify(
        bank_people,
        need,
        kind="need_withdrawn",
        title=f"企业已撤回融资需求：{need.enterprise.name}",
        body=note,
        key="withdrawn",
    )
    return need


@transaction.atomic
def financing_need_rate(
    *, need: FinancingNeed, actor: User, score: int, comment: str = ""
) -> NeedRating:
    """The firm rates the service once the case has closed; once."""
    need = _lock_for(actor, need, Action.RATE)
    check_transition(need.status, Action.RATE)
    if NeedRating.objects.filter(need=need).exists():
        raise TransitionNotAllowed("该需求已评价，不能重复评价。")
    if score is None or not (1 <= int(score) <= 5):
        raise ValidationError({"score": "评分应为 1 到 5 分。"})
    last = (
        Assignment.objects.filter(need=need, branch__isnull=False).order_by("-created_at").first()
    )
    rating = NeedRating.objects.create(
        need=need,
        branch=last.branch if last else None,
        score=int(score),
        comment=comment,
        rated_by=actor,
    )
    _event(
        need,
        actor=actor,
        action=Action.RATE,
        from_status=need.status,
        to_status=need.status,
        note=comment,
        data={"score": int(score)},
    )
    return rating


@transaction.atomic
def financing_need_comment(*, need: FinancingNeed, actor: User, text: str) -> NeedEvent:
    """A message on the timeline, seen by the firm and the bank; the other side is told."""
    ensure_may(actor, need, Action.COMMENT)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "请输入留言内容。"})
    if len(text) > 2000:
        raise ValidationError({"text": "留言不能超过 2000 字。"})
    need = _lock(need)
    event = _event(
        need,
        actor=actor,
        action=Action.COMMENT,
        from_status=need.status,
        to_status=need.status,
        note=text,
    )
    recipients = _bank_people(need) if actor.is_enterprise_member else _firm_members(need)
    _notify(
        [user for user in recipients if user.pk != actor.pk],
        need,
        kind="need_comment",
        title=f"融资需求 #{need.pk} 有新留言",
        body=text[:200],
        key=f"comment:{event.pk}",
    )
    return event


@transaction.atomic
def financing_need_upload(
    *, need: FinancingNeed, actor: User, files: Iterable[UploadedFile], note: str = ""
) -> list[NeedAttachment]:
    """The firm uploads files; when materials were requested, the case goes back to the bank."""
    ensure_may(actor, need, Action.PROVIDE_MATERIALS)
    checked = _check_files(files, field="files")
    if not checked:
        raise ValidationError({"files": "请选择要上传的文件。"})
    need = _lock(need)
    if need.status == Status.MATERIALS:
        target = check_transition(need.status, Action.PROVIDE_MATERIALS)
    elif need.is_open:
        target = need.status
    else:
        raise TransitionNotAllowed("需求已办结，不能再上传材料。")
    stored = _store_all(need, actor, checked, material=True)
    from_status = need.status
    if target != from_status:
        need.status = target
        need.save(update_fields=["status", "updated_at"])
    event = _event(
        need,
        actor=actor,
        action=Action.PROVIDE_MATERIALS,
        from_status=from_status,
        to_status=target,
        note=note,
        data={"files": [a.original_name for a in stored]},
    )
    _notify(
        _bank_people(need) if need.assigned_branch_id else [],
        need,
        kind="need_materials",
        title=f"{need.enterprise.name}上传了材料",
        body="、".join(a.original_name for a in stored),
        key=f"upload:{event.pk}",
    )
    return stored
