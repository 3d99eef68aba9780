"""Token authentication: the user in one statement, DRF's refusals for unknown keys and
inactive users."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.services import user_deactivate

pytestmark = pytest.mark.django_db


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_signs_its_user_in_with_one_query(personas, django_assert_num_queries):
    member = personas["member"]
    token = Token.objects.create(user=member)
    client = _client(token.key)
    # the token's user, then the firm's needs (no second read of the user)
    with django_assert_num_queries(2) as queries:
        response = client.get("/api/v1/needs/")
    assert response.status_code == 200
    assert "authtoken_token" in queries.captured_queries[0]["sql"]
    assert sum("authtoken_token" in q["sql"] for q in queries.captured_queries) == 1


def test_unknown_key_is_refused(personas):
    response = _client("0" * 40).get("/api/v1/needs/")
    # 403, not 401: session authentication comes first and names no WWW-Authenticate scheme
    assert response.status_code == 403
    assert response.json()["detail"] in ("Invalid token.", "认证令牌无效。")


def test_an_inactive_users_token_is_refused(personas):
    member = personas["member"]
    token = Token.objects.create(user=member)
    assert _client(token.key).get("/api/v1/needs/").status_code == 200
    member.is_active = False
    member.save(update_fields=["is_active"])  # even a token left behind by a direct write
    assert _client(token.key).get("/api/v1/needs/").status_code == 403
    member.is_active = True
    member.save(update_fields=["is_active"])
    user_deactivate(user=member, actor=None)  # the service deletes the token outright
    assert not Token.objects.filter(key=token.key).exists()
    assert _client(token.key).get("/api/v1/needs/").status_code == 403


def test_the_tokens_user_is_read_whole_by_named_columns(personas):
    """Every column is named in the statement (no ``u.*``, whose prepared result shape a
    migration could change) and none is left deferred to a second query."""
    from accounts.authentication import PortalTokenAuthentication, _user_by_token_sql

    member = personas["member"]
    token = Token.objects.create(user=member)
    user, found = PortalTokenAuthentication().authenticate_credentials(token.key)
    assert user.pk == member.pk and found.user is user
    assert user.get_deferred_fields() == set()
    assert (user.enterprise_id, user.role, user.username) == (
        member.enterprise_id,
        member.role,
        member.username,
    )
    assert "u.*" not in _user_by_token_sql()
