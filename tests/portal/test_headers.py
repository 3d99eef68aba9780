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
