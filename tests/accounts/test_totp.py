"""TOTP second factor: RFC 6238 codes, enrolment page, the code step at login and in the API."""

import base64
import time

import pytest
from django.urls import reverse

from accounts import totp
from accounts.models import TOTPDevice
from accounts.services import totp_check, totp_enrol_confirm, totp_enrol_start
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"
# RFC 6238 appendix B: the SHA-1 secret "12345678901234567890".
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("timestamp", "code"),
    [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")],
)
def test_codes_match_rfc_6238_vectors(timestamp, code):
    assert totp.code_for(RFC_SECRET, totp.counter_at(timestamp)) == code
    assert totp.matching_counter(RFC_SECRET, code, timestamp=timestamp) is not None


def test_a_used_step_and_a_distant_code_never_match():
    now = 1_700_000_000
    counter = totp.counter_at(now)
    code = totp.code_for(RFC_SECRET, counter)
    assert totp.matching_counter(RFC_SECRET, code, after=counter, timestamp=now) is None
    far = totp.code_for(RFC_SECRET, counter + 5)
    assert totp.matching_counter(RFC_SECRET, far, timestamp=now) is None
    assert totp.matching_counter(RFC_SECRET, "12ab56", timestamp=now) is None


def _code(user) -> str:
    return totp.code_for(user.totp_device.secret, totp.counter_at())


@pytest.fixture
def officer(personas):
    return personas["officer"]


def _enrol(user):
    device = totp_enrol_start(user=user)
    totp_enrol_confirm(user=user, code=totp.code_for(device.secret, totp.counter_at() - 1))
    user.refresh_from_db()
    return device


def test_enrolment_page_shows_a_secret_and_enables_with_a_code(client, officer):
    client.force_login(officer)
    page = client.post(reverse("accounts:otp_settings"), {"step": "start"})
    secret = page.context["secret"]
    assert secret in page.content.decode() and page.context["uri"].startswith("otpauth://totp/")
    wrong = client.post(reverse("accounts:otp_settings"), {"step": "confirm", "code": "000000"})
    assert wrong.status_code == 400
    assert "动态验证码不正确" in wrong.content.decode()
    assert not TOTPDevice.objects.get(user=officer).is_confirmed
    code = totp.code_for(secret, totp.counter_at())
    done = client.post(reverse("accounts:otp_settings"), {"step": "confirm", "code": code})
    assert done.status_code == 302
    assert TOTPDevice.objects.get(user=officer).is_confirmed
    assert AuditEntry.objects.filter(action="user.totp_enable", object_id=str(officer.pk)).exists()


def test_firm_members_have_no_enrolment_page(client, personas):
    client.force_login(personas["member"])
    assert client.get(reverse("accounts:otp_settings")).status_code == 403


def test_login_asks_for_the_code_before_logging_in(client, officer):
    _enrol(officer)
    response = client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:otp_verify")
    assert "_auth_user_id" not in client.session  # not logged in after the password alone
    assert client.get(reverse("needs:list")).status_code == 302
    bad = client.post(reverse("accounts:otp_verify"), {"code": "000000"})
    assert bad.status_code == 400 and "_auth_user_id" not in client.session
    pending_key = client.cookies["sessionid"].value
    ok = client.post(reverse("accounts:otp_verify"), {"code": _code(officer)})
    assert ok.status_code == 302
    assert client.session["_auth_user_id"] == str(officer.pk)
    assert client.cookies["sessionid"].value != pending_key  # rotated again at login


def test_a_code_cannot_be_replayed(officer):
    _enrol(officer)
    code = _code(officer)
    assert totp_check(user=officer, code=code) is True
    assert totp_check(user=officer, code=code) is False


def test_the_code_step_expires(client, officer, monkeypatch):
    _enrol(officer)
    client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    later = time.time() + 301
    monkeypatch.setattr("accounts.views.time.time", lambda: later)
    response = client.post(reverse("accounts:otp_verify"), {"code": _code(officer)})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_wrong_codes_run_into_the_lockout(client, officer):
    _enrol(officer)
    client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    statuses = [
        client.post(reverse("accounts:otp_verify"), {"code": "000000"}).status_code
        for _ in range(5)
    ]
    assert statuses[-1] == 429


def test_api_login_requires_the_code(client, officer):
    _enrol(officer)
    data = {"username": "officer", "password": PASSWORD}
    missing = client.post("/api/v1/auth/token/", data, content_type="application/json")
    assert missing.status_code == 400 and "otp" in missing.json()
    wrong = client.post(
        "/api/v1/auth/token/", {**data, "otp": "000000"}, content_type="application/json"
    )
    assert wrong.status_code == 400
    ok = client.post(
        "/api/v1/auth/token/", {**data, "otp": _code(officer)}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["token"]


def test_disabling_needs_a_current_code(client, officer):
    _enrol(officer)
    client.force_login(officer)
    refused = client.post(reverse("accounts:otp_settings"), {"step": "disable", "code": "000000"})
    assert refused.status_code == 400
    assert TOTPDevice.objects.filter(user=officer).exists()
    ok = client.post(reverse("accounts:otp_settings"), {"step": "disable", "code": _code(officer)})
    assert ok.status_code == 302
    assert not TOTPDevice.objects.filter(user=officer).exists()
