"""Excel import/export in the compendium's columns, and the PDF compendium."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from banks.models import LoanProduct
from catalogue.excel import (
    COMPENDIUM_COLUMNS,
    ImportError_,
    catalogue_export,
    catalogue_import,
    parse_amount_text,
)
from catalogue.loader import catalogue_load
from policies.models import Policy
from tests.factories import BankFactory, LoanProductFactory

SAMPLE_DIR = Path(__file__).resolve().parent / "data"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _workbook(rows: list[list], header: list[str] | None = None) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "信贷产品"
    sheet.append(header or [*COMPENDIUM_COLUMNS, "产品类别", "服务区域"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("products.xlsx", buffer.getvalue(), content_type=XLSX)


def _row(name: str, amount: str = "最高500万元", guarantee: str = "信用", klass: str = "信用类"):
    return [
        name,
        "泰安银行",
        "简介",
        "条件",
        amount,
        "LPR",
        "最长12个月",
        guarantee,
        "营业执照",
        klass,
        "370911",
    ]


def test_amount_text():
    assert parse_amount_text("最高500万元") == (None, 5_000_000)
    assert parse_amount_text("10万元至500万元") == (100_000, 5_000_000)
    assert parse_amount_text("10-500万元") == (100_000, 5_000_000)
    assert parse_amount_text("1亿元") == (None, 100_000_000)
    assert parse_amount_text("50万元起") == (500_000, None)


@pytest.mark.django_db
def test_compendium_sheet_imports(personas, regions):
    result = catalogue_import(
        file=_workbook([_row("泰e贷"), _row("惠企贷", "10-300万元", "保证、抵押", "担保类")]),
        user=personas["staff"],
    )
    assert result.counts["product_created"] == 2
    product = LoanProduct.objects.get(name="惠企贷")
    assert (product.min_amount_yuan, product.max_amount_yuan) == (100_000, 3_000_000)
    assert product.guarantee_methods == ["mortgage", "guarantee"]
    assert product.max_term_months == 12 and product.materials == ["营业执照"]
    assert product.region == regions["daiyue"] and not product.is_published


@pytest.mark.django_db
def test_one_bad_row_is_reported_and_nothing_is_saved(personas, regions):
    upload = _workbook([_row("好产品一"), _row("坏产品", guarantee="无所谓"), _row("好产品二")])
    with pytest.raises(ImportError_) as caught:
        catalogue_import(file=upload, user=personas["staff"])
    assert caught.value.errors == [
        "信贷产品第3行：担保方式“无所谓”无法识别（可选：信用、抵押、质押、保证）"
    ]
    assert LoanProduct.objects.count() == 0


@pytest.mark.django_db
def test_rows_outside_the_staff_region_are_refused(personas, regions):
    row = _row("青岛产品")
    header = [*COMPENDIUM_COLUMNS, "产品类别", "服务区域", "所属区域"]
    with pytest.raises(ImportError_) as caught:
        catalogue_import(file=_workbook([[*row, "370200"]], header), user=personas["staff"])
    assert "信贷产品第2行" in caught.value.errors[0] and "岱岳区" in caught.value.errors[0]


@pytest.mark.django_db
def test_export_then_import_into_an_empty_database_gives_the_same_catalogue(regions):
    catalogue_load(directory=SAMPLE_DIR, notify=False)
    LoanProductFactory(name='=HYPERLINK("x")', description="<p>富文本 &amp; 特殊字符</p>")

    def snapshot():
        products = [
            (
                p.key,
                p.name,
                p.bank.name,
                p.branch.name if p.branch else None,
                p.product_class,
                p.description,
                p.target_customers,
                p.conditions_text,
                p.customer_types,
                p.min_amount_yuan,
                p.max_amount_yuan,
                p.max_term_months,
                p.rate_text,
                p.rate_min_percent,
                p.guarantee_methods,
                p.guarantee_fee_text,
                p.materials,
                sorted(r.code for r in p.regions_served.all()),
                p.region.code,
                p.source_file,
                p.source_title,
                p.source_passage,
                p.status,
                p.search_text,
            )
            for p in LoanProduct.objects.order_by("key")
        ]
        policies = [
            (
                p.key,
                p.title,
                p.issuer,
                p.document_number,
                p.batch,
                p.region.code,
                p.category,
                p.support_type,
                p.beneficiary,
                p.valid_from,
                p.valid_to,
                p.summary,
                p.conditions_text,
                p.benefit_text,
                p.materials,
                p.contact,
                p.source_file,
                p.source_title,
                p.source_passage,
                p.status,
                p.search_text,
                [r.data for r in p.rules.all()],
            )
            for p in Policy.objects.order_by("key")
        ]
        return products, policies

    before = snapshot()
    content = catalogue_export(policies=Policy.objects.all(), products=LoanProduct.objects.all())
    sheet = load_workbook(io.BytesIO(content))["信贷产品"]
    assert [c.value for c in sheet[1]][:9] == COMPENDIUM_COLUMNS
    Policy.objects.all().delete()
    LoanProduct.objects.all().delete()
    catalogue_import(file=io.BytesIO(content), user=None)
    assert snapshot() == before


@pytest.mark.django_db
def test_import_page_shows_row_errors(
    client, personas, regions, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    client.force_login(personas["staff"])
    with django_capture_on_commit_callbacks(execute=True):  # the import runs on the worker
        response = client.post(
            "/catalogue/staff/import/",
            {"file": _workbook([_row("好"), _row("坏", amount="面议")])},
        )
    page = client.get(response["Location"]).content.decode()
    assert "信贷产品第3行：贷款额度“面议”无法识别" in page and "未保存任何数据" in page
    assert LoanProduct.objects.count() == 0


@pytest.mark.django_db
def test_staff_export_download(client, personas, regions):
    LoanProductFactory(region=regions["daiyue"], name="岱岳产品")
    LoanProductFactory(region=regions["qingdao"], name="青岛产品")
    client.force_login(personas["staff"])
    response = client.get("/catalogue/staff/export.xlsx")
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    names = [
        r[0]
        for r in load_workbook(io.BytesIO(response.content))["信贷产品"].iter_rows(
            min_row=2, values_only=True
        )
    ]
    assert names == ["岱岳产品"]


@pytest.mark.django_db
def test_compendium_pdf_groups_products_with_a_table_of_contents(client, regions):
    from catalogue.compendium import compendium_products

    LoanProductFactory(name="乙贷", product_class="担保类", regions_served=[regions["daiyue"]])
    LoanProductFactory(name="甲贷", product_class="信用类", regions_served=[regions["city"]])
    LoanProductFactory(name="青岛贷", regions_served=[regions["qingdao"]])
    assert [p.name for p in compendium_products(regions["daiyue"])] == ["甲贷", "乙贷"]
    response = client.get("/catalogue/compendium/370911.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and b"STSong-Light" in response.content
    assert (
        response.content.count(b"/Type /Page\n") + response.content.count(b"/Type /Page ") >= 3
        or len(response.content) > 3000
    )


@pytest.mark.django_db
def test_compendium_table_of_contents_lists_classes_then_banks(regions, monkeypatch):
    from reportlab.platypus.tableofcontents import TableOfContents

    from catalogue.compendium import compendium_build

    entries: list[tuple[int, str, int]] = []
    original = TableOfContents.addEntry

    def record(self, level, text, page_number, key=None):
        entries.append((level, text, page_number))
        return original(self, level, text, page_number, key)

    monkeypatch.setattr(TableOfContents, "addEntry", record)
    icbc = BankFactory(name="中国工商银行")
    taian = BankFactory(name="泰安银行")
    LoanProductFactory(
        name="乙贷", bank=taian, product_class="担保类", regions_served=[regions["daiyue"]]
    )
    LoanProductFactory(
        name="甲贷", bank=taian, product_class="信用类", regions_served=[regions["city"]]
    )
    LoanProductFactory(
        name="丙贷", bank=icbc, product_class="信用类", regions_served=[regions["city"]]
    )
    pdf = compendium_build(region=regions["daiyue"])
    assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf
    # multiBuild runs the story until the page numbers settle: the last pass is what is printed.
    final = entries[-5:]
    assert [(level, text) for level, text, _ in final] == [
        (0, "信用类"),
        (1, "中国工商银行"),
        (1, "泰安银行"),
        (0, "担保类"),
        (1, "泰安银行"),
    ]
    # The cover and the table of contents come first, so the sections start on page 3 or later.
    assert all(page >= 3 for _, _, page in final)
