"""Celery work: reminders (returned applications, publicity periods ending) sent once, and
免申即享 drafts for qualifying firms, created once and confirmed with one click."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from applications import services, tasks
from applications.models import PolicyApplication, ProactivePolicy
from notifications.models import Notification
from portal.celery import app as celery_app
from tests.applications.helpers import make_policy, percent_rule, upload
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def submitted(world, policy=None):
    return services.policy_application_submit(
        enterprise=world["firm"],
        policy=policy or world["policy"],
        submitted_by=world["member"],
        facts={},
        files=[("营业执照副本", upload("执照.pdf")), ("上年度财务报表", upload("报表.pdf"))],
        declaration=True,
    )


def test_beat_schedules_the_reminders_and_the_proactive_sweep():
    tasks_scheduled = {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    assert {"applications.reminders", "applications.proactive_sweep"} <= tasks_scheduled
    assert tasks.application_reminders.name == "applications.reminders"


def test_returned_application_reminder_goes_once_per_level(world):
    application = submitted(world)
    today = timezone.localdate()
    services.policy_application_return(
        application=application,
        actor=world["staff"],
        items="补充审计报告",
        correction_due_on=today + timedelta(days=2),
    )
    reminders = Notification.objects.filter(
        user=world["member"], kind="application_correction_reminder"
    )
    assert services.application_reminders_send(today=today - timedelta(days=5)) == 0
    assert services.application_reminders_send(today=today) == 1
    assert services.application_reminders_send(today=today) == 0
    assert tasks.application_reminders.delay().get() == 0  # the task, run again: nothing new
    assert reminders.count() == 1 and "补充审计报告" in reminders.get().body
    # Once overdue, one more (and only one).
    later = today + timedelta(days=3)
    assert services.application_reminders_send(today=later) == 1
    assert services.application_reminders_send(today=later + timedelta(days=1)) == 0
    assert reminders.count() == 2 and "已逾期" in reminders.order_by("pk").last().title


def test_publicity_ending_reminds_the_issuing_staff_once(world):
    application = submitted(world)
    staff = world["staff"]
    services.policy_application_accept(application=application, actor=staff)
    services.policy_application_approve(application=application, actor=staff, amount_yuan=200_000)
    today = timezone.localdate()
    services.policy_application_publicize(
        application=application, actor=staff, ends_on=today + timedelta(days=1)
    )
    reminders = Notification.objects.filter(kind="application_publicity_reminder")
    assert services.application_reminders_send(today=today - timedelta(days=3)) == 0
    assert services.application_reminders_send(today=today) == 1
    assert services.application_reminders_send(today=today) == 0
    assert list(reminders.values_list("user", flat=True)) == [staff.pk]
    # After the end: "please pay", once.
    assert services.application_reminders_send(today=today + timedelta(days=2)) == 1
    assert services.application_reminders_send(today=today + timedelta(days=3)) == 0
    assert "请办理兑现" in reminders.order_by("pk").last().title
    assert not reminders.filter(user=world["other_staff"]).exists()


def test_proactive_drafts_for_qualifying_firms_only_and_once(
    world, regions, client, django_capture_on_commit_callbacks
):
    policy = make_policy(regions["daiyue"], title="免申即享测试政策")
    # A second 岱岳区 firm that does not qualify; the personas' other firm is in 黄岛区.
    EnterpriseFactory(region=regions["daiyue"], qualifications=[], annual_revenue_yuan=1)
    client.force_login(world["staff"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/applications/proactive/{policy.pk}/", {"enabled": "1"})
    assert response.status_code == 302
    assert ProactivePolicy.objects.filter(policy=policy).exists()
    drafts = PolicyApplication.objects.filter(policy=policy)
    # The commit enqueued the task (eager in tests): exactly the qualifying firm got a draft.
    assert list(drafts.values_list("enterprise", "status", "proactive")) == [
        (world["firm"].pk, "draft", True)
    ]
    draft = drafts.get()
    assert draft.computed_amount_yuan == 200_000 and draft.formula
    assert Notification.objects.filter(user=world["member"], kind="application_proactive").exists()
    # Running again (the daily sweep, or a duplicate) creates nothing.
    assert services.proactive_applications_create(policy_id=policy.pk) == 0
    assert tasks.proactive_sweep.delay().get() == 1
    assert drafts.count() == 1
    # A policy id that no longer exists is ignored quietly.
    assert tasks.proactive_applications_create_task.delay(999_999).get() == 0


def test_proactive_draft_is_confirmed_with_one_click(world, regions, client):
    policy = make_policy(regions["daiyue"])
    services.proactive_policy_set(policy=policy, actor=world["staff"], enabled=True)
    services.proactive_applications_create(policy_id=policy.pk)
    draft = PolicyApplication.objects.get(policy=policy)
    client.force_login(world["member"])
    page = client.get(f"/applications/{draft.pk}/").content.decode()
    assert "一键确认申报" in page and "20万元" in page
    # Without the declaration nothing happens.
    response = client.post(f"/applications/{draft.pk}/submit/", {})
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.status == "draft"
    response = client.post(f"/applications/{draft.pk}/submit/", {"submit-declaration": "on"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (
        draft.status == "submitted" and draft.declared_at and draft.submitted_by == world["member"]
    )
    assert Notification.objects.filter(user=world["staff"], kind="application_submitted").exists()
    # Over the API, confirming twice is a 409.
    response = client.post(
        f"/api/v1/applications/{draft.pk}/confirm/",
        {"declaration": True},
        content_type="application/json",
    )
    assert response.status_code == 409


def test_proactive_skips_firms_already_granted_a_one_time_award(world, regions):
    policy = make_policy(regions["daiyue"], rule=percent_rule(one_time=True))
    application = submitted(world, policy)
    services.policy_application_accept(application=application, actor=world["staff"])
    services.policy_application_approve(
        application=application, actor=world["staff"], amount_yuan=200_000
    )
    services.proactive_policy_set(policy=policy, actor=world["staff"], enabled=True)
    assert services.proactive_applications_create(policy_id=policy.pk) == 0
    assert PolicyApplication.objects.filter(policy=policy).count() == 1


def test_only_the_issuing_district_marks_a_policy(world, regions):
    policy = make_policy(regions["daiyue"])
    with pytest.raises(PermissionDenied):
        services.proactive_policy_set(policy=policy, actor=world["other_staff"], enabled=True)
    assert not ProactivePolicy.objects.exists()
    services.proactive_policy_set(policy=policy, actor=world["staff"], enabled=True)
    services.proactive_policy_set(policy=policy, actor=world["staff"], enabled=False)
    assert not ProactivePolicy.objects.exists()


def test_confirming_a_draft_that_no_longer_qualifies_is_refused(world, regions):
    policy = make_policy(regions["daiyue"])
    services.proactive_policy_set(policy=policy, actor=world["staff"], enabled=True)
    services.proactive_applications_create(policy_id=policy.pk)
    draft = PolicyApplication.objects.get(policy=policy)
    world["firm"].qualifications = []
    world["firm"].save()
    with pytest.raises(ValidationError, match="暂不符合"):
        services.policy_application_confirm(
            application=draft, actor=world["member"], declaration=True
        )
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_proactive_reads_do_not_grow_with_the_firms_that_do_not_qualify(
    world, regions, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    policy = make_policy(regions["daiyue"])
    services.proactive_policy_set(policy=policy, actor=world["staff"], enabled=True)
    EnterpriseFactory.create_batch(3, region=regions["daiyue"], qualifications=[])
    PolicyApplication.objects.all().delete()
    with CaptureQueriesContext(connection) as few:
        assert services.proactive_applications_create(policy_id=policy.pk) == 1
    PolicyApplication.objects.all().delete()
    EnterpriseFactory.create_batch(30, region=regions["daiyue"], qualifications=[])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert services.proactive_applications_create(policy_id=policy.pk) == 1


def test_proactive_draft_respects_the_yearly_cap(world, regions):
    policy = make_policy(regions["daiyue"], rule=percent_rule(annual_cap_yuan=250_000))
    application = submitted(world, policy)
    services.policy_application_accept(application=application, actor=world["staff"])
    services.policy_application_approve(
        application=application, actor=world["staff"], amount_yuan=200_000
    )
    services.proactive_policy_set(policy=policy, actor=world["staff"], enabled=True)
    assert services.proactive_applications_create(policy_id=policy.pk) == 1
    draft = PolicyApplication.objects.get(policy=policy, proactive=True)
    assert draft.computed_amount_yuan == 50_000 and "剩余额度5万元" in draft.formula
