"""The needs API answers exactly what DRF's ModelSerializers of the contract answered.

The list, the detail and the step answers are built by hand for speed (``needs.api``); these tests
pin them, key for key and value for value, to a reference built the slow, obvious way below.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from needs.models import FinancingNeed, NeedAttachment, NeedEvent
from needs.selectors import need_detail_queryset
from needs.states import action_label, status_label
from privacy.models import ContactConsent, PersonalDataAccess
from privacy.selectors import need_contact_api
from tests.factories import FinancingNeedFactory, LoanProductFactory

pytestmark = pytest.mark.django_db


class RefEvent(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    action_label = serializers.SerializerMethodField()
    from_status_label = serializers.SerializerMethodField()
    to_status_label = serializers.SerializerMethodField()

    class Meta:
        model = NeedEvent
        fields = [
            "id",
            "action",
            "action_label",
            "actor",
            "from_status",
            "from_status_label",
            "to_status",
            "to_status_label",
            "note",
            "data",
            "created_at",
        ]

    def get_actor(self, event):
        return str(event.actor) if event.actor_id else "系统"

    def get_action_label(self, event):
        return "提交需求" if event.action == "submit" else action_label(event.action)

    def get_from_status_label(self, event):
        return status_label(event.from_status) if event.from_status else ""

    def get_to_status_label(self, event):
        return status_label(event.to_status) if event.to_status else ""


class RefAttachment(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = NeedAttachment
        fields = ["id", "original_name", "content_type", "size", "is_material", "created_at", "url"]

    def get_url(self, attachment):
        from django.urls import reverse

        return reverse("needs:attachment", args=[attachment.need_id, attachment.pk])


class RefNeed(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    purpose_label = serializers.CharField(source="get_purpose_display", read_only=True)
    enterprise = serializers.SerializerMethodField()
    assigned_bank = serializers.SerializerMethodField()
    assigned_branch = serializers.SerializerMethodField()
    assigned_officer = serializers.SerializerMethodField()
    products = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    events = RefEvent(many=True, read_only=True)

    class Meta:
        model = FinancingNeed
        fields = [
            "id",
            "status",
            "status_label",
            "enterprise",
            "amount_yuan",
            "term_months",
            "purpose",
            "purpose_label",
            "guarantee_methods",
            "collateral",
            "urgency",
            "description",
            "contact_name",
            "contact_phone",
            "products",
            "assigned_bank",
            "assigned_branch",
            "assigned_officer",
            "proposed_product",
            "proposed_amount_yuan",
            "proposed_rate_percent",
            "proposed_term_months",
            "approved_amount_yuan",
            "disbursed_amount_yuan",
            "disbursed_on",
            "created_at",
            "accepted_at",
            "first_contact_at",
            "decided_at",
            "closed_at",
            "events",
        ]
        read_only_fields = fields

    def to_representation(self, need):
        return need_contact_api(self.context, need, super().to_representation(need))

    def get_enterprise(self, need):
        return {"id": need.enterprise_id, "name": need.enterprise.name}

    def get_assigned_bank(self, need):
        branch = need.assigned_branch
        return {"id": branch.bank_id, "name": branch.bank.name} if branch else None

    def get_assigned_branch(self, need):
        branch = need.assigned_branch
        return {"id": branch.pk, "name": branch.name} if branch else None

    def get_assigned_officer(self, need):
        officer = need.assigned_officer
        return {"id": officer.pk, "name": str(officer)} if officer else None


class RefDetail(RefNeed):
    attachments = RefAttachment(many=True, read_only=True)
    deadlines = serializers.SerializerMethodField()

    class Meta(RefNeed.Meta):
        fields = [*RefNeed.Meta.fields, "attachments", "deadlines"]
        read_only_fields = fields

    def get_deadlines(self, need):
        return [
            {
                "kind": deadline.kind,
                "label": deadline.get_kind_display(),
                "due_at": deadline.due_at,
                "met_at": deadline.met_at,
                "calendar_estimated": deadline.calendar_estimated,
            }
            for deadline in need.deadlines.all()
            if deadline.assignment.outcome == "open" or deadline.met_at
        ]


def _json(data):
    return json.loads(JSONRenderer().render(data))


def reference(user, need_pk, *, action):
    """What the ModelSerializers answer for ``need_pk`` as ``user`` sees it. A step's or a
    submission's answer (``action=None``) was serialized without a request: always masked."""
    context = {"request": SimpleNamespace(user=user), "view": SimpleNamespace(action=action)}
    if action is None:
        context = {}
    need = need_detail_queryset(user).get(pk=need_pk)
    cls = RefNeed if action == "list" else RefDetail
    return _json(cls(need, context=context).data)


