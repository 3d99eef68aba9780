"""Public policy pages: browse, filters, expired marked, detail with the source passage."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import PolicyFactory


@pytest.mark.django_db
def test_list_searches_and_marks_expired(client, regions):
    PolicyFactory(title="新增设备贷款贴息", region=regions["daiyue"])
    PolicyFactory(title="旧贴息政策", valid_from=date(2020, 1, 1), valid_to=date(2020, 12, 31))
    page = client.get("/policies/", {"q": "贴息"}).content.decode()
    assert "新增设备贷款贴息" in page and "旧贴息政策" not in page
    page = client.get("/policies/", {"search": "贴息", "include_expired": "on"}).content.decode()
    assert "旧贴息政策" in page and "已过期" in page
    assert '<label for="id_search">关键词' in page


@pytest.mark.django_db
def test_region_filter_shows_city_and_district_together(client, regions):
    PolicyFactory(title="市级政策", region=regions["city"])
    PolicyFactory(title="岱岳政策", region=regions["daiyue"])
    PolicyFactory(title="泰山政策", region=regions["taishan"])
    page = client.get("/policies/", {"region_code": "370911"}).content.decode()
    assert "市级政策" in page and "岱岳政策" in page and "泰山政策" not in page


@pytest.mark.django_db
def test_detail_shows_terms_and_source_passage(client, regions):
    policy = PolicyFactory(
        title="知识产权质押贴息",
        benefit_text="<p>按利息<strong>50%</strong>贴息</p><script>alert(1)</script>",
        source_title="关于印发的通知",
        source_file="001_x.txt",
        source_passage="对知识产权质押融资给予贴息",
    )
    page = client.get(f"/policies/{policy.pk}/").content.decode()
    assert "对知识产权质押融资给予贴息" in page and "001_x.txt" in page
    assert "<strong>50%</strong>" in page and "<script>alert" not in page


@pytest.mark.django_db
def test_drafts_are_not_public_but_staff_of_the_region_preview_them(client, personas, regions):
    draft = PolicyFactory(publish=False, region=regions["daiyue"])
    assert client.get(f"/policies/{draft.pk}/").status_code == 404
    client.force_login(personas["other_staff"])
    assert client.get(f"/policies/{draft.pk}/").status_code == 404
    client.force_login(personas["staff"])
    assert client.get(f"/policies/{draft.pk}/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{}, {"q": "贴息", "include_expired": "on"}])
def test_list_page_runs_constant_queries(client, regions, params, settings):
    settings.CATALOGUE_CACHE_SECONDS = 0  # the queries of a real render, not of a cache hit

    def queries(n: int) -> int:
        for _ in range(n):
            PolicyFactory(summary="贷款贴息", region=regions["daiyue"])
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/policies/", {**params, "page_size": 100})
        assert response.status_code == 200
        return len(ctx)

    assert queries(3) == queries(45)
