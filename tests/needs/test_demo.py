"""The issue's "done when", on the demo data: routing, scoping (404 in API and pages), decline."""

import pytest

from accounts.models import User
from needs.models import Assignment, FinancingNeed
from notifications.models import Notification

pytestmark = pytest.mark.django_db

NEED = {
    "amount_yuan": 5_000_000,
    "term_months": 12,
    "purpose": "tech_upgrade",
    "guarantee_methods": ["credit", "pledge"],
    "description": "新增生产线技术改造",
    "contact_name": "陈静",
    "contact_phone": "13805381234",
}


def login(client, username):
    client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture
def routed_need(demo, client, django_capture_on_commit_callbacks):
    login(client, "firm-demo")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/needs/", NEED, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"  # routing runs after the commit, in a task
    return FinancingNeed.objects.get(pk=body["id"])


def test_firm_demo_need_goes_to_officer_lead_bank(routed_need, client):
    need = FinancingNeed.objects.select_related("assigned_branch__bank").get(pk=routed_need.pk)
    assert need.status == "assigned"
    assert need.assigned_branch.name == "工商银行泰安岱岳支行"
    assignment = need.assignments.get()
    assert assignment.rule == Assignment.Rule.LEAD_BANK
    assert "新材料" in assignment.reason and "工商银行泰安岱岳支行" in assignment.reason
    officer = User.objects.get(username="officer-lead")
    assert Notification.objects.filter(user=officer, kind="need_assigned").count() == 1
    body = login(client, "officer-lead").get(f"/api/v1/needs/{need.pk}/").json()
    assert body["assigned_bank"] == {"id": need.assigned_branch.bank_id, "name": "中国工商银行"}
    assert [e["action"] for e in body["events"]] == ["submit", "route"]


@pytest.mark.parametrize("username", ["officer-other", "staff-qingdao", "officer-butler"])
def test_outsiders_get_404_in_api_and_pages(routed_need, client, username):
    login(client, username)
    assert client.get(f"/api/v1/needs/{routed_need.pk}/").status_code == 404
    assert client.get(f"/needs/{routed_need.pk}/").status_code == 404
    assert client.post(f"/api/v1/needs/{routed_need.pk}/accept/").status_code == 404
    assert client.post(f"/needs/{routed_need.pk}/accept/").status_code == 404
    assert routed_need.pk not in [n["id"] for n in client.get("/api/v1/needs/").json()["results"]]


@pytest.mark.parametrize("username", ["staff-daiyue", "officer-lead", "manager-lead", "firm-demo"])
def test_insiders_see_it(routed_need, client, username):
    login(client, username)
    assert client.get(f"/api/v1/needs/{routed_need.pk}/").status_code == 200
    assert client.get(f"/needs/{routed_need.pk}/").status_code == 200
    assert routed_need.pk in [n["id"] for n in client.get("/api/v1/needs/").json()["results"]]


def test_decline_reroutes_to_the_other_lead_bank(
    routed_need, client, django_capture_on_commit_callbacks
):
    login(client, "officer-lead")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/needs/{routed_need.pk}/decline/",
            {"reason": "quota", "note": "本季度额度已用完"},
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    need = FinancingNeed.objects.select_related("assigned_branch").get(pk=routed_need.pk)
    assert need.status == "assigned"
    assert need.assigned_branch.name == "农业银行泰安岱岳支行"
    first, second = need.assignments.order_by("pk")
    assert first.outcome == "declined" and first.decline_reason == "quota"
    assert second.outcome == "open" and second.rule == "lead_bank"
    # The declining bank no longer sees the case; the new one does and was told.
    assert client.get(f"/api/v1/needs/{need.pk}/").status_code == 404
    login(client, "officer-lead-2")
    assert client.get(f"/api/v1/needs/{need.pk}/").json()["assigned_bank"]["name"] == "中国农业银行"
    assert Notification.objects.filter(
        user__username="officer-lead-2", kind="need_assigned"
    ).exists()
    # The firm sees the reason on its case page.
    page = login(client, "firm-demo").get(f"/needs/{need.pk}/").content.decode()
    assert "额度不足" in page and "本季度额度已用完" in page
    # A second decline leaves no lead bank: the district pool, where staff assign.
    login(client, "officer-lead-2")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/api/v1/needs/{need.pk}/decline/",
            {"reason": "risk", "note": "风险评估未通过"},
            content_type="application/json",
        )
    need.refresh_from_db()
    assert need.status == "pool" and need.assigned_branch is None
    assert Notification.objects.filter(user__username="staff-daiyue", kind="need_pool").exists()
