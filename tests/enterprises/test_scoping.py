import pytest

from enterprises.models import Enterprise
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "sees_own", "sees_other"),
    [
        ("member", True, False),
        ("other_member", False, True),
        ("officer", False, False),
        ("staff", True, False),
        ("city_staff", True, False),
        ("other_staff", False, True),  # 青岛市 staff see 黄岛区 firms
        ("admin", True, True),
    ],
)
def test_for_user_scopes_enterprises(personas, persona, sees_own, sees_other):
    visible = set(Enterprise.objects.for_user(personas[persona]))
    assert (personas["firm"] in visible) is sees_own
    assert (personas["other_firm"] in visible) is sees_other


@pytest.mark.parametrize(
    ("persona", "target"),
    [
        ("member", "other_firm"),
        ("officer", "other_firm"),
        ("other_staff", "firm"),
        ("staff", "other_firm"),
    ],
)
def test_api_gives_404_for_foreign_enterprise(client, personas, persona, target):
    client.force_login(personas[persona])
    target = personas[target]
    assert client.get(f"/api/v1/enterprises/{target.pk}/").status_code == 404


def test_anonymous_cannot_list_enterprises(client, personas):
    assert client.get("/api/v1/enterprises/").status_code in (401, 403)


def test_member_patches_own_profile_and_size_is_derived(client, personas):
    client.force_login(personas["member"])
    response = client.patch(
        "/api/v1/enterprises/me/",
        {
            "employees": 350,
            "annual_revenue_yuan": 30_000_000,
            "uscc": "X",
            "verified_at": "2020-01-01T00:00:00Z",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    firm = Enterprise.objects.get(pk=personas["firm"].pk)
    assert firm.size_class == "medium"
    assert firm.uscc == personas["firm"].uscc
    assert firm.verified_at is None


def test_profile_patch_rejects_negative_money(client, personas):
    client.force_login(personas["member"])
    response = client.patch(
        "/api/v1/enterprises/me/", {"annual_revenue_yuan": -5}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "annual_revenue_yuan" in response.json()


def test_staff_list_runs_constant_queries(client, personas, regions, django_assert_num_queries):
    client.force_login(personas["staff"])
    EnterpriseFactory.create_batch(3, region=regions["daiyue"])
    # user, user's region, enterprises (the session comes from the cache)
    with django_assert_num_queries(3) as small:
        client.get("/enterprises/staff/")
    EnterpriseFactory.create_batch(20, region=regions["daiyue"])
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get("/enterprises/staff/")
    assert response.status_code == 200


def test_api_list_runs_constant_queries(client, personas, regions, django_assert_num_queries):
    client.force_login(personas["staff"])
    EnterpriseFactory.create_batch(2, region=regions["daiyue"])
    # user, user's region, count, page (the session comes from the cache)
    with django_assert_num_queries(4) as small:
        client.get("/api/v1/enterprises/")
    EnterpriseFactory.create_batch(15, region=regions["daiyue"])
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get("/api/v1/enterprises/")
    assert response.json()["count"] == 18
