"""Anonymous catalogue lists come from the cache until the catalogue changes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from policies.services import policy_publish, policy_unpublish, policy_update
from tests.factories import LoanProductFactory, PolicyFactory


def _queries(client, url, params=None) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx), response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/policies/", "/api/v1/policies/"])
def test_a_repeated_anonymous_search_runs_no_query_and_a_change_shows_at_once(client, regions, url):
    policy = PolicyFactory(title="设备贷款贴息", region=regions["daiyue"])
    first, body = _queries(client, url, {"search": "贴息"})
    assert first > 0 and "设备贷款贴息" in body
    again, cached = _queries(client, url, {"search": "贴息"})
    assert again == 0 and cached == body
    # Any write through the services makes every cached list stale.
    policy_update(policy=policy, data={"title": "设备贷款贴息（修订）"})
    _, body = _queries(client, url, {"search": "贴息"})
    assert "设备贷款贴息（修订）" in body
    policy_unpublish(policy=policy)
    _, body = _queries(client, url, {"search": "贴息"})
    assert "设备贷款贴息" not in body
    policy_publish(policy=policy)
    assert "设备贷款贴息" in _queries(client, url, {"search": "贴息"})[1]


@pytest.mark.django_db
def test_different_queries_are_cached_apart(client, regions):
    PolicyFactory(title="设备贷款贴息", region=regions["daiyue"])
    PolicyFactory(title="上市奖励", region=regions["daiyue"])
    assert "设备贷款贴息" in client.get("/policies/", {"search": "贴息"}).content.decode()
    body = client.get("/policies/", {"search": "上市"}).content.decode()
    assert "上市奖励" in body and "设备贷款贴息" not in body


@pytest.mark.django_db
def test_signed_in_users_are_never_served_from_the_cache(client, personas, regions):
    LoanProductFactory(name="科创贷", description="信用贷款")
    assert _queries(client, "/products/")[0] > 0
    assert _queries(client, "/products/")[0] == 0
    client.force_login(personas["member"])
    signed_in, body = _queries(client, "/products/")
    assert signed_in > 0 and "保存此搜索" in body


@pytest.mark.django_db
def test_the_browsable_api_is_not_cached(regions):
    PolicyFactory(title="设备贷款贴息", region=regions["daiyue"])
    api = APIClient()
    api.get("/api/v1/policies/", HTTP_ACCEPT="text/html")
    with CaptureQueriesContext(connection) as ctx:
        api.get("/api/v1/policies/", HTTP_ACCEPT="text/html")
    assert len(ctx) > 0
    api.get("/api/v1/policies/")
    with CaptureQueriesContext(connection) as ctx:
        assert api.get("/api/v1/policies/").json()["count"] == 1
    assert len(ctx) == 0


@pytest.mark.django_db
def test_token_callers_share_the_json_answers_but_are_still_authenticated(personas, regions):
    from rest_framework.authtoken.models import Token

    policy = PolicyFactory(title="设备贷款贴息", region=regions["daiyue"])
    anonymous = APIClient().get("/api/v1/policies/", {"search": "贴息"}).content
    token = Token.objects.create(user=personas["member"]).key
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    with CaptureQueriesContext(connection) as ctx:
        response = api.get("/api/v1/policies/", {"search": "贴息"})
    assert response.status_code == 200 and response.content == anonymous
    # Only the token lookup: the list itself came from the cache.
    assert len(ctx) == 1 and "authtoken_token" in ctx.captured_queries[0]["sql"]
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    )
    bad = APIClient(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad.get("/api/v1/policies/", {"search": "贴息"}).status_code in (401, 403)
    # A change reaches token callers at once, as it does visitors.
    policy_update(policy=policy, data={"title": "设备贷款贴息（修订）"})
    assert (
        "（修订）" in api.get("/api/v1/policies/", {"search": "贴息"}).json()["results"][0]["title"]
    )


@pytest.mark.django_db
def test_cache_can_be_turned_off(client, regions, settings):
    settings.CATALOGUE_CACHE_SECONDS = 0
    PolicyFactory(title="设备贷款贴息", region=regions["daiyue"])
    client.get("/policies/")
    assert _queries(client, "/policies/")[0] > 0
