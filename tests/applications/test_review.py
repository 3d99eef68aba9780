"""Review by the issuing office: 受理 / 退回补正 / 审核 / 公示 / 兑现, the state machine's refusals,
one-time awards and yearly caps, withdrawal and messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from applications import services
from applications.models import PolicyApplication
from applications.states import TRANSITIONS, Action, Status, allowed, check_transition
from notifications.models import Notification
from portal.errors import TransitionNotAllowed
from tests.applications.helpers import MATERIALS, make_policy, percent_rule, stored_files, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def apply(world, good_files):
    def _apply(policy=None, user=None, facts=None):
        user = user or world["member"]
        return services.policy_application_submit(
            enterprise=user.enterprise,
            policy=policy or world["policy"],
            submitted_by=user,
            facts=facts or {},
            files=good_files(),
            declaration=True,
        )

    return _apply


def approve_path(application, staff, amount=200_000, reason=""):
    services.policy_application_accept(application=application, actor=staff)
    return services.policy_application_approve(
        application=application, actor=staff, amount_yuan=amount, reason=reason
    )


def test_state_machine_table():
    assert check_transition(Status.SUBMITTED, Action.ACCEPT) == Status.UNDER_REVIEW
    with pytest.raises(TransitionNotAllowed, match="当前状态为「待受理」，不能兑现"):
        check_transition(Status.SUBMITTED, Action.PAY)
    # Closed applications only take messages.
    for closed in (Status.PAID, Status.REJECTED, Status.WITHDRAWN):
        assert {a for a in TRANSITIONS if allowed(closed, a)} == {Action.COMMENT}
    assert {a for a in TRANSITIONS if allowed(Status.DRAFT, a)} == {
        Action.SUBMIT,
        Action.WITHDRAW,
        Action.COMMENT,
    }


def test_full_review_return_resubmit_approve_publicize_pay(world, apply, media):
    staff, member = world["staff"], world["member"]
    application = apply()
    services.policy_application_accept(application=application, actor=staff, note="材料齐全")
    services.policy_application_return(
        application=application, actor=staff, items="请补充研发费用专项审计报告"
    )
    application.refresh_from_db()
    assert application.status == Status.RETURNED
    assert application.return_items == "请补充研发费用专项审计报告"
    assert application.correction_due_on == timezone.localdate() + timedelta(days=15)
    note = Notification.objects.get(user=member, kind="application_return")
    assert "研发费用专项审计报告" in note.body

    # Resubmitting without anything new is refused, and nothing changes.
    with pytest.raises(ValidationError, match="请上传补正材料"):
        services.policy_application_resubmit(application=application, actor=member)
    services.policy_application_resubmit(
        application=application,
        actor=member,
        files=[("其他材料", upload("审计报告.pdf"))],
        note="已补充审计报告",
    )
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.files.count() == 3
    assert len(stored_files(media)) == 3

    approve_path(application, staff, 150_000, reason="研发费用核减")
    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert (
        application.approved_amount_yuan == 150_000 and application.amount_reason == "研发费用核减"
    )

    today = timezone.localdate()
    services.policy_application_publicize(
        application=application, actor=staff, starts_on=today - timedelta(days=7), ends_on=today
    )
    services.policy_application_pay(
        application=application, actor=staff, amount_yuan=150_000, paid_on=today
    )
    application.refresh_from_db()
    assert application.status == Status.PAID and application.paid_on == today
    assert application.closed_at is not None
    steps = list(application.events.values_list("action", "from_status", "to_status", "actor"))
    assert steps == [
        ("submit", "", "submitted", member.pk),
        ("accept", "submitted", "under_review", staff.pk),
        ("return", "under_review", "returned", staff.pk),
        ("resubmit", "returned", "submitted", member.pk),
        ("accept", "submitted", "under_review", staff.pk),
        ("approve", "under_review", "approved", staff.pk),
        ("publicize", "approved", "publicity", staff.pk),
        ("pay", "publicity", "paid", staff.pk),
    ]
    kinds = set(Notification.objects.filter(user=member).values_list("kind", flat=True))
    assert {"application_accept", "application_approve", "application_publicize"} <= kinds
    assert "application_pay" in kinds


@pytest.mark.parametrize(
    ("step", "kwargs"),
    [
        (services.policy_application_approve, {"amount_yuan": 1}),
        (services.policy_application_publicize, {"ends_on": timezone.localdate()}),
        (
            services.policy_application_pay,
            {"amount_yuan": 1, "paid_on": timezone.localdate()},
        ),
    ],
)
def test_steps_out_of_order_are_refused_and_change_nothing(world, apply, step, kwargs):
    application = apply()
    with pytest.raises(TransitionNotAllowed, match="当前状态为「待受理」"):
        step(application=application, actor=world["staff"], **kwargs)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.events.count() == 1


def test_a_different_amount_needs_a_reason(world, apply):
    application = apply()
    services.policy_application_accept(application=application, actor=world["staff"])
    with pytest.raises(ValidationError) as caught:
        services.policy_application_approve(
            application=application, actor=world["staff"], amount_yuan=100_000
        )
    assert "reason" in caught.value.message_dict
    application.refresh_from_db()
    assert application.status == Status.UNDER_REVIEW and application.approved_amount_yuan is None
    # The computed amount needs no reason; more than the cap is refused.
    with pytest.raises(ValidationError, match="不能超过政策上限"):
        services.policy_application_approve(
            application=application, actor=world["staff"], amount_yuan=300_000, reason="多给"
        )
    services.policy_application_approve(
        application=application, actor=world["staff"], amount_yuan=200_000
    )


def test_reject_needs_a_reason(world, apply):
    application = apply()
    with pytest.raises(ValidationError) as caught:
        services.policy_application_reject(
            application=application, actor=world["staff"], reason="  "
        )
    assert "reason" in caught.value.message_dict
    services.policy_application_reject(
        application=application, actor=world["staff"], reason="研发投入不足"
    )
    application.refresh_from_db()
    assert application.status == Status.REJECTED and application.decision_note == "研发投入不足"
    assert Notification.objects.filter(user=world["member"], kind="application_reject").exists()


def test_return_needs_what_to_fix(world, apply):
    application = apply()
    with pytest.raises(ValidationError) as caught:
        services.policy_application_return(application=application, actor=world["staff"], items="")
    assert "items" in caught.value.message_dict
    yesterday = timezone.localdate() - timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        services.policy_application_return(
            application=application,
            actor=world["staff"],
            items="缺执照",
            correction_due_on=yesterday,
        )
    assert "correction_due_on" in caught.value.message_dict
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_publicity_and_payout_dates_are_checked(world, apply):
    application = apply()
    approve_path(application, world["staff"])
    today = timezone.localdate()
    with pytest.raises(ValidationError) as caught:
        services.policy_application_publicize(
            application=application, actor=world["staff"], ends_on=today - timedelta(days=1)
        )
    assert "ends_on" in caught.value.message_dict
    services.policy_application_publicize(
        application=application, actor=world["staff"], ends_on=today + timedelta(days=5)
    )
    # Not before the publicity period ends, not in the future, not above the approved amount.
    with pytest.raises(ValidationError) as caught:
        services.policy_application_pay(
            application=application, actor=world["staff"], amount_yuan=200_000, paid_on=today
        )
    assert "公示结束后方可兑现" in caught.value.message_dict["paid_on"][0]
    with pytest.raises(ValidationError) as caught:
        services.policy_application_pay(
            application=application,
            actor=world["staff"],
            amount_yuan=200_001,
            paid_on=today + timedelta(days=5),
        )
    assert "amount_yuan" in caught.value.message_dict
    application.refresh_from_db()
    assert application.status == Status.PUBLICITY and application.paid_on is None


def test_one_time_award_cannot_be_granted_twice(world, apply, regions, media):
    policy = make_policy(regions["daiyue"], rule=percent_rule(one_time=True))
    first = apply(policy=policy)
    approve_path(first, world["staff"])
    # A new application is refused up front, with a clear message, and nothing is stored.
    before = len(stored_files(media))
    with pytest.raises(ValidationError) as caught:
        apply(policy=policy)
    message = caught.value.messages[0]
    assert "一次性奖补" in message and f"#{first.pk}" in message and "不能重复享受" in message
    assert PolicyApplication.objects.filter(policy=policy).count() == 1
    assert len(stored_files(media)) == before


def test_one_time_award_is_checked_again_at_approval(world, apply, regions):
    """Two applications in review at once (one withdrawn first): only one can be granted."""
    policy = make_policy(regions["daiyue"], rule=percent_rule(one_time=True))
    first = apply(policy=policy)
    services.policy_application_accept(application=first, actor=world["staff"])
    # A grant recorded by another route (e.g. an earlier year's application) blocks approval.
    PolicyApplication.objects.filter(pk=first.pk).update(status=Status.WITHDRAWN)
    second = apply(policy=policy)
    PolicyApplication.objects.filter(pk=first.pk).update(
        status=Status.PAID,
        approved_amount_yuan=200_000,
        paid_amount_yuan=200_000,
        paid_on=timezone.localdate(),
    )
    services.policy_application_accept(application=second, actor=world["staff"])
    with pytest.raises(ValidationError, match="一次性奖补"):
        services.policy_application_approve(
            application=second, actor=world["staff"], amount_yuan=200_000
        )
    second.refresh_from_db()
    assert second.status == Status.UNDER_REVIEW


def test_yearly_cap_counts_what_was_granted_that_year(world, apply, regions):
    rule = percent_rule(annual_cap_yuan=300_000)
    policy = make_policy(regions["daiyue"], rule=rule)
    first = apply(policy=policy)
    approve_path(first, world["staff"], 200_000)
    # The next application this year can get at most the remaining 10万元.
    second = apply(policy=policy)
    assert second.computed_amount_yuan == 100_000
    assert "剩余额度" in second.formula
    services.policy_application_accept(application=second, actor=world["staff"])
    with pytest.raises(ValidationError) as caught:
        services.policy_application_approve(
            application=second, actor=world["staff"], amount_yuan=150_000, reason="多"
        )
    assert "本次最多核定10万元" in caught.value.message_dict["amount_yuan"][0].replace(" ", "")
    services.policy_application_approve(
        application=second, actor=world["staff"], amount_yuan=100_000
    )
    # The cap is used up: a third application is refused outright.
    with pytest.raises(ValidationError, match="本年度额度已用完"):
        apply(policy=policy)
    # Grants of another year do not count.
    PolicyApplication.objects.filter(policy=policy).update(year=timezone.localdate().year - 1)
    third = apply(policy=policy)
    assert third.computed_amount_yuan == 200_000


def test_firm_withdraws_an_open_application_but_not_a_granted_one(world, apply):
    application = apply()
    services.policy_application_withdraw(application=application, actor=world["member"])
    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN
    second = apply()
    approve_path(second, world["staff"])
    with pytest.raises(TransitionNotAllowed):
        services.policy_application_withdraw(application=second, actor=world["member"])


def test_roles_and_scope_on_steps(world, apply):
    application = apply()
    # The firm cannot review its own application; staff of another district cannot see it.
    with pytest.raises(PermissionDenied):
        services.policy_application_accept(application=application, actor=world["member"])
    with pytest.raises(Http404):
        services.policy_application_accept(application=application, actor=world["other_staff"])
    with pytest.raises(Http404):
        services.policy_application_withdraw(application=application, actor=world["other_member"])
    with pytest.raises(PermissionDenied):
        services.policy_application_withdraw(application=application, actor=world["staff"])
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_messages_reach_the_other_side(world, apply):
    application = apply()
    services.policy_application_comment(
        application=application, actor=world["staff"], text="请确认开户行信息"
    )
    services.policy_application_comment(
        application=application, actor=world["member"], text="已确认"
    )
    assert Notification.objects.filter(user=world["member"], body="请确认开户行信息").exists()
    assert Notification.objects.filter(user=world["staff"], body="已确认").exists()
    with pytest.raises(ValidationError):
        services.policy_application_comment(application=application, actor=world["member"], text="")
    notes = list(application.events.filter(action="comment").values_list("note", flat=True))
    assert notes == ["请确认开户行信息", "已确认"]


def test_resubmit_checks_uploads_and_stores_nothing_on_refusal(world, apply, media):
    application = apply()
    services.policy_application_return(application=application, actor=world["staff"], items="补")
    before = len(stored_files(media))
    with pytest.raises(ValidationError):
        services.policy_application_resubmit(
            application=application,
            actor=world["member"],
            files=[(MATERIALS[0], upload("执照.pdf")), ("其他材料", upload("x.pdf", b"MZ\x90"))],
        )
    assert len(stored_files(media)) == before
    application.refresh_from_db()
    assert application.status == Status.RETURNED and application.files.count() == 2


def test_every_step_is_in_the_audit_record(world, apply):
    from audit.models import AuditEntry

    application = apply()
    services.policy_application_accept(application=application, actor=world["staff"])
    services.policy_application_reject(
        application=application, actor=world["staff"], reason="材料不实"
    )
    entries = AuditEntry.objects.filter(object_id=str(application.pk)).order_by("pk")
    assert [(e.action, e.actor_id, e.region_code) for e in entries] == [
        ("application.submit", world["member"].pk, "370911"),
        ("application.accept", world["staff"].pk, "370911"),
        ("application.reject", world["staff"].pk, "370911"),
    ]
