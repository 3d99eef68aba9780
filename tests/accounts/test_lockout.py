"""Lockout after repeated failed logins, through the login form and the API (django-axes)."""

import logging

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from audit.models import AuditEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"


@pytest.fixture
def user(regions):
    return UserFactory(username="firm-user")


def _form_login(client, password, ip="127.0.0.1"):
    return client.post(
        reverse("login"), {"username": "firm-user", "password": password}, REMOTE_ADDR=ip
    )


def _api_login(client, password, ip="127.0.0.1"):
    return client.post(
        "/api/v1/auth/token/",
        {"username": "firm-user", "password": password},
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


def test_cool_off_and_limit_are_set_explicitly(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"], "username"]
    assert settings.AXES_USERNAME_FAILURE_LIMIT == 20


def test_form_locks_out_after_five_failures_with_a_chinese_message(client, user, caplog):
    for _ in range(4):
        assert _form_login(client, "wrong").status_code == 200
    with caplog.at_level(logging.WARNING, logger="accounts.lockout"):
        response = _form_login(client, "wrong")
    assert response.status_code == 429
    text = response.content.decode()
    assert "登录失败次数过多" in text and "15 分钟后再试" in text
    # Even the right password is refused during the cool-off.
    locked = _form_login(client, PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # The event is logged (without the username) and kept in the audit record.
    assert any("login locked out" in r.getMessage() for r in caplog.records)
    assert all("firm-user" not in r.getMessage() for r in caplog.records)
    entry = AuditEntry.objects.filter(action="user.locked_out").first()
    assert entry is not None and entry.object_id == str(user.pk)
    assert entry.changes == {"channel": "form"}
    assert AccessAttempt.objects.get(username="firm-user").failures_since_start >= 5


def test_api_locks_out_after_five_failures_with_json(client, user):
    for _ in range(4):
        response = _api_login(client, "wrong")
        assert response.status_code == 400
        assert response.json() == {"non_field_errors": ["用户名或密码不正确。"]}
    response = _api_login(client, "wrong")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.json()["detail"]
    assert _api_login(client, PASSWORD).status_code == 429
    assert AuditEntry.objects.filter(action="user.locked_out", changes__channel="api").exists()


def test_form_and_api_failures_count_together(client, user):
    for _ in range(3):
        _form_login(client, "wrong")
    _api_login(client, "wrong")
    assert _api_login(client, "wrong").status_code == 429


def test_cool_off_ends_and_success_resets_the_count(client, user, settings):
    from datetime import timedelta

    for _ in range(4):
        _form_login(client, "wrong")
    assert _form_login(client, PASSWORD).status_code == 302  # success clears the failures
    client.logout()
    for _ in range(4):
        assert _form_login(client, "wrong").status_code == 200
    # After the cool-off the account opens again.
    for _ in range(2):
        _form_login(client, "wrong")
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.first().attempt_time - timedelta(minutes=16)
    )
    assert _form_login(client, PASSWORD).status_code == 302


def test_api_token_login_works_and_the_token_authenticates(client, user):
    response = _api_login(client, PASSWORD)
    assert response.status_code == 200
    token = response.json()["token"]
    me = client.get("/api/v1/needs/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200


def _spread_failures(client, count, login=_form_login):
    """``count`` wrong passwords, each from another address (4 per address at most)."""
    for n in range(count):
        response = login(client, "wrong", ip=f"10.0.{n // 4}.{n % 4 + 1}")
        assert response.status_code in (200, 400)


def test_form_locks_the_username_against_guessing_from_many_addresses(client, user, caplog):
    _spread_failures(client, 19)  # no address ever reaches 5, so the pair count never locks
    with caplog.at_level(logging.WARNING, logger="accounts.lockout"):
        response = _form_login(client, "wrong", ip="10.9.9.9")
    assert response.status_code == 429
    text = response.content.decode()
    assert "登录失败次数过多" in text and "15 分钟后再试" in text
    # From a fresh address, with the right password, the account stays locked for the cool-off.
    assert _form_login(client, PASSWORD, ip="192.0.2.1").status_code == 429
    assert _api_login(client, PASSWORD, ip="192.0.2.2").status_code == 429
    assert "_auth_user_id" not in client.session
    assert any("login locked out" in r.getMessage() for r in caplog.records)
    assert AuditEntry.objects.filter(
        action="user.locked_out", object_id=str(user.pk), changes__channel="form"
    ).exists()


def test_api_locks_the_username_against_guessing_from_many_addresses(client, user):
    _spread_failures(client, 19, login=_api_login)
    response = _api_login(client, "wrong", ip="10.9.9.9")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.json()["detail"]
    assert _api_login(client, PASSWORD, ip="192.0.2.1").status_code == 429
    assert _form_login(client, PASSWORD, ip="192.0.2.2").status_code == 429
    assert AuditEntry.objects.filter(action="user.locked_out", changes__channel="api").exists()


def test_a_stranger_below_the_username_limit_does_not_lock_the_firm_out(client, user):
    _spread_failures(client, 16)
    assert _form_login(client, PASSWORD, ip="192.0.2.1").status_code == 302
    client.logout()
    # Success cleared the count; the per-address lockout still comes at 5 from one address.
    for _ in range(4):
        assert _api_login(client, "wrong", ip="10.7.7.7").status_code == 400
    assert _api_login(client, "wrong", ip="10.7.7.7").status_code == 429
    assert _api_login(client, PASSWORD, ip="192.0.2.3").status_code == 200


def test_username_lockout_ends_after_the_cool_off(client, user):
    from datetime import timedelta

    _spread_failures(client, 19)
    assert _form_login(client, "wrong", ip="10.9.9.9").status_code == 429  # the 20th locks
    assert _form_login(client, PASSWORD, ip="192.0.2.1").status_code == 429
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.first().attempt_time - timedelta(minutes=16)
    )
    assert _form_login(client, PASSWORD, ip="192.0.2.1").status_code == 302
