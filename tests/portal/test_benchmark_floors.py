"""The load test's floors answer as the endpoints they stand for: signed in, or refused."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token


@pytest.fixture
def bench_urls(settings):
    settings.ROOT_URLCONF = "benchmarks.dashboard_urls"


def test_page_floor_is_a_signed_in_page(bench_urls, client, personas):
    anonymous = client.get("/bench/floor/page/")
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    client.force_login(personas["member"])
    page = client.get("/bench/floor/page/")
    assert page.status_code == 200
    assert "融资服务门户" in page.content.decode()


def test_json_floor_needs_a_token(bench_urls, client, personas):
    assert client.get("/bench/floor/json/").status_code in (401, 403)
    key = Token.objects.create(user=personas["member"]).key
    answer = client.get("/bench/floor/json/", HTTP_AUTHORIZATION=f"Token {key}")
    assert answer.status_code == 200 and answer.json() == {"ok": True}
