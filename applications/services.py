"""Writes about policy applications (申报): applying, each review step, 免申即享, reminders.

Every step locks the application, asks the state machine (``applications.states``) whether it may
happen, writes the change and an audited :class:`~applications.models.ApplicationEvent` (who,
when, from, to, note) in one transaction, and tells the people concerned through
``notification_send``. Grants are checked against one-time awards and yearly caps under a lock on
the enterprise row, so two concurrent approvals cannot both pass.

Uploads go through ``portal.uploads.check_upload``: every file is checked before anything is
written, and files written by a step that then fails are deleted again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from applications.facts import LOCKED_FACTS, compiled, parse_facts, rule_in_force, to_json
from applications.models import (
    ApplicationEvent,
    ApplicationFile,
    PolicyApplication,
    ProactivePolicy,
)
from applications.permissions import ensure_may
from applications.selectors import (
    Preview,
    application_counts_key,
    application_preview,
    granted_by_firm_in_year,
    granted_in_year,
    granted_once,
    one_time_message,
    policy_closed_reason,
    preview_from,
)
from applications.states import GRANTED_STATES, OPEN_STATES, Action, Status, check_transition
from audit.services import audit_record
from catalogue.cache import version_replace
from eligibility.engine import format_wan
from eligibility.facts import FACTS
from enterprises.models import Enterprise
from notifications.services import notification_send
from policies.models import Policy
from portal.uploads import CheckedUpload, check_upload
from regions.selectors import region_codes_within

logger = logging.getLogger(__name__)

DECLARATION = (
    "本企业承诺：所填信息及上传材料真实、准确、完整，如有虚假，愿承担相应法律责任，"
    "并退回已获得的奖补资金。"
)
MAX_FILES = 20
REVIEW_WORKING_DAYS = 15
CORRECTION_DAYS = 15
OTHER_MATERIAL = "其他材料"


# --- Helpers -------------------------------------------------------------------------------------


def _url(application: PolicyApplication) -> str:
    return reverse("applications:detail", args=[application.pk])


def _event(
    application: PolicyApplication,
    *,
    actor: User | None,
    action: str,
    from_status: str,
    to_status: str,
    note: str = "",
    data: Mapping[str, Any] | None = None,
) -> ApplicationEvent:
    # Every step may change the policy's public counts, which cached policy pages are keyed on.
    version_replace(application_counts_key(application.policy_id))
    audit_record(
        actor=actor,
        action=f"application.{action}",
        obj=application,
        changes={"status": [from_status, to_status], **(data or {})},
    )
    return ApplicationEvent.objects.create(
        application=application,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=dict(data or {}),
    )


def _lock(application: PolicyApplication) -> PolicyApplication:
    return (
        PolicyApplication.objects.select_for_update(of=("self",))
        .select_related("enterprise__region", "policy__region")
        .get(pk=application.pk)
    )


def _lock_enterprise(enterprise_id: int) -> Enterprise:
    """Serialise grant decisions of one firm (one-time awards, yearly caps)."""
    return Enterprise.objects.select_for_update().select_related("region").get(pk=enterprise_id)


def _firm_members(application: PolicyApplication) -> list[User]:
    return list(
        User.objects.filter(
            enterprise_id=application.enterprise_id, role=Role.ENTERPRISE_MEMBER, is_active=True
        )
    )


def _issuing_staff(policy: Policy) -> list[User]:
    """The staff of the office that issued the policy (else of the offices above it)."""
    for code in policy.region.ancestor_codes():
        staff = list(
            User.objects.filter(role=Role.DISTRICT_STAFF, is_active=True, region__code=code)
        )
        if staff:
            return staff
    return []


def _notify(
    users: Iterable[User],
    application: PolicyApplication,
    *,
    kind: str,
    title: str,
    body: str = "",
    key: str,
) -> None:
    for user in users:
        notification_send(
            user=user,
            kind=kind,
            title=title,
            body=body,
            url=_url(application),
            dedupe_key=f"application:{application.pk}:{key}",
        )


def _review_due(now) -> date:
    from workdays.selectors import work_calendar

    return timezone.localtime(work_calendar().add_working_days(now, REVIEW_WORKING_DAYS)).date()


def _parse_confirmed(facts: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate the facts the firm confirmed; locked profile facts cannot be changed."""
    raw = {k: v for k, v in (facts or {}).items() if k not in LOCKED_FACTS}
    parsed, errors = parse_facts(raw)
    if errors:
        raise ValidationError({name: messages for name, messages in errors.items()})
    return parsed


