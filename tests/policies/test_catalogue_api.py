"""/api/v1/policies/: the contract's fields and parameters, and a constant number of queries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import PolicyFactory

CONTRACT_FIELDS = {
    "id",
    "title",
    "issuer",
    "region_code",
    "support_type",
    "valid_from",
    "valid_to",
    "source",
}


@pytest.fixture
def api():
    return APIClient()


@pytest.mark.django_db
def test_list_has_the_contract_fields_and_is_public(api, regions):
    PolicyFactory(
        title="贷款贴息",
        region=regions["city"],
        support_type="贴息",
        source_file="001.txt",
        source_passage="原文",
    )
    response = api.get("/api/v1/policies/")
    assert response.status_code == 200
    row = response.json()["results"][0]
    assert set(row) >= CONTRACT_FIELDS
    assert row["region_code"] == "370900" and row["support_type"] == "贴息"
    assert row["source"]["file"] == "001.txt" and row["source"]["passage"] == "原文"


@pytest.mark.django_db
def test_expired_hidden_by_default_listed_with_include_expired(api, regions):
    today = timezone.localdate()
    PolicyFactory(
        title="在有效期内", valid_from=today - timedelta(days=9), valid_to=today + timedelta(days=1)
    )
    PolicyFactory(title="已过期", valid_from=date(2020, 1, 1), valid_to=date(2020, 12, 31))
    PolicyFactory(title="草稿", publish=False)
    titles = [r["title"] for r in api.get("/api/v1/policies/").json()["results"]]
    assert titles == ["在有效期内"]
    rows = api.get("/api/v1/policies/", {"include_expired": "true"}).json()["results"]
    assert {r["title"]: r["expired"] for r in rows} == {"在有效期内": False, "已过期": True}
    on_date = api.get("/api/v1/policies/", {"in_force_on": "2020-06-01"}).json()["results"]
    assert [r["title"] for r in on_date] == ["已过期"]


@pytest.mark.django_db
def test_region_code_lists_the_district_city_and_province_policies(api, regions):
    from tests.factories import RegionFactory

    province = RegionFactory(code="370000", name="山东省")
    PolicyFactory(title="省级", region=province)
    PolicyFactory(title="市级", region=regions["city"])
    PolicyFactory(title="岱岳区", region=regions["daiyue"])
    PolicyFactory(title="泰山区", region=regions["taishan"])
    PolicyFactory(title="青岛", region=regions["qingdao"])
    rows = api.get("/api/v1/policies/", {"region_code": "370911"}).json()["results"]
    assert {r["title"] for r in rows} == {"省级", "市级", "岱岳区"}


@pytest.mark.django_db
def test_search_and_support_type(api, regions):
    PolicyFactory(title="贷款贴息政策", support_type="贴息")
    PolicyFactory(title="算力补贴", support_type="算力券", summary="算力券")
    rows = api.get("/api/v1/policies/", {"search": "算力"}).json()["results"]
    assert [r["title"] for r in rows] == ["算力补贴"]
    rows = api.get("/api/v1/policies/", {"support_type": "贴息"}).json()["results"]
    assert [r["title"] for r in rows] == ["贷款贴息政策"]
    assert api.get("/api/v1/policies/", {"support_type": "无此类"}).status_code == 400


@pytest.mark.django_db
def test_detail_and_unknown(api, regions):
    policy = PolicyFactory()
    draft = PolicyFactory(publish=False)
    assert api.get(f"/api/v1/policies/{policy.pk}/").json()["id"] == policy.pk
    assert api.get(f"/api/v1/policies/{draft.pk}/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("search", ["", "贴息"])
def test_list_runs_constant_queries_whatever_the_size(
    api, regions, django_assert_num_queries, search, settings
):
    settings.CATALOGUE_CACHE_SECONDS = 0  # the queries of a real render, not of a cache hit

    def count_queries(n: int) -> int:
        for _ in range(n):
            PolicyFactory(summary="贷款贴息", region=regions["daiyue"])
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            response = api.get("/api/v1/policies/", {"search": search, "page_size": 100})
        assert response.status_code == 200
        return len(ctx)

    small = count_queries(2)
    large = count_queries(40)
    assert small == large
    with django_assert_num_queries(small):
        api.get("/api/v1/policies/", {"search": search, "page_size": 100})


@pytest.mark.django_db
def test_openapi_schema_and_docs(api):
    schema = api.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/policies/" in schema.content and b"/api/v1/products/" in schema.content
    assert b"include_expired" in schema.content
    assert api.get("/api/v1/docs/").status_code == 200