def post(client, need, action, data=None):
    return client.post(
        f"/api/v1/needs/{need.pk}/{action}/", data or {}, content_type="application/json"
    )


@pytest.fixture
def case(world, client, submit):
    """A need well along: routed, accepted, contacted, proposed (a Decimal rate), with products,
    an attachment and events with and without an actor."""
    need = submit(world["member"], collateral="厂房", description="扩产")
    need.products.add(LoanProductFactory(), LoanProductFactory())
    NeedAttachment.objects.create(
        need=need,
        uploaded_by=world["member"],
        file="needs/x.pdf",
        storage_name="needs/x.pdf",
        original_name="报表.pdf",
        content_type="application/pdf",
        size=123,
    )
    client.force_login(world["officer"])
    body = {"product": "科创贷", "amount_yuan": 2_000_000, "rate_percent": "3.5", "term_months": 6}
    steps = [
        ("accept", {"note": "已接单"}),
        ("contact", {"channel": "visit", "note": "上门"}),
        ("propose", body),
    ]
    for action, data in steps:
        # Each step's answer (built from the saved row in memory) equals a fresh read.
        response = post(client, need, action, data)
        assert response.status_code == 200
        assert response.json() == reference(world["officer"], need.pk, action=None)
    client.logout()
    return need


@pytest.mark.parametrize("persona", ["officer", "member", "manager", "staff", "admin"])
def test_list_and_detail_match_the_model_serializers(world, client, case, persona):
    other = FinancingNeedFactory(
        enterprise=world["firm"], assigned_branch=world["branch"], status="assigned"
    )
    FinancingNeed.objects.filter(pk=other.pk).update(disbursed_on=date(2026, 1, 5))
    user = world[persona]
    client.force_login(user)
    rows = client.get("/api/v1/needs/").json()["results"]
    assert [row["id"] for row in rows] == [other.pk, case.pk]
    for row in rows:
        assert row == reference(user, row["id"], action="list")
        assert list(row) == list(reference(user, row["id"], action="list"))
    detail = client.get(f"/api/v1/needs/{case.pk}/").json()
    expected = reference(user, case.pk, action="retrieve")
    assert detail == expected and list(detail) == list(expected)
    assert detail["proposed_rate_percent"] == "3.50"
    assert len(detail["events"]) == 5 and detail["events"][1]["actor"] == "系统"
    assert len(detail["attachments"]) == 1 and len(detail["products"]) == 2