def _evaluate_or_refuse(preview: Preview) -> None:
    """Refuse when the firm may not apply or the confirmed facts do not qualify."""
    if preview.blocked:
        raise ValidationError(preview.blocked, code="limit")
    evaluation = preview.evaluation
    if evaluation is None:
        return  # a policy without quantified terms: the office judges on the materials
    if evaluation.eligible is False:
        raise ValidationError(
            "根据您确认的信息，暂不符合该政策的申报条件：" + "；".join(evaluation.unmet),
            code="ineligible",
        )
    if evaluation.missing_facts:
        errors = {}
        for name in evaluation.missing_facts:
            spec = FACTS.get(name)
            label = spec.label if spec else name
            errors[name] = [f"请填写“{label}”，测算需要这项信息。"]
        raise ValidationError(errors)


def _check_files(
    files: Sequence[tuple[str, UploadedFile]], allowed_materials: Sequence[str]
) -> list[tuple[str, CheckedUpload]]:
    """Check every file before any is stored; the errors name the file and the material."""
    files = [(material, upload) for material, upload in files if upload]
    if len(files) > MAX_FILES:
        raise ValidationError({"files": f"一次最多上传 {MAX_FILES} 个文件。"})
    known = set(allowed_materials) | {OTHER_MATERIAL}
    checked: list[tuple[str, CheckedUpload]] = []
    errors: list[str] = []
    for material, upload in files:
        if material not in known:
            errors.append(f"“{material}”不是该政策要求的申报材料。")
            continue
        try:
            checked.append((material, check_upload(upload, folder="applications")))
        except ValidationError as exc:
            errors.extend(f"{material}（{upload.name}）：{message}" for message in exc.messages)
    if errors:
        raise ValidationError({"files": errors})
    return checked


def _missing_materials(
    application: PolicyApplication | None,
    materials: Sequence[str],
    checked: Sequence[tuple[str, CheckedUpload]],
) -> list[str]:
    have = {material for material, _ in checked}
    if application is not None and application.pk:
        have |= set(application.files.values_list("material", flat=True))
    return [material for material in materials if material not in have]


