"""Case handling: the state machine (409 on impossible steps), audited events, the firm's side."""

from datetime import timedelta

import pytest
from django.utils import timezone

from needs.models import FinancingNeed, NeedEvent, NeedRating
from needs.states import TRANSITIONS, Action, Status, allowed, check_transition
from notifications.models import Notification
from portal.errors import TransitionNotAllowed

pytestmark = pytest.mark.django_db


def post(client, need, action, data=None):
    return client.post(
        f"/api/v1/needs/{need.pk}/{action}/", data or {}, content_type="application/json"
    )


def test_state_machine_refuses_impossible_steps():
    assert check_transition(Status.ASSIGNED, Action.ACCEPT) == Status.ACCEPTED
    with pytest.raises(TransitionNotAllowed, match="当前状态为「待接单」，不能放款"):
        check_transition(Status.ASSIGNED, Action.DISBURSE)
    # A closed case only takes a rating or a comment.
    closed = {action for action in TRANSITIONS if allowed(Status.DISBURSED, action)}
    assert closed == {Action.RATE, Action.COMMENT}


def test_full_case_over_the_api(world, client, submit):
    need = submit(world["member"])
    assert need.status == "assigned" and need.assigned_branch == world["branch"]
    officer = world["officer"]
    client.force_login(officer)
    response = post(client, need, "disburse", {"amount_yuan": 1, "disbursed_on": "2026-01-05"})
    assert response.status_code == 409
    assert "不能放款" in response.json()["detail"]
    assert post(client, need, "accept").status_code == 200
    assert post(client, need, "accept").status_code == 409
    response = post(client, need, "contact", {"channel": "visit", "note": "上门了解生产经营"})
    assert response.status_code == 200
    response = post(
        client,
        need,
        "propose",
        {"product": "科创贷", "amount_yuan": 2_000_000, "rate_percent": "3.45", "term_months": 12},
    )
    assert response.status_code == 200, response.content
    assert post(client, need, "approve", {"amount_yuan": 2_000_000}).status_code == 200
    today = timezone.localdate().isoformat()
    response = post(client, need, "disburse", {"amount_yuan": 3_000_000, "disbursed_on": today})
    assert response.status_code == 400 and "amount_yuan" in response.json()
    response = post(client, need, "disburse", {"amount_yuan": 2_000_000, "disbursed_on": today})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "disbursed" and body["disbursed_amount_yuan"] == 2_000_000
    steps = [(e["action"], e["from_status"], e["to_status"]) for e in body["events"]]
    assert steps == [
        ("submit", "", "pending"),
        ("route", "pending", "assigned"),
        ("accept", "assigned", "accepted"),
        ("contact", "accepted", "contacted"),
        ("propose", "contacted", "proposed"),
        ("approve", "proposed", "approved"),
        ("disburse", "approved", "disbursed"),
    ]
    assert body["events"][2]["actor"] == str(officer)
    # The officer cannot rate; the firm can, once.
    assert post(client, need, "rate", {"score": 5}).status_code == 403
    client.force_login(world["member"])
    assert post(client, need, "rate", {"score": 5, "comment": "响应很快"}).status_code == 200
    assert post(client, need, "rate", {"score": 4}).status_code == 409
    assert NeedRating.objects.get(need=need).branch == world["branch"]
    kinds = set(Notification.objects.filter(user=world["member"]).values_list("title", flat=True))
    assert any("已放款200万元" in title for title in kinds)


def test_firm_cannot_take_bank_steps_and_bank_cannot_withdraw(world, client, submit):
    need = submit(world["member"])
    client.force_login(world["member"])
    assert post(client, need, "accept").status_code == 403
    client.force_login(world["officer"])
    assert post(client, need, "withdraw").status_code == 403
    assert FinancingNeed.objects.get(pk=need.pk).status == "assigned"