def test_masking_and_read_logging_are_unchanged(world, client, case):
    officer = world["officer"]
    client.force_login(officer)
    row = client.get("/api/v1/needs/").json()["results"][0]
    assert row["contact_name"] == "陈*" and row["contact_phone"] != "13805381234"
    assert PersonalDataAccess.objects.count() == 0
    detail = client.get(f"/api/v1/needs/{case.pk}/").json()
    assert detail["contact_name"] == "陈*"
    ContactConsent.objects.create(
        need=case,
        bank=world["branch"].bank,
        granted_by=world["member"],
        text="同意",
        text_version="1",
    )
    detail = client.get(f"/api/v1/needs/{case.pk}/").json()
    assert detail["contact_name"] == "陈静" and detail["contact_phone"] == "13805381234"
    assert PersonalDataAccess.objects.filter(user=officer, purpose="api_need").count() == 1
    # The list never reveals, even to the consented officer.
    row = client.get("/api/v1/needs/").json()["results"][0]
    assert row["contact_name"] == "陈*"
    # A step answer shows the contact masked (and logs nothing), as it always did.
    response = post(client, case, "approve", {"amount_yuan": 1_500_000})
    assert response.status_code == 200 and response.json()["contact_name"] == "陈*"
    assert PersonalDataAccess.objects.filter(user=officer, purpose="api_need").count() == 1
    assert response.json() == reference(officer, case.pk, action=None)


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("approve", {"amount_yuan": 1_500_000}),
        ("decline", {"reason": "risk", "note": "风险"}),
        ("request-materials", {"items": "报表"}),
        ("comment", {"text": "请尽快补充"}),  # answers an event: the need is read again
    ],
)
def test_step_answers_match_a_fresh_read(world, client, case, action, data):
    client.force_login(world["officer"])
    response = post(client, case, action, data)
    assert response.status_code == 200, response.content
    body = response.json()
    if body.get("in_scope") is False:
        status = FinancingNeed.objects.get(pk=case.pk).status
        assert body == {"id": case.pk, "status": status, "in_scope": False}
    else:
        assert body == reference(world["officer"], case.pk, action=None)


def test_submit_answer_matches_a_fresh_read(world, client, need_data):
    product = LoanProductFactory()
    client.force_login(world["member"])
    response = client.post(
        "/api/v1/needs/", {**need_data, "products": [product.pk]}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == reference(world["member"], body["id"], action=None)
    assert body["contact_name"] == "陈*"
    assert body["products"] == [product.pk] and body["status"] == "pending"


def _grow(world, count):
    for _ in range(count):
        need = FinancingNeedFactory(
            enterprise=world["firm"],
            submitted_by=world["member"],
            assigned_branch=world["branch"],
            status="assigned",
        )
        for step in range(4):
            NeedEvent.objects.create(
                need=need, actor=world["officer"] if step else None, action="comment", note="x"
            )
        need.products.add(*LoanProductFactory.create_batch(1))


def test_officer_list_queries_stay_constant(world, client, django_assert_num_queries):
    _grow(world, 2)
    client.force_login(world["officer"])
    client.get("/api/v1/needs/")
    # session (with its user), count, page, events, products
    with django_assert_num_queries(5):
        assert len(client.get("/api/v1/needs/").json()["results"]) == 2
    _grow(world, 25)
    with django_assert_num_queries(5):
        assert len(client.get("/api/v1/needs/").json()["results"]) == 20


def test_submit_queries_stay_constant(world, client, need_data, django_assert_num_queries):
    client.force_login(world["member"])
    for _ in range(3):
        # session user, firm with region, (BEGIN), need, audit, event, routing row, (COMMIT);
        # the answer comes from memory: no constraint-check SELECTs, no re-read.
        with django_assert_num_queries(8):
            response = client.post("/api/v1/needs/", need_data, content_type="application/json")
        assert response.status_code == 201
        _grow(world, 5)


def test_accept_queries_stay_constant(world, client, submit, django_assert_num_queries):
    for grow in (0, 10):
        need = submit(world["member"])
        by_branch = {world["branch"].pk: world["officer"], world["branch2"].pk: world["officer2"]}
        client.force_login(by_branch[need.assigned_branch_id])
        for _ in range(grow):
            NeedEvent.objects.create(need=need, actor=world["officer"], action="comment")
        _grow(world, grow)
        # session user, need (404 outside scope), (BEGIN), scoped lock, update, audit, event,
        # deadlines met, firm members, one notification per member (4), (COMMIT); the answer:
        # scope check with products, events, files, deadlines.
        with django_assert_num_queries(18):
            assert post(client, need, "accept").status_code == 200


def test_deadline_rows_in_detail(world, client, case):
    client.force_login(world["officer"])
    detail = client.get(f"/api/v1/needs/{case.pk}/").json()
    kinds = [d["kind"] for d in detail["deadlines"]]
    assert kinds == ["accept", "contact", "decision"]
    assert detail["deadlines"][0]["met_at"] is not None
    assert detail["deadlines"][2]["met_at"] is None
    assert Decimal(detail["proposed_rate_percent"]) == Decimal("3.50")
