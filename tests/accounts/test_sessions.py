"""Passwords against common ones; session rotation at login; old cookies refused afterwards."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.services import user_activate, user_deactivate
from audit.models import AuditEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"


@pytest.mark.parametrize("common", ["password123", "qwertyuiop", "iloveyou1"])
def test_common_passwords_are_refused(common):
    with pytest.raises(ValidationError) as exc:
        validate_password(common)
    assert any(e.code == "password_too_common" for e in exc.value.error_list)


def test_registration_refuses_a_common_password(client, regions):
    from tests.enterprises.test_registration import api_data

    response = client.post(
        "/api/v1/enterprises/register/",
        api_data(regions, password="password123"),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "太常见" in "".join(response.json()["password"])


def test_session_key_rotates_at_login(client, regions):
    UserFactory(username="alice")
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    client.cookies["sessionid"] = before
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert after and after != before


def test_old_cookie_is_refused_after_logout(client, regions):
    UserFactory(username="alice")
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    cookie = client.cookies["sessionid"].value
    assert client.get(reverse("needs:list")).status_code == 200
    client.post(reverse("logout"))
    client.cookies["sessionid"] = cookie  # replay the old cookie
    response = client.get(reverse("needs:list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_old_cookie_and_token_are_refused_after_deactivation(client, regions):
    user = UserFactory(username="alice")
    admin = UserFactory(username="root", role="platform_admin", is_superuser=True)
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    token = client.post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": PASSWORD},
        content_type="application/json",
    ).json()["token"]
    assert client.get(reverse("needs:list")).status_code == 200
    user_deactivate(user=user, actor=admin)
    response = client.get(reverse("needs:list"))
    assert response.status_code == 302
    assert client.get("/api/v1/needs/", HTTP_AUTHORIZATION=f"Token {token}").status_code in (
        401,
        403,
    )
    assert not Token.objects.filter(user=user).exists()
    # The audit record names the change and who made it; reactivation does not revive the token.
    entry = AuditEntry.objects.get(action="user.deactivate")
    assert entry.actor == admin and entry.changes == {"is_active": [True, False]}
    user_activate(user=user, actor=admin)
    assert client.get("/api/v1/needs/", HTTP_AUTHORIZATION=f"Token {token}").status_code in (
        401,
        403,
    )


def test_api_logout_deletes_the_token(client, regions):
    UserFactory(username="alice")
    token = client.post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": PASSWORD},
        content_type="application/json",
    ).json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert client.post("/api/v1/auth/logout/", **auth).status_code == 204
    assert client.get("/api/v1/needs/", **auth).status_code in (401, 403)
