"""Lists and pages of objects keyed by their own id show each role its own rows and no other's.

The matrix (test_authz_matrix.py) proves foreign ids answer 404 and searches every page for
foreign markers; this proves the lists are not simply empty: each side's staff find their own
review and deletion requests, the admin finds both, and the other side's rows never appear.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

FIRM_A, FIRM_B = "firm", "other_firm"


def _page(login_as, world, role, name, **kwargs):
    client = login_as(world, role)
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200, (name, role, response.status_code)
    return response.content.decode()


@pytest.mark.parametrize("name", ["privacy:staff_reviews", "privacy:staff_requests"])
@pytest.mark.parametrize(
    ("role", "sees", "never"),
    [
        ("staff", [FIRM_A], [FIRM_B]),
        ("other_staff", [FIRM_B], [FIRM_A]),
        ("admin", [FIRM_A, FIRM_B], []),
    ],
)
def test_privacy_lists_hold_own_rows_only(world, login_as, name, role, sees, never):
    html = _page(login_as, world, role, name)
    for firm in sees:
        assert world[firm].name in html
    for firm in never:
        assert world[firm].name not in html
        assert world[firm].uscc not in html


def test_review_pages_show_the_reason_to_their_region_only(world, login_as, client):
    html = _page(login_as, world, "staff", "privacy:staff_review_answer", pk=world["review"].pk)
    assert "甲方复核理由标记" in html and "乙方复核理由标记" not in html
    for pk in (world["other_review"].pk,):
        response = client.get(reverse("privacy:staff_review_answer", kwargs={"pk": pk}))
        assert response.status_code == 404
    html = _page(
        login_as, world, "admin", "privacy:staff_review_answer", pk=world["other_review"].pk
    )
    assert "乙方复核理由标记" in html


def test_my_data_lists_the_firms_own_requests_only(world, login_as):
    html = _page(login_as, world, "member", "privacy:my_data")
    assert world["policy"].title in html
    assert world["other_policy"].title not in html
    assert world[FIRM_B].name not in html


def test_jobs_answer_their_requester_only(world, login_as, client):
    login_as(world, "staff")
    mine = client.get(
        reverse("dashboards:job", kwargs={"pk": world["job"].pk}), HTTP_ACCEPT="application/json"
    )
    assert mine.status_code == 200 and mine.json()["message"] == "甲方任务标记"
    theirs = client.get(
        reverse("dashboards:job", kwargs={"pk": world["other_job"].pk}),
        HTTP_ACCEPT="application/json",
    )
    assert theirs.status_code == 404
    download = client.get(reverse("dashboards:job_download", kwargs={"pk": world["job"].pk}))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"PK\x03\x04"


def test_bulletins_download_for_their_region_only(world, login_as, client):
    login_as(world, "other_staff")
    own = client.get(
        reverse(
            "dashboards:bulletin_download", kwargs={"pk": world["other_bulletin"].pk, "fmt": "pdf"}
        )
    )
    assert own.status_code == 200 and b"".join(own.streaming_content).startswith(b"%PDF")
    foreign = client.get(
        reverse("dashboards:bulletin_download", kwargs={"pk": world["bulletin"].pk, "fmt": "pdf"})
    )
    assert foreign.status_code == 404


def test_the_calendar_lists_the_override_to_every_districts_staff(world, login_as):
    for role in ("staff", "other_staff", "admin"):
        assert "工作日调整标记" in _page(login_as, world, role, "workdays:calendar")
