"""PIPL: a firm downloads its data and asks for deletion; the retention job deletes or
anonymises expired records and their files; a person reviews an automated result on request."""

import io
import json
import logging
import zipfile
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from needs.models import FinancingNeed, NeedAttachment
from portal.celery import app
from privacy.models import DataRequest, PersonalDataAccess, ReviewRequest
from privacy.services import ANONYMISED_NAME, retention_sweep
from tests.factories import PolicyFactory
from tests.privacy.logscan import CollectingHandler, personal_data_in

pytestmark = pytest.mark.django_db

PHONE = "13805381234"


def _attach(need, user) -> NeedAttachment:
    name = default_storage.save(f"needs/test-{need.pk}.pdf", ContentFile(b"%PDF-1.4 test"))
    return NeedAttachment.objects.create(
        need=need,
        uploaded_by=user,
        file=name,
        storage_name=name,
        original_name="营业执照.pdf",
        content_type="application/pdf",
        size=13,
    )


def test_a_firm_downloads_its_data_as_zip(client, world, submit):
    need = submit(world["member"])
    client.force_login(world["member"])
    response = client.post(reverse("privacy:export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("data.json"))
    assert data["enterprise"]["uscc"] == world["firm"].uscc
    assert data["financing_needs"][0]["id"] == need.pk
    assert data["financing_needs"][0]["contact_phone"] == PHONE
    assert [m["username"] for m in data["members"]] == ["member"]
    access = PersonalDataAccess.objects.get(purpose="data_export")
    assert access.user == world["member"] and "financing_needs" in access.fields
    assert DataRequest.objects.filter(kind="export", status="done").count() == 1


def test_only_a_firm_member_can_download(client, world):
    for role in ("officer", "staff"):
        client.force_login(world[role])
        assert client.post(reverse("privacy:export")).status_code == 403
    client.force_login(world["member"])
    assert client.get(reverse("privacy:export")).status_code == 405


def test_deletion_request_then_staff_fulfil_anonymises_people_and_files(
    client, world, submit, django_capture_on_commit_callbacks
):
    need = submit(world["member"])
    attachment = _attach(need, world["member"])
    client.force_login(world["member"])
    assert client.post(reverse("privacy:deletion")).status_code == 302
    assert client.post(reverse("privacy:deletion")).status_code == 302  # asking twice: one request
    request = DataRequest.objects.get(kind="deletion")
    assert request.status == "pending"
    page = client.get(reverse("privacy:my_data")).content.decode()
    assert "正在处理中" in page

    client.force_login(world["other_staff"])
    assert (
        client.post(reverse("privacy:staff_request_fulfil", args=[request.pk])).status_code == 404
    )
    client.force_login(world["staff"])
    listing = client.get(reverse("privacy:staff_requests"))
    assert request in listing.context["requests"]
    with django_capture_on_commit_callbacks(execute=True):  # files go after the commit
        assert (
            client.post(reverse("privacy:staff_request_fulfil", args=[request.pk])).status_code
            == 302
        )
    request.refresh_from_db()
    assert request.status == "done" and request.handled_by == world["staff"]
    need.refresh_from_db()
    assert need.contact_name == ANONYMISED_NAME and need.contact_phone == ""
    member = type(world["member"]).objects.get(pk=world["member"].pk)
    assert not member.is_active and member.phone == "" and member.username.startswith("deleted-")
    assert not member.has_usable_password()
    assert not NeedAttachment.objects.filter(pk=attachment.pk).exists()
    assert not default_storage.exists(attachment.storage_name)
    world["firm"].refresh_from_db()
    assert world["firm"].contact_phone == "" and world["firm"].uscc  # business facts stay
    assert AuditEntry.objects.filter(action="privacy.deletion_done").exists()


def test_retention_sweep_anonymises_expired_needs_and_deletes_their_files(
    world, submit, django_capture_on_commit_callbacks
):
    old = submit(world["member"])
    recent = submit(world["member"])
    attachment = _attach(old, world["member"])
    now = timezone.now()
    FinancingNeed.objects.filter(pk=old.pk).update(
        status="withdrawn", closed_at=now - timedelta(days=3 * 365 + 1)
    )
    FinancingNeed.objects.filter(pk=recent.pk).update(
        status="withdrawn", closed_at=now - timedelta(days=10)
    )
    PersonalDataAccess.objects.create(
        subject_type="needs.financingneed",
        subject_id="1",
        purpose="x",
        accessed_at=now - timedelta(days=3 * 365 + 1),
    )
    with django_capture_on_commit_callbacks(execute=True):  # files go after the commit
        counts = retention_sweep(now=now)
    assert counts == {"needs": 1, "files": 1, "deletions": 0, "access_logs": 1}
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.contact_phone == "" and old.contact_name == ANONYMISED_NAME
    assert recent.contact_phone == PHONE
    assert not default_storage.exists(attachment.storage_name)
    # A second run finds nothing left to do.
    assert retention_sweep(now=now) == {"needs": 0, "files": 0, "deletions": 0, "access_logs": 0}


def test_retention_sweep_carries_out_overdue_deletion_requests(world):
    DataRequest.objects.create(
        enterprise=world["firm"],
        kind="deletion",
        requested_by=world["member"],
        requested_at=timezone.now() - timedelta(days=16),
    )
    assert retention_sweep()["deletions"] == 1
    assert DataRequest.objects.get().status == "done"
    assert not type(world["member"]).objects.get(pk=world["member"].pk).is_active


def test_retention_job_is_in_the_beat_schedule():
    import privacy.tasks  # noqa: F401 - what the worker's autodiscovery imports

    entry = app.conf.beat_schedule["privacy-retention"]
    assert entry["task"] == "privacy.retention_sweep"
    assert "privacy.retention_sweep" in app.tasks


@pytest.fixture
def policy(regions, world):
    from eligibility.models import EligibilityResult

    policy = PolicyFactory(region=regions["daiyue"], title="研发费用补助")
    EligibilityResult.objects.create(
        enterprise=world["firm"], policy=policy, eligible=None, evaluated_at=timezone.now()
    )
    return policy


def test_a_firm_asks_for_human_review_and_staff_answer(client, world, policy):
    client.force_login(world["member"])
    page = client.get(reverse("privacy:my_data")).content.decode()
    assert reverse("privacy:review_request", args=[policy.pk]) in page
    empty = client.post(reverse("privacy:review_request", args=[policy.pk]), {"reason": ""})
    assert empty.status_code == 400 and "请说明需要人工复核的理由" in empty.content.decode()
    assert not ReviewRequest.objects.exists()
    ok = client.post(
        reverse("privacy:review_request", args=[policy.pk]),
        {"reason": "已取得高企证书，系统未识别"},
    )
    assert ok.status_code == 302
    review = ReviewRequest.objects.get()
    assert review.result["eligible"] is None and review.status == "open"
    again = client.post(reverse("privacy:review_request", args=[policy.pk]), {"reason": "再次"})
    assert again.status_code == 400 and ReviewRequest.objects.count() == 1

    client.force_login(world["other_staff"])
    assert review not in client.get(reverse("privacy:staff_reviews")).context["reviews"]
    assert client.get(reverse("privacy:staff_review_answer", args=[review.pk])).status_code == 404
    client.force_login(world["staff"])
    assert review in client.get(reverse("privacy:staff_reviews")).context["reviews"]
    answered = client.post(
        reverse("privacy:staff_review_answer", args=[review.pk]),
        {"answer": "已人工核实，符合条件。"},
    )
    assert answered.status_code == 302
    review.refresh_from_db()
    assert review.status == "answered" and review.answered_by == world["staff"]
    client.force_login(world["member"])
    assert "已人工核实，符合条件。" in client.get(reverse("privacy:my_data")).content.decode()
    assert AuditEntry.objects.filter(action="privacy.review_answer").exists()


def test_other_roles_cannot_ask_or_answer(client, world, policy):
    client.force_login(world["officer"])
    assert client.get(reverse("privacy:review_request", args=[policy.pk])).status_code == 403
    assert client.get(reverse("privacy:staff_reviews")).status_code == 403
    client.force_login(world["member"])
    assert client.get(reverse("privacy:staff_reviews")).status_code == 403


def test_the_log_scanner_finds_phones_and_usccs_and_ignores_decimals():
    assert personal_data_in(f"sent to {PHONE}") == [PHONE]
    from tests.factories import make_uscc

    code = make_uscc(7)
    assert personal_data_in(f"firm {code}") == [code]
    assert personal_data_in("succeeded in 0.0181234567163s") == []
    assert personal_data_in("succeeded in 0.016123456789017036s") == []
    assert personal_data_in("id 12345678901234567890") == []


def test_a_whole_case_logs_no_personal_data(client, world, submit, regions):
    """Registration, a need, its pages and API, a consent and an export: the logs stay clean."""
    from tests.enterprises.test_registration import api_data

    handler = CollectingHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.DEBUG)
    try:
        client.post(
            "/api/v1/enterprises/register/", api_data(regions), content_type="application/json"
        )
        client.post(
            "/api/v1/enterprises/register/",
            api_data(regions, contact_phone="12"),
            content_type="application/json",
        )
        need = submit(world["member"])
        client.force_login(world["member"])
        client.get(reverse("needs:detail", args=[need.pk]))
        client.post(reverse("privacy:contact_consent", args=[need.pk]))
        client.post(reverse("privacy:export"))
        client.force_login(world["officer"])
        client.get(reverse("needs:detail", args=[need.pk]))
        client.get(f"/api/v1/needs/{need.pk}/")
    finally:
        root.setLevel(previous)
        root.removeHandler(handler)
    assert handler.texts  # something was logged, and none of it is personal data
    assert [t for t in handler.texts if personal_data_in(t)] == []


def test_staff_lists_run_constant_queries(client, world, regions, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import EnterpriseFactory

    def grow(n: int) -> None:
        for _ in range(n):
            firm = EnterpriseFactory(region=regions["daiyue"])
            policy = PolicyFactory(region=regions["daiyue"])
            ReviewRequest.objects.create(enterprise=firm, policy=policy, reason="请复核")
            DataRequest.objects.create(enterprise=firm, kind="deletion")

    grow(1)
    client.force_login(world["staff"])
    for name in ("privacy:staff_reviews", "privacy:staff_requests"):
        client.get(reverse(name))
        with CaptureQueriesContext(connection) as small:
            client.get(reverse(name))
        grow(5)
        with django_assert_num_queries(len(small.captured_queries)):
            client.get(reverse(name))


def test_review_of_a_pair_the_nightly_match_does_not_store_snapshots_the_live_result(
    client, world, regions
):
    """Only qualifying pairs are stored; a review of any other policy records what the engine
    says now (here: undecided, the firm's profile lacking the fact), never a made-up "no"."""
    from policies.models import PolicyRule

    policy = PolicyFactory(region=regions["daiyue"], title="数据要素奖励")
    PolicyRule.objects.create(
        policy=policy,
        valid_from=timezone.localdate().replace(year=2024, month=1, day=1),
        data={
            "conditions": {
                "all": [
                    {
                        "fact": "regional_equity_direct_financing_yuan",
                        "op": "gte",
                        "value": 1_000_000,
                        "label": "区域性股权市场直接融资不低于100万元",
                    }
                ]
            },
            "benefit": {"type": "fixed", "amount_yuan": 100_000},
        },
    )
    client.force_login(world["member"])
    calculator = client.get(
        reverse("eligibility:calculator"),
        {"region_code": world["firm"].region.code, "beneficiary_kind": "enterprise", "calc": "1"},
    )
    assert reverse("privacy:review_request", args=[policy.pk]) in calculator.content.decode()
    ok = client.post(
        reverse("privacy:review_request", args=[policy.pk]), {"reason": "已有数据产品收入"}
    )
    assert ok.status_code == 302
    review = ReviewRequest.objects.get(policy=policy)
    assert review.result["eligible"] is None
    assert review.result["missing_facts"] == ["regional_equity_direct_financing_yuan"]
