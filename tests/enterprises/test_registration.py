import pytest
from django.urls import reverse

from accounts.models import User
from enterprises.models import Enterprise
from tests.factories import make_uscc

pytestmark = pytest.mark.django_db

GOOD = make_uscc(4242)
BAD = GOOD[:-1] + ("1" if GOOD[-1] != "1" else "2")


def form_data(regions, **overrides):
    data = {
        "uscc": GOOD,
        "name": "泰安新注册科技有限公司",
        "region": regions["daiyue"].pk,
        "contact_name": "刘洋",
        "contact_phone": "13805380000",
        "email": "liu@example.cn",
        "username": "new-firm",
        "password": "Qz7!long-enough-pass",
        "password_confirm": "Qz7!long-enough-pass",
        "consent": "on",
    }
    data.update(overrides)
    return data


def api_data(regions, **overrides):
    data = form_data(regions, **overrides)
    data.pop("password_confirm")
    data["region_code"] = regions["daiyue"].code
    data.pop("region")
    data["consent"] = True
    data.update(overrides)
    return data


def test_form_registers_firm_and_member_and_records_consent(client, regions):
    response = client.post(reverse("enterprises:register"), form_data(regions))
    assert response.status_code == 302
    enterprise = Enterprise.objects.get(uscc=GOOD)
    user = User.objects.get(username="new-firm")
    assert user.enterprise == enterprise
    assert user.role == "enterprise_member"
    assert user.privacy_consent_at is not None
    assert enterprise.verified_at is None


def test_form_refuses_bad_check_character_naming_the_field(client, regions):
    response = client.post(reverse("enterprises:register"), form_data(regions, uscc=BAD))
    assert response.status_code == 200
    assert response.context["form"].errors["uscc"] == [
        "统一社会信用代码校验位错误，请核对后重新输入。"
    ]
    assert "统一社会信用代码校验位错误" in response.content.decode()
    assert Enterprise.objects.count() == 0
    assert User.objects.count() == 0


def test_form_without_consent_saves_nothing(client, regions):
    data = form_data(regions)
    data.pop("consent")
    response = client.post(reverse("enterprises:register"), data)
    assert "consent" in response.context["form"].errors
    assert Enterprise.objects.count() == 0


def test_api_refuses_bad_uscc_with_a_chinese_message_per_field(client, regions):
    response = client.post(
        "/api/v1/enterprises/register/",
        api_data(regions, uscc=BAD, contact_phone="12"),
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["uscc"] == ["统一社会信用代码校验位错误，请核对后重新输入。"]
    assert body["contact_phone"] == ["请输入有效的手机号或带区号的固定电话。"]
    assert Enterprise.objects.count() == 0


def test_api_registers_and_ignores_extra_fields(client, regions):
    response = client.post(
        "/api/v1/enterprises/register/",
        api_data(regions, verified_at="2026-01-01T00:00:00Z", role="platform_admin"),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    enterprise = Enterprise.objects.get(uscc=GOOD)
    assert enterprise.verified_at is None
    assert User.objects.get(username="new-firm").role == "enterprise_member"


def test_duplicate_uscc_and_weak_password_are_reported_and_nothing_saved(client, regions):
    client.post("/api/v1/enterprises/register/", api_data(regions), content_type="application/json")
    response = client.post(
        "/api/v1/enterprises/register/",
        api_data(regions, username="second", password="12345678"),
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert "已注册" in body["uscc"][0]
    assert body["password"]
    assert User.objects.filter(username="second").count() == 0
    assert Enterprise.objects.count() == 1


@pytest.mark.parametrize("code", ["3709\x0011", "泰安", "", 370911, "9" * 40])
def test_a_malformed_region_code_is_a_field_error_not_a_server_error(client, regions, code):
    response = client.post(
        "/api/v1/enterprises/register/",
        api_data(regions, region_code=code),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["region_code"]
    assert not Enterprise.objects.exists()
