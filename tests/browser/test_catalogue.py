"""Browser journeys of the catalogue: search and detail, staff editing with history, Excel import."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from banks.models import Bank, LoanProduct
from regions.models import Region
from tests.browser.conftest import assert_accessible, login
from tests.factories import LoanProductFactory, PolicyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_searches_filters_by_district_and_opens_a_detail_page(page, demo):
    daiyue = Region.objects.get(code="370911")
    taishan = Region.objects.get(code="370902")
    city = Region.objects.get(code="370900")
    PolicyFactory(
        title="岱岳区新增设备贷款贴息",
        region=daiyue,
        support_type="贴息",
        benefit_text="按贷款利息的50%给予贴息",
        source_file="003_test.txt",
        source_passage="对新增设备贷款按利息50%贴息",
    )
    PolicyFactory(title="泰安市科技贷款贴息", region=city, support_type="贴息")
    PolicyFactory(title="泰山区贷款贴息", region=taishan, support_type="贴息")
    PolicyFactory(title="岱岳区上市奖励", region=daiyue, support_type="上市奖励")

    page.goto("/policies/")
    assert_accessible(page)
    page.get_by_label("关键词").fill("贴息")
    page.get_by_role("button", name="搜索").click()
    results = page.get_by_role("table", name="政策列表")
    assert results.get_by_role("link", name="泰山区贷款贴息").is_visible()
    assert results.get_by_role("link", name="岱岳区上市奖励").count() == 0
    assert_accessible(page)

    page.get_by_label("适用地区").select_option("370911")
    page.get_by_role("button", name="搜索").click()
    results = page.get_by_role("table", name="政策列表")
    # A firm in 岱岳区 sees its district's and its city's policies together.
    assert results.get_by_role("link", name="岱岳区新增设备贷款贴息").is_visible()
    assert results.get_by_role("link", name="泰安市科技贷款贴息").is_visible()
    assert results.get_by_role("link", name="泰山区贷款贴息").count() == 0
    assert_accessible(page)

    results.get_by_role("link", name="岱岳区新增设备贷款贴息").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("岱岳区新增设备贷款贴息")
    assert page.locator(".source-passage").inner_text() == "对新增设备贷款按利息50%贴息"
    assert_accessible(page)


def test_staff_edits_a_product_and_sees_its_history(page, demo):
    bank = Bank.objects.get(name="泰安银行")
    daiyue = Region.objects.get(code="370911")
    product = LoanProductFactory(
        name="岱岳惠企贷",
        bank=bank,
        region=daiyue,
        max_amount_yuan=1_000_000,
        regions_served=[daiyue],
    )
    login(page, "staff-daiyue")
    page.goto("/catalogue/staff/?tab=products")
    assert_accessible(page)
    page.get_by_role("link", name="岱岳惠企贷").click()
    assert_accessible(page)
    page.get_by_label("最高额度（万元）").fill("300")
    page.get_by_label("利率", exact=True).fill("年化3.6%起")
    page.get_by_role("button", name="保存").click()
    assert page.get_by_text("修改已保存。").is_visible()
    history = page.get_by_role("table", name="修改记录")
    first_row = history.get_by_role("row").nth(1)
    assert "修改" in first_row.inner_text()
    assert "岱岳区金融发展服务中心" in first_row.inner_text()
    assert "年化3.6%起" in first_row.inner_text()
    assert_accessible(page)
    product.refresh_from_db()
    assert product.max_amount_yuan == 3_000_000


def test_excel_import_with_one_bad_row_reports_it_and_saves_nothing(page, demo, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "信贷产品"
    sheet.append(
        [
            "产品名称",
            "银行",
            "产品简介",
            "投放条件",
            "贷款额度",
            "利率",
            "期限",
            "担保方式",
            "申报材料",
            "产品类别",
        ]
    )
    sheet.append(
        ["好产品一", "泰安银行", "简介", "", "最高500万元", "LPR", "12个月", "信用", "", "信用类"]
    )
    sheet.append(
        ["坏产品", "泰安银行", "简介", "", "最高500万元", "LPR", "12个月", "信用", "", "不存在的类"]
    )
    sheet.append(
        ["好产品二", "泰安银行", "简介", "", "最高300万元", "LPR", "12个月", "保证", "", "担保类"]
    )
    path = tmp_path / "products.xlsx"
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(buffer.getvalue())

    login(page, "staff-daiyue")
    page.goto("/catalogue/staff/import/")
    assert_accessible(page)
    page.get_by_label("Excel 文件（.xlsx）").set_input_files(str(path))
    page.get_by_role("button", name="导入").click()
    errors = page.locator("#import-errors")
    assert "未保存任何数据" in errors.inner_text()
    assert errors.get_by_role("listitem").all_inner_texts() == [
        "信贷产品第3行：产品类别“不存在的类”无效（可选：信用类、抵质押类、担保类、供应链类、科创类、涉农类）"
    ]
    assert_accessible(page)
    assert LoanProduct.objects.count() == 0