def test_withdraw_closes_and_tells_the_bank(world, client, submit):
    need = submit(world["member"])
    client.force_login(world["member"])
    assert post(client, need, "withdraw", {"note": "已通过其他渠道解决"}).status_code == 200
    need.refresh_from_db()
    assert need.status == "withdrawn" and need.closed_at is not None
    assert not need.deadlines.filter(cancelled_at__isnull=True, met_at__isnull=True).exists()
    assert Notification.objects.filter(user=world["officer"], kind="need_withdrawn").exists()
    assert post(client, need, "withdraw").status_code == 409


def test_materials_request_and_upload_and_comment(world, client, submit):
    need = submit(world["member"])
    client.force_login(world["officer"])
    post(client, need, "accept")
    post(client, need, "contact", {"channel": "phone", "note": "电话沟通"})
    response = post(client, need, "request-materials", {"items": "近两年财务报表"})
    assert response.json()["status"] == "materials"
    client.force_login(world["member"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = SimpleUploadedFile("财务报表.pdf", b"%PDF-1.4\n%test\n", content_type="application/pdf")
    response = client.post(f"/api/v1/needs/{need.pk}/materials/", {"files": [pdf]})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "contacted"
    attachment = need.attachments.get()
    assert attachment.original_name == "财务报表.pdf"
    assert "财务报表" not in attachment.storage_name
    download = client.get(response.json()["attachments"][0]["url"])
    assert download.status_code == 200
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment")
    client.force_login(world["other_member"])
    assert client.get(f"/needs/{need.pk}/files/{attachment.pk}/").status_code == 404
    client.force_login(world["member"])
    assert post(client, need, "comment", {"text": "材料已上传，请查收"}).status_code == 200
    assert Notification.objects.filter(user=world["officer"], kind="need_comment").exists()


def test_another_bank_only_after_a_deadline_has_passed(
    world, client, submit, django_capture_on_commit_callbacks
):
    from needs.models import Deadline

    need = submit(world["member"])
    client.force_login(world["member"])
    response = post(client, need, "another-bank")
    assert response.status_code == 409 and "尚未超过办理时限" in response.json()["detail"]
    Deadline.objects.filter(need=need, kind="accept").update(
        due_at=timezone.now() - timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, need, "another-bank", {"note": "一直无人联系"})
    assert response.status_code == 200
    need.refresh_from_db()
    assert need.assigned_branch == world["branch2"]
    assert need.assignments.order_by("pk").first().outcome == "released"


def test_manager_assigns_and_officer_transfers_within_the_bank(world, client, submit):
    from tests.factories import BranchFactory, UserFactory

    need = submit(world["member"])
    colleague = UserFactory(username="colleague", role="bank_officer", branch=world["branch"])
    client.force_login(world["manager"])
    response = post(client, need, "assign-officer", {"officer": colleague.pk})
    assert response.status_code == 200
    assert response.json()["assigned_officer"]["id"] == colleague.pk
    assert (
        post(client, need, "assign-officer", {"officer": world["officer2"].pk}).status_code == 400
    )
    sister = BranchFactory(bank=world["branch"].bank, region=world["branch"].region)
    sister_officer = UserFactory(username="sister", role="bank_officer", branch=sister)
    client.force_login(colleague)
    assert post(client, need, "transfer", {"officer": world["officer2"].pk}).status_code == 400
    response = post(client, need, "transfer", {"officer": sister_officer.pk, "note": "属地办理"})
    assert response.status_code == 200
    need.refresh_from_db()
    assert need.assigned_branch == sister and need.assigned_officer == sister_officer
    assert NeedEvent.objects.filter(need=need, action="transfer").count() == 1


def test_staff_assign_from_pool(personas, client, submit):
    need = submit(personas["member"])  # the firm has no chain and no team: the pool
    assert need.status == "pool"
    client.force_login(personas["other_staff"])
    assert post(client, need, "staff-assign", {"branch": personas["branch"].pk}).status_code == 404
    client.force_login(personas["staff"])
    response = post(client, need, "staff-assign", {"branch": personas["branch"].pk})
    assert response.status_code == 200
    assert response.json()["status"] == "assigned"
    assert need.assignments.order_by("pk").last().rule == "staff"
