"""/api/v1/applications/: scoped reads (404 outside), applying with uploads, one endpoint per step
(409 when the state does not allow it, 400 per field), audited events, constant queries."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.models import ApplicationEvent, ApplicationFile, PolicyApplication
from applications.services import policy_application_submit
from tests.applications.helpers import (
    EXE,
    MATERIALS,
    PNG,
    make_policy,
    percent_rule,
    stored_files,
    upload,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/applications/"
CHINESE = re.compile("[\u4e00-\u9fff]")


def post(client, application, action, data=None):
    return client.post(
        f"{URL}{application.pk}/{action}/", data or {}, content_type="application/json"
    )


def multipart(world, **changes):
    data = {
        "policy": world["policy"].pk,
        "facts": json.dumps({}),
        "declaration": "true",
        "material_0": upload("营业执照.pdf"),
        "material_1": upload("财务报表.png", PNG),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def submitted(world, good_files):
    def _submit(firm=None, member=None, policy=None):
        return policy_application_submit(
            enterprise=firm or world["firm"],
            policy=policy or world["policy"],
            submitted_by=member or world["member"],
            facts={},
            files=good_files(),
            declaration=True,
        )

    return _submit


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("member", True),
        ("other_member", False),
        ("officer", False),
        ("other_officer", False),
        ("manager", False),
        ("staff", True),
        ("city_staff", True),
        ("other_staff", False),
        ("admin", True),
    ],
)
def test_scoping_matrix(world, submitted, client, persona, sees):
    application = submitted()
    user = world[persona]
    assert PolicyApplication.objects.for_user(user).filter(pk=application.pk).exists() is sees
    client.force_login(user)
    expected = 200 if sees else 404
    assert client.get(f"{URL}{application.pk}/").status_code == expected
    assert client.get(f"/applications/{application.pk}/").status_code == expected
    file = application.files.first()
    assert client.get(f"/applications/{application.pk}/files/{file.pk}/").status_code == expected
    # A step on an application one cannot see is 404 too, never 403, and changes nothing.
    if not sees:
        assert post(client, application, "accept").status_code == 404
        assert post(client, application, "withdraw").status_code == 404
        application.refresh_from_db()
        assert application.status == "submitted"
    listed = [row["id"] for row in client.get(URL).json()["results"]]
    assert (application.pk in listed) is sees


def test_anonymous_gets_nothing(client, world, submitted):
    application = submitted()
    assert client.get(URL).status_code in (401, 403)
    assert client.get(f"{URL}{application.pk}/").status_code in (401, 403)
    assert client.get(f"/applications/{application.pk}/").status_code == 302


def test_apply_over_the_api_with_files(world, client, media):
    client.force_login(world["member"])
    response = client.post(URL, multipart(world))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted" and body["computed_amount_yuan"] == 200_000
    assert body["formula"]
    assert sorted(f["material"] for f in body["files"]) == sorted(MATERIALS)
    assert body["events"][0]["action"] == "submit"
    assert body["events"][0]["actor"] == str(world["member"])
    assert len(stored_files(media)) == 2
    # The file is served as a download, only to those who may see it.
    file_url = body["files"][0]["url"]
    download = client.get(file_url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"policy": None}, "policy"),
        ({"policy": "abc"}, "policy"),
        ({"policy": 999999}, "policy"),
        ({"declaration": "false"}, "declaration"),
        ({"facts": "not json"}, "facts"),
        ({"facts": json.dumps([1, 2])}, "facts"),
        ({"facts": json.dumps({"annual_revenue_yuan": -1})}, "annual_revenue_yuan"),
        ({"facts": json.dumps({"employees": "许多"})}, "employees"),
        ({"facts": json.dumps({"bogus_fact": 1})}, "bogus_fact"),
        ({"material_1": None}, "files"),
        ({"material_7": upload("x.pdf")}, "material_7"),
        ({"material_1": upload("报表.pdf", EXE)}, "files"),
        ({"material_1": upload("报表.exe", EXE)}, "files"),
    ],
)
def test_bad_input_is_400_per_field_and_nothing_is_saved(world, client, media, changes, field):
    client.force_login(world["member"])
    response = client.post(URL, multipart(world, **changes))
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    messages = body[field] if isinstance(body[field], list) else [body[field]]
    assert all(CHINESE.search(m) for m in messages), messages  # said in Chinese
    assert PolicyApplication.objects.count() == 0
    assert ApplicationFile.objects.count() == 0 and ApplicationEvent.objects.count() == 0
    assert stored_files(media) == []


def test_content_mismatch_message_names_the_file(world, client, media):
    client.force_login(world["member"])
    response = client.post(URL, multipart(world, material_1=upload("报表.pdf", EXE)))
    assert response.status_code == 400
    assert "文件内容与扩展名不符" in response.json()["files"][0]
    assert "报表.pdf" in response.json()["files"][0]
    assert stored_files(media) == []


def test_only_firm_members_apply(world, client):
    client.force_login(world["staff"])
    assert client.post(URL, multipart(world)).status_code == 403
    assert PolicyApplication.objects.count() == 0


def test_duplicate_one_time_award_is_refused_with_a_clear_message(world, client, regions):
    policy = make_policy(regions["daiyue"], rule=percent_rule(one_time=True))
    client.force_login(world["member"])
    first = client.post(URL, multipart(world, policy=policy.pk)).json()
    client.force_login(world["staff"])
    assert client.post(f"{URL}{first['id']}/accept/").status_code == 200
    response = post(client, PolicyApplication(pk=first["id"]), "approve", {"amount_yuan": 200_000})
    assert response.status_code == 200, response.content
    client.force_login(world["member"])
    response = client.post(URL, multipart(world, policy=policy.pk))
    assert response.status_code == 400
    message = response.json()["non_field_errors"][0]
    assert "一次性奖补" in message and "不能重复享受" in message and f"#{first['id']}" in message
    assert PolicyApplication.objects.filter(policy=policy).count() == 1


def test_the_whole_review_over_the_api(world, client, submitted):
    application = submitted()
    staff = world["staff"]
    client.force_login(staff)
    # Out of order: 409 with the reason, nothing changes.
    for action, data in [
        ("approve", {"amount_yuan": 200_000}),
        ("publicize", {"ends_on": timezone.localdate().isoformat()}),
        ("pay", {"amount_yuan": 1, "paid_on": timezone.localdate().isoformat()}),
        ("resubmit", {"note": "x"}),
    ]:
        response = post(client, application, action, data)
        expected = 403 if action == "resubmit" else 409
        assert response.status_code == expected, (action, response.content)
    assert (
        "不能审核通过" in post(client, application, "approve", {"amount_yuan": 1}).json()["detail"]
    )
    assert post(client, application, "accept", {"note": "受理"}).status_code == 200
    assert post(client, application, "accept").status_code == 409
    response = post(client, application, "return", {"items": "营业执照副本不清晰，请重新上传"})
    assert response.status_code == 200
    assert response.json()["status"] == "returned"

    client.force_login(world["member"])
    assert post(client, application, "approve", {"amount_yuan": 1}).status_code == 403
    response = client.post(
        f"{URL}{application.pk}/resubmit/",
        {"note": "已重新上传", "material_0": upload("营业执照（清晰）.pdf")},
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"

    client.force_login(staff)
    assert post(client, application, "accept").status_code == 200
    response = post(client, application, "approve", {"amount_yuan": 180_000})
    assert response.status_code == 400 and "reason" in response.json()
    response = post(client, application, "approve", {"amount_yuan": 180_000, "reason": "核减"})
    assert response.status_code == 200
    today = timezone.localdate().isoformat()
    response = post(client, application, "publicize", {"starts_on": today, "ends_on": today})
    assert response.status_code == 200 and response.json()["publicity_ends_on"] == today
    response = post(client, application, "pay", {"amount_yuan": 180_000, "paid_on": today})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "paid" and body["paid_amount_yuan"] == 180_000
    steps = [(e["action"], e["from_status"], e["to_status"]) for e in body["events"]]
    assert steps == [
        ("submit", "", "submitted"),
        ("accept", "submitted", "under_review"),
        ("return", "under_review", "returned"),
        ("resubmit", "returned", "submitted"),
        ("accept", "submitted", "under_review"),
        ("approve", "under_review", "approved"),
        ("publicize", "approved", "publicity"),
        ("pay", "publicity", "paid"),
    ]
    assert all(e["actor"] for e in body["events"])
    assert post(client, application, "pay", {"amount_yuan": 1, "paid_on": today}).status_code == 409
    assert post(client, application, "comment", {"text": "已到账请查收"}).status_code == 200


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("return", {"items": ""}, "items"),
        ("return", {"items": "补", "correction_due_on": "2020-01-01"}, "correction_due_on"),
        ("reject", {}, "reason"),
        ("approve", {"amount_yuan": 0}, "amount_yuan"),
        ("approve", {"amount_yuan": "一万"}, "amount_yuan"),
        ("comment", {"text": ""}, "text"),
    ],
)
def test_step_input_is_400_per_field(world, client, submitted, action, data, field):
    application = submitted()
    client.force_login(world["staff"])
    if action == "approve":
        post(client, application, "accept")
    before = application.events.count()
    response = post(client, application, action, data)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert application.events.count() == before


def test_list_filters(world, client, submitted, regions):
    submitted()
    other_policy = make_policy(regions["daiyue"])
    submitted(policy=other_policy)
    client.force_login(world["staff"])
    body = client.get(URL, {"policy": other_policy.pk}).json()
    assert [row["policy"]["id"] for row in body["results"]] == [other_policy.pk]
    assert client.get(URL, {"status": "paid"}).json()["count"] == 0


def _many(world, count):
    """``count`` submitted applications of the personas' firm, each with a file and events."""
    firm, member = world["firm"], world["member"]
    for _ in range(count):
        policy = make_policy(firm.region)
        application = PolicyApplication.objects.create(
            enterprise=firm,
            policy=policy,
            year=2026,
            status="submitted",
            submitted_by=member,
            submitted_at=timezone.now(),
            review_due_on=timezone.localdate(),
            computed_amount_yuan=100_000,
        )
        ApplicationEvent.objects.create(
            application=application, action="submit", to_status="submitted", actor=member
        )


@pytest.mark.parametrize("persona", ["member", "staff", "admin"])
def test_list_page_and_endpoint_run_constant_queries(
    world, client, persona, django_assert_num_queries
):
    _many(world, 2)
    client.force_login(world[persona])
    with CaptureQueriesContext(connection) as small_page:
        assert client.get("/applications/").status_code == 200
    with CaptureQueriesContext(connection) as small_api:
        assert client.get(URL).json()["count"] == 2
    assert len(small_page.captured_queries) <= 10
    assert len(small_api.captured_queries) <= 7
    _many(world, 15)
    with django_assert_num_queries(len(small_page.captured_queries)):
        assert client.get("/applications/").status_code == 200
    with django_assert_num_queries(len(small_api.captured_queries)):
        assert client.get(URL).json()["count"] == 17