class _StoredFiles:
    """Files written by one step; deleted again if the step fails, or its transaction rolls back."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def store(
        self, application: PolicyApplication, actor: User, material: str, checked: CheckedUpload
    ) -> ApplicationFile:
        stored = default_storage.save(checked.storage_name, checked.file)
        self.names.append(stored)
        return ApplicationFile.objects.create(
            application=application,
            material=material,
            uploaded_by=actor,
            file=stored,
            storage_name=stored,
            original_name=checked.original_name,
            content_type=checked.content_type,
            size=checked.size,
        )

    def delete(self) -> None:
        for name in self.names:
            try:
                default_storage.delete(name)
            except Exception:  # pragma: no cover - storage outage; the name is logged
                logger.exception("could not delete %s after a failed application step", name)


def _store_files(
    application: PolicyApplication,
    actor: User,
    checked: Sequence[tuple[str, CheckedUpload]],
    stored: _StoredFiles,
) -> list[ApplicationFile]:
    rows = [stored.store(application, actor, material, item) for material, item in checked]
    return rows


def _policy_open_to(policy: Policy, today: date) -> None:
    reason = policy_closed_reason(policy, today)
    if reason:
        raise ValidationError(reason, code="policy")


def _apply_preview(application: PolicyApplication, preview: Preview) -> None:
    evaluation = preview.evaluation
    application.rule = preview.rule
    application.facts = to_json(preview.facts)
    application.eligible = evaluation.eligible if evaluation else None
    application.computed_amount_yuan = preview.amount_yuan
    application.max_amount_yuan = evaluation.max_amount_yuan if evaluation else None
    if preview.remaining_yuan is not None and application.max_amount_yuan is not None:
        application.max_amount_yuan = min(application.max_amount_yuan, preview.remaining_yuan)
    application.formula = preview.formula
    application.evaluation = evaluation.to_dict() if evaluation else {}


# --- Applying ------------------------------------------------------------------------------------


@transaction.atomic
def policy_application_submit(
    *,
    enterprise: Enterprise,
    policy: Policy,
    submitted_by: User,
    facts: Mapping[str, Any] | None,
    files: Sequence[tuple[str, UploadedFile]] = (),
    declaration: bool,
) -> PolicyApplication:
    """A firm applies: the confirmed facts are evaluated, materials checked, then it is stored.

    Refuses (``ValidationError``, nothing stored) when the declaration is not confirmed, the
    firm does not qualify, an application is already open, a one-time award was already
    granted, the yearly cap is used up, a required material is missing or any file is refused.
    """
    if not (submitted_by.is_enterprise_member and submitted_by.enterprise_id == enterprise.pk):
        raise PermissionDenied("只有本企业用户可以提交申报。")
    today = timezone.localdate()
    enterprise = _lock_enterprise(enterprise.pk)
    _policy_open_to(policy, today)
    if not declaration:
        raise ValidationError({"declaration": "请阅读并确认申报承诺。"})
    existing = (
        PolicyApplication.objects.filter(enterprise=enterprise, policy=policy)
        .open()
        .order_by("pk")
        .first()
    )
    if existing is not None:
        raise ValidationError(
            f"贵企业已有该政策的申报 #{existing.pk}（{existing.get_status_display()}），"
            "请在原申报中办理，不能重复提交。",
            code="duplicate",
        )
    confirmed = _parse_confirmed(facts)
    preview = application_preview(enterprise=enterprise, policy=policy, facts=confirmed)
    _evaluate_or_refuse(preview)
    materials = list(policy.materials or [])
    checked = _check_files(files, materials)
    missing = _missing_materials(None, materials, checked)
    if missing:
        raise ValidationError({"files": [f"请上传“{m}”。" for m in missing]})

    now = timezone.now()
    application = PolicyApplication(
        enterprise=enterprise,
        policy=policy,
        year=today.year,
        status=Status.SUBMITTED,
        submitted_by=submitted_by,
        declaration=DECLARATION,
        declared_at=now,
        submitted_at=now,
        review_due_on=_review_due(now),
    )
    _apply_preview(application, preview)
    stored = _StoredFiles()
    try:
        try:
            with transaction.atomic():
                application.save()
        except IntegrityError as exc:
            # A 免申即享 draft made for the firm in the meantime (the one open application).
            raise ValidationError(
                "贵企业已有该政策的申报，请在原申报中办理，不能重复提交。", code="duplicate"
            ) from exc
        rows = _store_files(application, submitted_by, checked, stored)
        _event(
            application,
            actor=submitted_by,
            action=Action.SUBMIT,
            from_status="",
            to_status=Status.SUBMITTED,
            note=_amount_note(application),
            data={
                "files": [f"{r.material}：{r.original_name}" for r in rows],
                "amount_yuan": application.computed_amount_yuan,
                "formula": application.formula,
            },
        )
        _notify(
            _issuing_staff(policy),
            application,
            kind="application_submitted",
            title=f"新的政策申报：{enterprise.name}申报“{policy.title}”",
            body=_amount_note(application),
            key="submitted",
        )
    except Exception:
        stored.delete()
        raise
    return application


def _amount_note(application: PolicyApplication) -> str:
    if application.computed_amount_yuan is not None:
        return f"测算金额{format_wan(application.computed_amount_yuan)}：{application.formula}"
    if application.max_amount_yuan is not None:
        return f"最高{format_wan(application.max_amount_yuan)}，具体金额由审核部门核定。"
    return "金额由审核部门核定。"


@transaction.atomic
def policy_application_confirm(
    *, application: PolicyApplication, actor: User, declaration: bool
) -> PolicyApplication:
    """免申即享: the firm confirms a pre-filled draft with one click (re-evaluated today)."""
    ensure_may(actor, application, Action.SUBMIT)
    enterprise = _lock_enterprise(application.enterprise_id)
    application = _lock(application)
    check_transition(application.status, Action.SUBMIT)
    if not declaration:
        raise ValidationError({"declaration": "请阅读并确认申报承诺。"})
    _policy_open_to(application.policy, timezone.localdate())
    # A draft holds no claims, only the profile it was made from: judge today's profile.
    preview = application_preview(
        enterprise=enterprise, policy=application.policy, exclude_pk=application.pk
    )
    _evaluate_or_refuse(preview)
    now = timezone.now()
    _apply_preview(application, preview)
    application.status = Status.SUBMITTED
    application.submitted_by = actor
    application.declaration = DECLARATION
    application.declared_at = now
    application.submitted_at = now
    application.review_due_on = _review_due(now)
    application.save()
    _event(
        application,
        actor=actor,
        action=Action.SUBMIT,
        from_status=Status.DRAFT,
        to_status=Status.SUBMITTED,
        note="企业确认免申即享申报。" + _amount_note(application),
        data={"amount_yuan": application.computed_amount_yuan, "formula": application.formula},
    )
    _notify(
        _issuing_staff(application.policy),
        application,
        kind="application_submitted",
        title=f"免申即享申报已确认：{enterprise.name}“{application.policy.title}”",
        body=_amount_note(application),
        key="submitted",
    )
    return application


@transaction.atomic
def policy_application_resubmit(
    *,
    application: PolicyApplication,
    actor: User,
    facts: Mapping[str, Any] | None = None,
    files: Sequence[tuple[str, UploadedFile]] = (),
    note: str = "",
) -> PolicyApplication:
    """The firm corrects a returned application (new files, changed facts) and submits again."""
    ensure_may(actor, application, Action.RESUBMIT)
    enterprise = _lock_enterprise(application.enterprise_id)
    application = _lock(application)
    check_transition(application.status, Action.RESUBMIT)
    policy = application.policy
    materials = list(policy.materials or [])
    checked = _check_files(files, materials)
    if not checked and not facts and not note.strip():
        raise ValidationError("请上传补正材料、修改信息或说明补正情况后再提交。")
    previous, _ = parse_facts({k: v for k, v in application.facts.items() if k not in LOCKED_FACTS})
    previous.update(_parse_confirmed(facts))
    preview = application_preview(
        enterprise=enterprise, policy=policy, facts=previous, exclude_pk=application.pk
    )
    _evaluate_or_refuse(preview)
    if not application.proactive:
        missing = _missing_materials(application, materials, checked)
        if missing:
            raise ValidationError({"files": [f"请上传“{m}”。" for m in missing]})
    now = timezone.now()
    stored = _StoredFiles()
    try:
        rows = _store_files(application, actor, checked, stored)
        _apply_preview(application, preview)
        application.status = Status.SUBMITTED
        application.submitted_at = now
        application.review_due_on = _review_due(now)
        application.save()
        _event(
            application,
            actor=actor,
            action=Action.RESUBMIT,
            from_status=Status.RETURNED,
            to_status=Status.SUBMITTED,
            note=note.strip(),
            data={"files": [f"{r.material}：{r.original_name}" for r in rows]},
        )
        _notify(
            _issuing_staff(policy),
            application,
            kind="application_resubmitted",
            title=f"申报 #{application.pk} 已补正：{enterprise.name}",
            body=note.strip(),
            key=f"resubmitted:{now.isoformat()}",
        )
    except Exception:
        stored.delete()
        raise
    return application


@transaction.atomic
def policy_application_withdraw(
    *, application: PolicyApplication, actor: User, note: str = ""
) -> PolicyApplication:
    ensure_may(actor, application, Action.WITHDRAW)
    application = _lock(application)
    previous = application.status
    application.status = check_transition(previous, Action.WITHDRAW)
    application.closed_at = timezone.now()
    application.save()
    _event(
        application,
        actor=actor,
        action=Action.WITHDRAW,
        from_status=previous,
        to_status=application.status,
        note=note.strip(),
    )
    if previous != Status.DRAFT:
        _notify(
            _issuing_staff(application.policy),
            application,
            kind="application_withdrawn",
            title=f"申报 #{application.pk} 已由企业撤回",
            body=note.strip(),
            key="withdrawn",
        )
    return application


# --- Review --------------------------------------------------------------------------------------


def _staff_step(
    application: PolicyApplication,
    actor: User,
    action: str,
    *,
    note: str = "",
    data: Mapping[str, Any] | None = None,
    title: str,
    key: str,
    body: str = "",
    apply=None,
) -> PolicyApplication:
    ensure_may(actor, application, action)
    application = _lock(application)
    previous = application.status
    target = check_transition(previous, action)
    if apply is not None:
        apply(application)
    application.status = target
    application.save()
    _event(
        application,
        actor=actor,
        action=action,
        from_status=previous,
        to_status=target,
        note=note,
        data=data,
    )
    _notify(
        _firm_members(application),
        application,
        kind=f"application_{action}",
        title=title.format(pk=application.pk, policy=application.policy.title),
        body=body or note,
        key=key,
    )
    return application


@transaction.atomic
def policy_application_accept(
    *, application: PolicyApplication, actor: User, note: str = ""
) -> PolicyApplication:
    """受理: the office takes the application up for review."""
    return _staff_step(
        application,
        actor,
        Action.ACCEPT,
        note=note.strip(),
        title="申报 #{pk} 已受理：{policy}",
        key="accepted",
    )


@transaction.atomic
def policy_application_return(
    *,
    application: PolicyApplication,
    actor: User,
    items: str,
    correction_due_on: date | None = None,
) -> PolicyApplication:
    """退回补正: the office says what to fix, and by when."""
    items = (items or "").strip()
    if not items:
        raise ValidationError({"items": "请说明需要补正的内容。"})
    today = timezone.localdate()
    due = correction_due_on or today + timedelta(days=CORRECTION_DAYS)
    if due < today:
        raise ValidationError({"correction_due_on": "补正截止日期不能早于今天。"})

    def apply(app: PolicyApplication) -> None:
        app.return_items = items
        app.correction_due_on = due

    return _staff_step(
        application,
        actor,
        Action.RETURN,
        note=items,
        data={"items": items, "correction_due_on": due.isoformat()},
        title="申报 #{pk} 被退回补正：{policy}",
        body=f"需补正：{items}\n请于{due:%Y年%m月%d日}前补正后重新提交。",
        key=f"returned:{timezone.now().isoformat()}",
        apply=apply,
    )


@transaction.atomic
def policy_application_approve(
    *, application: PolicyApplication, actor: User, amount_yuan: int, reason: str = ""
) -> PolicyApplication:
    """审核通过 with an amount; differing from the computed amount needs a reason.

    Checked under a lock on the firm: a one-time award is granted once, and the yearly cap
    counts what the firm was already granted under the policy that year.
    """
    ensure_may(actor, application, Action.APPROVE)
    _lock_enterprise(application.enterprise_id)
    current = _lock(application)
    check_transition(current.status, Action.APPROVE)
    reason = (reason or "").strip()
    if amount_yuan is None or amount_yuan <= 0:
        raise ValidationError({"amount_yuan": "请填写核定金额。"})
    computed = current.computed_amount_yuan
    if computed is not None and amount_yuan != computed and not reason:
        raise ValidationError(
            {
                "reason": f"核定金额与测算金额（{format_wan(computed)}）不一致，请说明理由。",
            }
        )
    rule = compiled(current.rule)
    if rule is not None and rule.one_time:
        existing = granted_once(current.enterprise, current.policy, exclude_pk=current.pk)
        if existing is not None:
            raise ValidationError(one_time_message(existing), code="one_time")
    if rule is not None and rule.annual_cap_yuan is not None:
        granted = granted_in_year(
            current.enterprise, current.policy, current.year, exclude_pk=current.pk
        )
        remaining = max(0, rule.annual_cap_yuan - granted)
        if amount_yuan > remaining:
            raise ValidationError(
                {
                    "amount_yuan": f"该政策每年每家企业最高{format_wan(rule.annual_cap_yuan)}，"
                    f"该企业{current.year}年已获{format_wan(granted)}，"
                    f"本次最多核定{format_wan(remaining)}。"
                },
                code="annual_cap",
            )

    # Checked after the yearly cap, whose message says what was already granted: the engine's
    # maximum for the confirmed facts (not the one reduced at submission by earlier grants).
    policy_max = (current.evaluation or {}).get("max_amount_yuan", current.max_amount_yuan)
    if policy_max is not None and amount_yuan > policy_max:
        raise ValidationError(
            {"amount_yuan": f"核定金额不能超过政策上限{format_wan(policy_max)}。"}
        )

    def apply(app: PolicyApplication) -> None:
        app.approved_amount_yuan = amount_yuan
        app.amount_reason = reason
        app.decision_note = reason
        app.decided_at = timezone.now()

    note = f"核定金额{format_wan(amount_yuan)}" + (f"。理由：{reason}" if reason else "")
    return _staff_step(
        current,
        actor,
        Action.APPROVE,
        note=note,
        data={"amount_yuan": amount_yuan, "computed_amount_yuan": computed, "reason": reason},
        title="申报 #{pk} 审核通过：{policy}",
        key="approved",
        apply=apply,
    )


@transaction.atomic
def policy_application_reject(
    *, application: PolicyApplication, actor: User, reason: str
) -> PolicyApplication:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请说明不通过的理由。"})

    def apply(app: PolicyApplication) -> None:
        now = timezone.now()
        app.decision_note = reason
        app.decided_at = now
        app.closed_at = now

    return _staff_step(
        application,
        actor,
        Action.REJECT,
        note=reason,
        data={"reason": reason},
        title="申报 #{pk} 未通过审核：{policy}",
        key="rejected",
        apply=apply,
    )


@transaction.atomic
def policy_application_publicize(
    *,
    application: PolicyApplication,
    actor: User,
    ends_on: date,
    starts_on: date | None = None,
    note: str = "",
) -> PolicyApplication:
    """公示: a publicity period from ``starts_on`` (default today) to ``ends_on``."""
    starts_on = starts_on or timezone.localdate()
    if ends_on is None or ends_on < starts_on:
        raise ValidationError({"ends_on": "公示截止日期不能早于公示开始日期。"})

    def apply(app: PolicyApplication) -> None:
        app.publicity_starts_on = starts_on
        app.publicity_ends_on = ends_on

    return _staff_step(
        application,
        actor,
        Action.PUBLICIZE,
        note=note.strip(),
        data={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
        title="申报 #{pk} 进入公示：{policy}",
        body=f"公示期：{starts_on:%Y-%m-%d} 至 {ends_on:%Y-%m-%d}。{note.strip()}",
        key="publicity",
        apply=apply,
    )


@transaction.atomic
def policy_application_pay(
    *,
    application: PolicyApplication,
    actor: User,
    amount_yuan: int,
    paid_on: date,
    note: str = "",
) -> PolicyApplication:
    """兑现: the payout, with its date and amount (after the publicity period ends)."""
    today = timezone.localdate()

    def apply(app: PolicyApplication) -> None:
        if amount_yuan is None or amount_yuan <= 0:
            raise ValidationError({"amount_yuan": "请填写兑现金额。"})
        if app.approved_amount_yuan is not None and amount_yuan > app.approved_amount_yuan:
            raise ValidationError(
                {"amount_yuan": f"兑现金额不能超过核定金额{format_wan(app.approved_amount_yuan)}。"}
            )
        if paid_on is None or paid_on > today:
            raise ValidationError({"paid_on": "兑现日期不能晚于今天。"})
        if app.publicity_ends_on and paid_on < app.publicity_ends_on:
            raise ValidationError(
                {"paid_on": f"公示期至{app.publicity_ends_on:%Y-%m-%d}，公示结束后方可兑现。"}
            )
        app.paid_amount_yuan = amount_yuan
        app.paid_on = paid_on
        app.closed_at = timezone.now()

    return _staff_step(
        application,
        actor,
        Action.PAY,
        note=note.strip(),
        data={"amount_yuan": amount_yuan, "paid_on": paid_on.isoformat() if paid_on else None},
        title="申报 #{pk} 已兑现：{policy}",
        body=f"兑现金额{format_wan(amount_yuan or 0)}，兑现日期{paid_on}。{note.strip()}",
        key="paid",
        apply=apply,
    )


@transaction.atomic
def policy_application_comment(
    *, application: PolicyApplication, actor: User, text: str
) -> ApplicationEvent:
    """A message on the case, seen by the firm and the office."""
    ensure_may(actor, application, Action.COMMENT)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "请输入留言内容。"})
    application = _lock(application)
    event = _event(
        application,
        actor=actor,
        action=Action.COMMENT,
        from_status=application.status,
        to_status=application.status,
        note=text,
    )
    others = (
        _issuing_staff(application.policy)
        if actor.is_enterprise_member
        else _firm_members(application)
    )
    _notify(
        [u for u in others if u.pk != actor.pk],
        application,
        kind="application_comment",
        title=f"申报 #{application.pk} 有新留言",
        body=text,
        key=f"comment:{event.pk}",
    )
    return event


# --- 免申即享 -------------------------------------------------------------------------------------


@transaction.atomic
def proactive_policy_set(*, policy: Policy, actor: User, enabled: bool) -> ProactivePolicy | None:
    """Mark (or unmark) a policy 免申即享; marking schedules the drafts after the commit."""
    if not Policy.objects.for_user(actor).filter(pk=policy.pk).exists():
        raise PermissionDenied("只能设置本辖区发布的政策。")
    if not enabled:
        ProactivePolicy.objects.filter(policy=policy).delete()
        return None
    marker, created = ProactivePolicy.objects.get_or_create(
        policy=policy, defaults={"enabled_by": actor}
    )
    if created:

        def enqueue() -> None:
            from applications.tasks import proactive_applications_create_task

            proactive_applications_create_task.delay(policy.pk)

        # robust: with the broker down the marking still stands; applications.proactive_sweep
        # creates the drafts on its nightly run.
        transaction.on_commit(enqueue, robust=True)
    return marker


def proactive_applications_create(*, policy_id: int, as_of: date | None = None) -> int:
    """Create a pre-filled draft for every firm whose stored profile already qualifies.

    Idempotent: a firm with an open application, a granted one-time award or this year's draft
    is skipped, and the unique constraint stops a concurrent run from making a second draft.
    """
    as_of = as_of or timezone.localdate()
    marker = ProactivePolicy.objects.select_related("policy__region").filter(policy_id=policy_id)
    marker = marker.first()
    if marker is None:
        return 0
    policy = marker.policy
    if not policy.is_published or not policy.is_in_force(as_of):
        return 0
    rule = rule_in_force(policy, as_of)
    compiled_rule = compiled(rule)
    if compiled_rule is None:
        return 0  # nothing quantified to judge a profile by: the office decides on materials
    # Read once for every firm: who is busy or already granted, and this year's grants.
    on_policy = PolicyApplication.objects.filter(policy=policy)
    skip = (
        Q(status__in=sorted(OPEN_STATES))
        | Q(proactive=True, year=as_of.year)
        | (Q(status__in=sorted(GRANTED_STATES)) if compiled_rule.one_time else Q(pk__in=[]))
    )
    busy = on_policy.filter(skip).values("enterprise_id")  # a subquery, however many
    granted = granted_by_firm_in_year(policy, as_of.year)
    firms = (
        Enterprise.objects.filter(region__code__in=region_codes_within(policy.region.code))
        .exclude(pk__in=busy)
        .select_related("region")
        .order_by("pk")
    )
    created = 0
    for enterprise in firms.iterator(chunk_size=500):
        preview = preview_from(
            enterprise=enterprise,
            policy=policy,
            rule=rule,
            compiled_rule=compiled_rule,
            facts=None,
            as_of=as_of,
            granted_this_year=granted.get(enterprise.pk, 0),
            granted_before=None,  # firms granted a one-time award were skipped above
        )
        evaluation = preview.evaluation
        if preview.blocked or evaluation is None or evaluation.eligible is not True:
            continue
        if evaluation.missing_facts:
            continue
        application = PolicyApplication(
            enterprise=enterprise,
            policy=policy,
            year=as_of.year,
            status=Status.DRAFT,
            proactive=True,
        )
        _apply_preview(application, preview)
        try:
            with transaction.atomic():
                application.save()
                _event(
                    application,
                    actor=None,
                    action="create",
                    from_status="",
                    to_status=Status.DRAFT,
                    note="根据企业已登记的信息生成，企业确认后即提交。" + _amount_note(application),
                )
                _notify(
                    _firm_members(application),
                    application,
                    kind="application_proactive",
                    title=f"免申即享：贵企业符合“{policy.title}”，请确认申报",
                    body=_amount_note(application),
                    key="proactive",
                )
        except IntegrityError:
            continue  # a concurrent run created it first
        created += 1
    return created


# --- Reminders -----------------------------------------------------------------------------------


def application_reminders_send(*, today: date | None = None) -> int:
    """Remind firms of returned applications and staff of publicity periods ending.

    Each reminder is sent once per application, deadline and level (notification dedupe keys).
    """
    today = today or timezone.localdate()
    sent = 0
    returned = PolicyApplication.objects.filter(
        status=Status.RETURNED, correction_due_on__isnull=False
    ).select_related("policy")
    for application in returned.filter(correction_due_on__lte=today + timedelta(days=3)):
        overdue = application.correction_due_on < today
        level = "overdue" if overdue else "soon"
        title = (
            f"申报 #{application.pk} 补正已逾期，请尽快补正"
            if overdue
            else f"申报 #{application.pk} 请于{application.correction_due_on:%m月%d日}前补正"
        )
        for user in _firm_members(application):
            if notification_send(
                user=user,
                kind="application_correction_reminder",
                title=title,
                body=f"“{application.policy.title}”需补正：{application.return_items}",
                url=_url(application),
                dedupe_key=(
                    f"application:{application.pk}:correction:"
                    f"{application.correction_due_on.isoformat()}:{level}"
                ),
            ):
                sent += 1
    ending = PolicyApplication.objects.filter(
        status=Status.PUBLICITY, publicity_ends_on__lte=today + timedelta(days=1)
    ).select_related("policy__region", "enterprise")
    staff_of: dict[int, list[User]] = {}  # policy region → its office (read once per region)
    for application in ending:
        region_id = application.policy.region_id
        if region_id not in staff_of:
            staff_of[region_id] = _issuing_staff(application.policy)
        title = (
            f"申报 #{application.pk} 公示期已结束，请办理兑现"
            if application.publicity_ends_on < today
            else f"申报 #{application.pk} 公示期将于{application.publicity_ends_on:%m月%d日}结束"
        )
        for user in staff_of[region_id]:
            if notification_send(
                user=user,
                kind="application_publicity_reminder",
                title=title,
                body=f"{application.enterprise.name}：“{application.policy.title}”",
                url=_url(application),
                dedupe_key=(
                    f"application:{application.pk}:publicity:"
                    f"{application.publicity_ends_on.isoformat()}:"
                    f"{'ended' if application.publicity_ends_on < today else 'ending'}"
                ),
            ):
                sent += 1
    return sent
