"""Scoping (404 outside), submission validation (all or nothing), uploads, constant queries."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from needs.models import FinancingNeed, NeedAttachment, NeedEvent, RoutingRequest
from portal.uploads import check_upload
from tests.factories import FinancingNeedFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("member", True),
        ("other_member", False),
        ("officer", True),
        ("other_officer", False),
        ("manager", True),
        ("staff", True),
        ("city_staff", True),
        ("other_staff", False),
        ("admin", True),
    ],
)
def test_for_user_scopes_needs(world, submit, client, persona, sees):
    need = submit(world["member"])
    assert need.assigned_branch == world["branch"]
    user = world[persona]
    assert FinancingNeed.objects.for_user(user).filter(pk=need.pk).exists() is sees
    client.force_login(user)
    expected = 200 if sees else 404
    assert client.get(f"/api/v1/needs/{need.pk}/").status_code == expected
    assert client.get(f"/needs/{need.pk}/").status_code == expected


def test_officer_of_the_other_lead_bank_does_not_see_it(world, submit):
    need = submit(world["member"])
    assert not FinancingNeed.objects.for_user(world["officer2"]).filter(pk=need.pk).exists()


def test_anonymous_gets_nothing(client, world, submit):
    need = submit(world["member"])
    assert client.get("/api/v1/needs/").status_code in (401, 403)
    assert client.get(f"/needs/{need.pk}/").status_code == 302


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount_yuan": 0}, "amount_yuan"),
        ({"amount_yuan": "很多"}, "amount_yuan"),
        ({"term_months": 0}, "term_months"),
        ({"purpose": "赌博"}, "purpose"),
        ({"guarantee_methods": []}, "guarantee_methods"),
        ({"guarantee_methods": ["house"]}, "guarantee_methods"),
        ({"contact_phone": "12345"}, "contact_phone"),
        ({"contact_name": ""}, "contact_name"),
        ({"products": [999999]}, "products"),
    ],
)
def test_api_rejects_bad_fields_and_saves_nothing(world, client, need_data, change, field):
    client.force_login(world["member"])
    response = client.post(
        "/api/v1/needs/", {**need_data, **change}, content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert FinancingNeed.objects.count() == 0 and RoutingRequest.objects.count() == 0


def test_only_firm_members_submit(world, client, need_data):
    client.force_login(world["officer"])
    response = client.post("/api/v1/needs/", need_data, content_type="application/json")
    assert response.status_code == 403


def test_a_bad_attachment_refuses_the_whole_submission(world, client, need_data):
    client.force_login(world["member"])
    fake = SimpleUploadedFile("报表.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    good = SimpleUploadedFile("执照.png", b"\x89PNG\r\n\x1a\n....", content_type="image/png")
    data = {**need_data, "attachments": [good, fake]}
    response = client.post("/api/v1/needs/", data)
    assert response.status_code == 400, response.content
    assert "attachments" in response.json()
    assert FinancingNeed.objects.count() == 0 and NeedAttachment.objects.count() == 0


def test_web_form_submits_and_routes(world, client, django_capture_on_commit_callbacks):
    client.force_login(world["member"])
    page = client.get("/needs/new/")
    assert page.status_code == 200 and "融资金额（万元）" in page.content.decode()
    pdf = SimpleUploadedFile("计划书.pdf", b"%PDF-1.7\n...", content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/needs/new/",
            {
                "amount_yuan": "300",
                "term_months": "12",
                "purpose": "equipment",
                "guarantee_methods": ["credit", "guarantee"],
                "urgency": "urgent",
                "contact_name": "陈静",
                "contact_phone": "13805381234",
                "attachments": [pdf],
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    need = FinancingNeed.objects.get()
    assert need.amount_yuan == 3_000_000 and need.status == "assigned"
    assert need.attachments.get().original_name == "计划书.pdf"
    page = client.get(response["Location"]).content.decode()
    assert "300 万元" in page and "预计答复时间" in page


def test_web_form_shows_errors_in_chinese(world, client):
    client.force_login(world["member"])
    response = client.post("/needs/new/", {"amount_yuan": "", "contact_phone": "1"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "请至少选择一种可接受的担保方式。" in text and "请输入有效的手机号" in text
    assert FinancingNeed.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "ok"),
    [
        ("a.pdf", b"%PDF-1.4", True),
        ("a.jpg", b"\xff\xd8\xff\xe0", True),
        ("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", True),
        ("a.exe", b"MZ", False),
        ("a.pdf", b"<script>", False),
        ("a.docx", b"PK\x03\x04garbage", False),
        ("a.html", b"%PDF-", False),
    ],
)
def test_upload_checker(name, content, ok):
    upload = SimpleUploadedFile(name, content)
    if ok:
        checked = check_upload(upload)
        stored = checked.storage_name.rsplit("/", 1)[-1]
        assert stored.endswith(name[1:]) and len(stored) == 32 + len(name) - 1
    else:
        with pytest.raises(ValidationError):
            check_upload(upload)


def test_upload_size_limit(settings):
    settings.UPLOAD_MAX_BYTES = 10
    with pytest.raises(ValidationError, match="文件过大"):
        check_upload(SimpleUploadedFile("a.pdf", b"%PDF-" + b"0" * 20))


def _events_for(needs):
    for need in needs:
        NeedEvent.objects.create(need=need, action="submit", to_status="pending")


@pytest.mark.parametrize("persona", ["member", "staff", "officer"])
def test_list_page_and_endpoint_run_constant_queries(
    world, client, persona, django_assert_num_queries
):
    firm = world["firm"]
    extra = {"assigned_branch": world["branch"], "status": "assigned"}
    _events_for(FinancingNeedFactory.create_batch(2, enterprise=firm, **extra))
    client.force_login(world[persona])
    with CaptureQueriesContext(connection) as small_page:
        assert client.get("/needs/").status_code == 200
    with CaptureQueriesContext(connection) as small_api:
        assert client.get("/api/v1/needs/").json()["count"] == 2
    # session, user, (staff: region), count, page, related rows (deadlines or events), …
    assert len(small_page.captured_queries) <= 9
    assert len(small_api.captured_queries) <= 7
    _events_for(FinancingNeedFactory.create_batch(15, enterprise=firm, **extra))
    with django_assert_num_queries(len(small_page.captured_queries)):
        assert client.get("/needs/").status_code == 200
    with django_assert_num_queries(len(small_api.captured_queries)):
        assert client.get("/api/v1/needs/").json()["count"] == 17


def test_api_list_counts_without_the_joins_of_the_shown_columns(world, client):
    """The total is counted on the scoped list, not on its ``.values()`` rows (which join the
    firm, bank and officer for the columns shown); pages and total still agree."""
    firm = world["firm"]
    extra = {"assigned_branch": world["branch"], "status": "assigned"}
    _events_for(FinancingNeedFactory.create_batch(23, enterprise=firm, **extra))
    client.force_login(world["officer"])
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/api/v1/needs/").json()
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"]]
    assert len(counts) == 1
    assert "enterprises_enterprise" not in counts[0]
    assert "accounts_user" not in counts[0]
    second = client.get("/api/v1/needs/?page=2").json()
    assert first["count"] == second["count"] == 23
    assert len(first["results"]) == 20 and len(second["results"]) == 3
    ids = {row["id"] for row in first["results"]} | {row["id"] for row in second["results"]}
    assert len(ids) == 23
    filtered = client.get("/api/v1/needs/?status=accepted").json()
    assert filtered["count"] == 0 and filtered["results"] == []
