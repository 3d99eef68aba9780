"""The audit record: every change written with actor and time, free of personal values, read
by staff of the region, and impossible to edit or delete from the application."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry, AuditImmutableError
from audit.services import HIDDEN, audit_record, redact
from needs.services import financing_need_accept
from policies.services import policy_update
from tests.factories import LoanProductFactory, PolicyFactory

pytestmark = pytest.mark.django_db


def test_a_need_submission_and_acceptance_are_recorded_without_personal_values(
    world, submit, run_commit
):
    need = submit(world["member"])
    run_commit(financing_need_accept, need=need, actor=world["officer"])
    entries = AuditEntry.objects.filter(object_type="needs.financingneed", object_id=str(need.pk))
    actions = [e.action for e in entries.order_by("created_at", "id")]
    assert actions[0] == "need.submit" and "need.accept" in actions
    accept = entries.get(action="need.accept")
    assert accept.actor == world["officer"] and accept.region_code == "370911"
    assert accept.changes["status"] == ["assigned", "accepted"]
    assert accept.created_at is not None
    text = str(list(entries.values_list("changes", flat=True)))
    assert "13805381234" not in text and "陈静" not in text


def test_catalogue_changes_policies_rules_and_products_are_recorded(regions, personas):
    policy = PolicyFactory(region=regions["daiyue"], title="旧名称")
    policy_update(
        policy=policy,
        data={"title": "新名称"},
        rule={
            "conditions": {
                "fact": "employees",
                "op": "gt",
                "value": 10,
                "label": "从业人员超过10人",
            },
            "benefit": {"type": "fixed", "amount_yuan": 100_000},
        },
        user=personas["staff"],
        notify=False,
    )
    entry = AuditEntry.objects.get(action="policy.update", object_id=str(policy.pk))
    assert entry.actor == personas["staff"]
    assert entry.changes["title"] == ["旧名称", "新名称"]
    assert "rule" in entry.changes
    assert entry.region_code == "370911"
    product = LoanProductFactory(region=regions["daiyue"])
    assert AuditEntry.objects.filter(
        object_type="banks.loanproduct", object_id=str(product.pk), action="product.create"
    ).exists()


def test_registration_of_a_user_is_recorded(client, regions):
    from tests.enterprises.test_registration import api_data

    client.post("/api/v1/enterprises/register/", api_data(regions), content_type="application/json")
    entry = AuditEntry.objects.get(action="user.register")
    assert entry.object_type == "accounts.user" and entry.region_code == "370911"


def test_redaction_hides_personal_fields_and_values_that_look_personal():
    changes = redact(
        {
            "contact_phone": ["13805381234", "13900001111"],
            "title": "联系 13805381234",
            "uscc": "91370911MA0000001X",
            "password1": "secret",
            "amount_yuan": [1, 2],
        }
    )
    assert changes["contact_phone"] == HIDDEN and changes["uscc"] == HIDDEN
    assert changes["password1"] == HIDDEN
    assert changes["title"] == f"联系 {HIDDEN}"
    assert changes["amount_yuan"] == [1, 2]


def test_entries_cannot_be_edited_or_deleted_by_the_application(personas):
    entry = audit_record(actor=personas["staff"], action="test.change", obj=personas["member"])
    entry.action = "rewritten"
    with pytest.raises(AuditImmutableError):
        entry.save()
    with pytest.raises(AuditImmutableError):
        entry.delete()
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="rewritten")
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.change"


def test_the_database_refuses_update_and_delete_on_postgresql(personas):
    """On PostgreSQL a trigger refuses raw UPDATE/DELETE; elsewhere the trigger is absent and the
    model layer (tested above) is the guard."""
    entry = audit_record(actor=None, action="test.change", obj=personas["member"])
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master"
                " WHERE type = 'trigger' AND tbl_name = 'audit_auditentry'"
            )
            assert cursor.fetchone()[0] == 0
        return
    for sql in (
        "UPDATE audit_auditentry SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.change"


def test_deleting_a_user_leaves_the_entries_that_name_them(personas):
    member = personas["other_member"]
    audit_record(actor=member, action="test.change", obj=member)
    member.delete()
    entry = AuditEntry.objects.get(action="test.change")
    assert entry.actor_id is not None and entry.object_id


def test_staff_see_their_region_only_and_others_are_refused(client, personas, regions):
    daiyue = PolicyFactory(region=regions["daiyue"])
    qingdao = PolicyFactory(region=regions["qingdao"])
    client.force_login(personas["staff"])
    page = client.get(reverse("audit:list"))
    assert page.status_code == 200
    ids = {e.object_id for e in page.context["entries"]}
    assert str(daiyue.pk) in ids and str(qingdao.pk) not in ids
    client.force_login(personas["other_staff"])
    ids = {e.object_id for e in client.get(reverse("audit:list")).context["entries"]}
    assert str(qingdao.pk) in ids and str(daiyue.pk) not in ids
    client.force_login(personas["admin"])
    assert len(client.get(reverse("audit:list")).context["entries"]) >= 2
    for role in ("member", "officer", "manager"):
        client.force_login(personas[role])
        assert client.get(reverse("audit:list")).status_code == 403


def test_the_page_has_no_write_path(client, personas):
    client.force_login(personas["admin"])
    assert client.post(reverse("audit:list")).status_code == 405
    assert client.post("/admin/audit/auditentry/add/").status_code == 403


def test_the_page_filters_and_runs_constant_queries(
    client, personas, regions, django_assert_num_queries
):
    PolicyFactory(region=regions["daiyue"])
    client.force_login(personas["staff"])
    client.get(reverse("audit:list"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("audit:list"))
    for _ in range(15):
        PolicyFactory(region=regions["daiyue"])
    with django_assert_num_queries(len(small.captured_queries)):
        page = client.get(reverse("audit:list"), {"object_type": "policies.policy"})
    assert len(page.context["entries"]) == 16
