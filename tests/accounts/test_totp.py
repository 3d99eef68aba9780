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


def _stored(device_pk) -> str:
    """The secret column as the database holds it, bypassing the model."""
    from django.db import connection

    with connection.cursor() as cursor:
        table = connection.ops.quote_name(TOTPDevice._meta.db_table)
        cursor.execute(f"SELECT secret_encrypted FROM {table} WHERE id = %s", [device_pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_the_secret_is_stored_encrypted_and_still_verifies(client, officer):
    client.force_login(officer)
    page = client.post(reverse("accounts:otp_settings"), {"step": "start"})
    secret = page.context["secret"]
    device = TOTPDevice.objects.get(user=officer)
    stored = _stored(device.pk)
    assert secret not in stored and secret.lower() not in stored.lower()
    assert stored.startswith("gAAAAA")  # a Fernet token
    assert device.secret == secret
    # Re-encrypting gives a different ciphertext every time (random IV), same secret.
    from accounts.crypto import decrypt_secret, encrypt_secret

    assert encrypt_secret(secret) != encrypt_secret(secret)
    assert decrypt_secret(encrypt_secret(secret)) == secret
    code = totp.code_for(secret, totp.counter_at())
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = client.post(reverse("accounts:otp_settings"), {"step": "confirm", "code": wrong})
    assert refused.status_code == 400 and not TOTPDevice.objects.get(user=officer).is_confirmed
    done = client.post(reverse("accounts:otp_settings"), {"step": "confirm", "code": code})
    assert done.status_code == 302 and TOTPDevice.objects.get(user=officer).is_confirmed
    assert secret not in _stored(device.pk)
    # Login with the encrypted secret: a wrong code is refused, the right one logs in.
    client.logout()
    client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    assert client.post(reverse("accounts:otp_verify"), {"code": wrong}).status_code == 400
    next_code = totp.code_for(secret, totp.counter_at() + 1)
    assert client.post(reverse("accounts:otp_verify"), {"code": next_code}).status_code == 302
    assert client.session["_auth_user_id"] == str(officer.pk)


def test_enrolment_shows_an_inline_svg_qr_code_and_the_manual_key(client, officer):
    client.force_login(officer)
    page = client.post(reverse("accounts:otp_settings"), {"step": "start"})
    html = page.content.decode()
    assert page.context["qr_svg"].startswith("<svg") and page.context["qr_svg"] in html
    assert 'class="otp-qr"' in html and "<title>身份验证器扫描用二维码</title>" in html
    assert page.context["secret"] in html  # the manual key stays as text
    assert "no-store" in page["Cache-Control"]  # the secret is never kept by a cache
    # Drawn on the server: no image fetched from anywhere, the secret never leaves in a URL.
    assert "<img" not in html.split('id="otp-status"')[1].split("<h2>")[0]
    import segno

    assert (
        segno.make(page.context["uri"], error="m").svg_inline(
            scale=4, border=4, title="身份验证器扫描用二维码", svgclass="otp-qr", lineclass=None
        )
        == page.context["qr_svg"]
    )


def test_a_deployment_without_its_own_key_refuses(settings):
    from django.core.exceptions import ImproperlyConfigured

    from accounts import crypto
    from accounts.checks import check_totp_encryption_key

    settings.DEBUG = False
    settings.SECRET_KEY = "a-real-production-secret-key-" + "x" * 40
    settings.TOTP_ENCRYPTION_KEY = []
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt_secret("JBSWY3DPEHPK3PXP")
    assert [e.id for e in check_totp_encryption_key(None)] == ["accounts.E001"]
    settings.TOTP_ENCRYPTION_KEY = ["not-a-fernet-key"]
    assert [e.id for e in check_totp_encryption_key(None)] == ["accounts.E002"]


def test_a_configured_key_encrypts_and_rotation_keeps_old_rows_readable(settings):
    from cryptography.fernet import Fernet
    from django.core.exceptions import ImproperlyConfigured

    from accounts import crypto
    from accounts.checks import check_totp_encryption_key

    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.TOTP_ENCRYPTION_KEY = [old_key]
    stored = crypto.encrypt_secret("JBSWY3DPEHPK3PXP")
    assert Fernet(old_key.encode()).decrypt(stored.encode()) == b"JBSWY3DPEHPK3PXP"
    assert check_totp_encryption_key(None) == []
    settings.TOTP_ENCRYPTION_KEY = [new_key, old_key]
    assert crypto.decrypt_secret(stored) == "JBSWY3DPEHPK3PXP"
    settings.TOTP_ENCRYPTION_KEY = [new_key]
    with pytest.raises(ImproperlyConfigured):
        crypto.decrypt_secret(stored)


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_plain_secrets(personas):
    """Rows written by 0003 (plain base32) are encrypted by 0004, and still verify."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("accounts", "0003_totp_session_generation")]
    after = [("accounts", "0004_totp_secret_encrypted")]
    officer = personas["officer"]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    plain = totp.new_secret()
    old_apps.get_model("accounts", "TOTPDevice").objects.create(user_id=officer.pk, secret=plain)
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    device = TOTPDevice.objects.get(user=officer)
    assert plain not in _stored(device.pk) and _stored(device.pk).startswith("gAAAAA")
    assert device.secret == plain
    device.confirmed_at = device.created_at
    device.save(update_fields=["confirmed_at"])
    assert totp_check(user=officer, code=totp.code_for(plain, totp.counter_at())) is True
    assert totp_check(user=officer, code="000000") is False


def test_check_deploy_refuses_a_missing_totp_key():
    """A deployment without its own TOTP_ENCRYPTION_KEY fails ``check --deploy`` (CI runs it)."""
    from tests.portal.test_settings import check_deploy, production_env

    env = production_env()
    env.pop("TOTP_ENCRYPTION_KEY")
    result = check_deploy(env)
    assert result.returncode != 0
    assert "accounts.E001" in result.stdout + result.stderr
