"""Browser: staff-daiyue opens the dashboard, filters by chain, sees the charts beside their
tables, and downloads the monthly bulletin. axe-core runs on every page visited."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from dashboards.assessment import Month
from dashboards.services import bulletin_generate
from enterprises.models import Enterprise
from regions.models import IndustryChain, Region
from tests.browser.conftest import assert_accessible, login
from tests.factories import FinancingNeedFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_filters_the_dashboard_by_chain_and_downloads_the_bulletin(page, demo, tmp_path):
    daiyue = Region.objects.get(code="370911")
    chain = IndustryChain.objects.get(region=daiyue, name="新材料")
    on_chain = Enterprise.objects.get(name="泰安岱岳示范新材料有限公司")
    off_chain = Enterprise.objects.filter(region=daiyue).exclude(industry_chain=chain).first()
    FinancingNeedFactory(enterprise=on_chain, amount_yuan=5_000_000)
    FinancingNeedFactory(enterprise=off_chain, amount_yuan=2_000_000)
    FinancingNeedFactory(enterprise=off_chain, amount_yuan=1_000_000)
    bulletin = bulletin_generate(region=daiyue, month=Month.previous(timezone.localdate()))

    login(page, "staff-daiyue")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="数据看板").click()
    page.wait_for_url("**/dashboards/district/")
    totals = page.locator("#totals")
    assert "3 笔" in totals.inner_text() and "800万元" in totals.inner_text()
    page.wait_for_selector("[data-chart='by_status'][data-rendered='true'] svg")
    assert_accessible(page)

    page.get_by_label("产业链", exact=True).select_option(label="新材料（岱岳区）")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(rf"chain={chain.pk}"))
    assert "1 笔" in totals.inner_text() and "500万元" in totals.inner_text()
    # Each chart sits beside a table of the same numbers.
    chain_table = page.locator("#by-chain table").inner_text()
    assert "新材料" in chain_table and "500万元" in chain_table
    page.wait_for_selector("[data-chart='by_chain'][data-rendered='true'] svg")
    assert_accessible(page)

    with page.expect_download() as info:
        page.locator("#latest-bulletin").click()
    download = info.value
    assert download.suggested_filename == f"岱岳区{bulletin.month:%Y年%m月}通报.pdf"
    path = tmp_path / "bulletin.pdf"
    download.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")

    page.get_by_role("link", name="银行考核与通报").click()
    page.wait_for_url("**/dashboards/assessment/")
    assert "计算方法" in page.content()
    assert_accessible(page)
