import pytest

pytestmark = pytest.mark.django_db


def test_public_pages_carry_security_headers(client):
    response = client.get("/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "no-store" not in response.get("Cache-Control", "")


def test_pages_for_a_signed_in_user_are_not_stored(client, personas):
    client.force_login(personas["member"])
    response = client.get("/home/")
    assert "no-store" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]
    api = client.get("/api/v1/enterprises/me/")
    assert "no-store" in api["Cache-Control"]


def test_hsts_is_sent_over_https(client):
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_session_and_csrf_cookies_are_secure_and_httponly(client, personas):
    response = client.post(
        "/accounts/login/", {"username": "member", "password": "correct-horse-battery-9"}
    )
    cookie = response.cookies["sessionid"]
    assert cookie["secure"]
    assert cookie["httponly"]


# --- Every page, from the URL resolver -----------------------------------------------------------

HEADER_ROLES = ("anonymous", "member", "officer", "staff", "admin")


def _get_paths(world):
    """Every endpoint with a GET row in the authorisation matrix, on side A's objects."""
    from django.urls import reverse

    from tests.security.matrix import TABLE

    for key, entry in sorted(TABLE.items()):
        for case in entry.cases:
            if "GET" in case.expect:
                yield key, reverse(key, kwargs=case.kwargs(world))


def test_every_page_carries_the_security_headers(world, client, login_as):
    """HSTS (over HTTPS), nosniff, frame protection, Referrer-Policy on every answer, whatever
    its status; and ``no-store`` on everything a signed-in user is shown."""
    failures = []
    paths = list(_get_paths(world))
    assert len(paths) > 40
    for role in HEADER_ROLES:
        login_as(world, role)
        for key, path in paths:
            response = client.get(path, secure=True)
            where = f"{path} ({key}) as {role} [{response.status_code}]"
            expected = {
                "X-Content-Type-Options": "nosniff",
                "X-Frame-Options": "DENY",
                "Referrer-Policy": "same-origin",
            }
            for header, value in expected.items():
                if response.get(header) != value:
                    failures.append(f"{where}: {header}={response.get(header)!r}")
            hsts = response.get("Strict-Transport-Security", "")
            if not (hsts.startswith("max-age=31536000") and "includeSubDomains" in hsts):
                failures.append(f"{where}: Strict-Transport-Security={hsts!r}")
            if role != "anonymous" and "no-store" not in response.get("Cache-Control", ""):
                failures.append(f"{where}: Cache-Control={response.get('Cache-Control')!r}")
    assert not failures, "\n".join(failures)


def test_api_answers_to_a_token_are_not_stored(world, client, api_token):
    for path in ("/api/v1/needs/", "/api/v1/enterprises/me/", f"/api/v1/needs/{world['need'].pk}/"):
        response = client.get(path, **api_token(world["member"]))
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path


def test_personal_pages_reached_by_a_signed_link_are_not_stored(world, client):
    """The unsubscribe page names the user's saved search: no-store even without a session."""
    from django.urls import reverse

    path = reverse("catalogue:unsubscribe", kwargs={"token": world["unsubscribe_token"]})
    response = client.get(path)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_csrf_cookie_is_secure_and_httponly(client):
    response = client.get("/accounts/login/")
    cookie = response.cookies["csrftoken"]
    assert cookie["secure"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_production_settings_send_hsts_for_a_year_with_subdomains():
    """The production values come from the same settings module, with nothing overridden."""
    from django.conf import settings

    assert settings.SECURE_HSTS_SECONDS >= 31536000
    assert settings.SECURE_HSTS_INCLUDE_SUBDOMAINS
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
    assert settings.X_FRAME_OPTIONS == "DENY"
