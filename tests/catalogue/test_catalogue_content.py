"""The loaded catalogue holds what issue 3 names, with the seeds' terms and nothing invented."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from rest_framework.test import APIClient

from banks.models import LoanProduct
from policies.models import Policy

REAL_DIR = Path(settings.BASE_DIR) / "fixtures" / "catalogue"

# Every product the issue names (the seeds write some with spaces: “泰山 e 贷”).
NAMED_PRODUCTS = [
    "国担快贷",
    "中银公积金惠企贷",
    "小企业简式快速贷",
    "泰易贷",
    "银担普惠贷",
    "技改专项贷",
    "人才贷",
    "知识产权质押贷",
    "应收账款质押贷",
    "科技成果转化贷",
    "齐鲁富民贷",
    "鲁担惠农贷",
    "惠农e贷",
    "信e贷",
    "泰山e贷",
    "纳税e贷",
    "创业担保贷款",
    "农村承包土地经营权抵押贷款",
    "定点医保贷款",
    "城市更新贷款",
    "科创成长e贷",
    "人才e贷",
    "区域e贷",
    "创新积分贷",
    "关税e贷",
    "信用商户联盟纯信用贷款",
]


@pytest.fixture
def catalogue(db):
    """The real catalogue, as ``load_catalogue`` loads it."""
    call_command("load_catalogue", "--dir", str(REAL_DIR), verbosity=0)


def _policy(key: str) -> Policy:
    return Policy.objects.get(key=key)


def _benefit(key: str) -> dict:
    return _policy(key).rules.order_by("-valid_from").first().data["benefit"]


@pytest.mark.django_db
def test_every_named_product_is_there(catalogue):
    names = set(LoanProduct.objects.published().values_list("name", flat=True))
    assert [n for n in NAMED_PRODUCTS if n not in names] == []
    assert LoanProduct.objects.published().count() >= 30
    assert Policy.objects.published().count() >= 40


@pytest.mark.django_db
def test_guodan_kuaidai_terms(catalogue):
    product = LoanProduct.objects.get(name="国担快贷")
    assert product.bank.name == "中国工商银行"
    assert product.guarantee_methods == ["credit"]
    assert product.max_amount_yuan == 5_000_000 and product.min_amount_yuan is None
    assert product.max_term_months == 12
    assert product.rate_min_percent == Decimal("3.750") and "LPR+10BP" in product.rate_text
    assert "1%/年" in product.guarantee_fee_text
    assert LoanProduct.objects.get(name="中银公积金惠企贷").max_amount_yuan == 5_000_000


@pytest.mark.django_db
def test_a_product_whose_seed_names_no_bank_says_so(catalogue):
    for name in ("关税e贷", "创新积分贷", "信e贷"):
        product = LoanProduct.objects.get(name=name)
        assert product.bank.name == "原文未载明银行"
        assert product.min_amount_yuan is None and product.max_amount_yuan is None
        assert product.max_term_months is None and product.rate_min_percent is None
        assert product.rate_text == ""
    row = APIClient().get("/api/v1/products/", {"search": "关税"}).json()["results"][0]
    assert row["name"] == "关税e贷" and row["max_amount_yuan"] is None


@pytest.mark.django_db
def test_qingdao_2024_batch_terms(catalogue):
    equity = _benefit("qd-2024b2-regional-equity-financing-reward")
    assert (equity["threshold_yuan"], equity["base_yuan"], equity["rate"], equity["cap_yuan"]) == (
        1_000_000,
        100_000,
        "0.02",
        500_000,
    )
    lease = _policy("qd-2024b2-finance-lease-award")
    assert lease.beneficiary == "leasing_company"
    lease_rule = lease.rules.get().data
    assert lease_rule["benefit"]["rate"] == "0.008"
    assert lease_rule["benefit"]["rate_overrides"][0]["rate"] == "0.01"
    assert lease_rule["annual_cap_yuan"] == 3_000_000
    risk = _benefit("qd-2024b2-sme-loan-risk-compensation")
    assert (
        risk["rate"] == "0.3"
        and _policy("qd-2024b2-sme-loan-risk-compensation").beneficiary == "bank"
    )
    data_case = _benefit("qd-2024b2-data-element-case-award")
    assert (data_case["rate"], data_case["cap_yuan"]) == ("0.3", 1_000_000)
    trading = _benefit("qd-2024b2-data-product-trading-award")
    assert (trading["rate"], trading["cap_yuan"]) == ("0.01", 200_000)
    first_set = _benefit("qd-2024b2-first-set-award")
    caps = [o["benefit"]["max_amount_yuan"] for o in first_set["options"]]
    assert caps == [1_500_000, 1_000_000]
    for key in ("qd-2024b2-compute-voucher-enterprise", "qd-2024b2-compute-voucher-large-model"):
        assert _policy(key).support_type == "算力券"
    for key in (
        "qd-2024b2-engineering-research-center-award",
        "qd-2024b2-enterprise-tech-center-award",
        "qd-2024b2-industry-innovation-center-award",
        "qd-2024b2-private-top-enterprise-award",
    ):
        assert _policy(key).rules.exists()
    assert Policy.objects.filter(key__startswith="qd-2024b2-", category="物流").count() >= 3


@pytest.mark.django_db
def test_qingdao_caijin_and_taian_terms(catalogue):
    farmland = _benefit("qd-cj-farmland-facility-agri-loan-subsidy")
    assert (
        farmland["rate"] == "0.02"
        and _policy("qd-cj-farmland-facility-agri-loan-subsidy").support_type == "贴息"
    )
    assert _benefit("qd-cj-tech-upgrade-award")["max_amount_yuan"] == 20_000_000
    assert _benefit("qd-cj-supply-chain-bill-platform-award")["max_amount_yuan"] == 5_000_000
    staged = _benefit("ta-dongping-ipo-staged-subsidy")
    assert (staged["total_yuan"], staged["ratios"]) == (5_000_000, [1, 3, 4, 2])
    fees = _benefit("ta-dongping-restructuring-fee-subsidy")
    assert (fees["rate"], fees["cap_yuan"]) == ("0.5", 300_000)
    assert _benefit("ta-dongping-regional-board-subsidy")["amount_yuan"] == 300_000
    assert _benefit("ta-dongping-neeq-subsidy")["amount_yuan"] == 1_000_000
    assert _benefit("ta-xintai-ipo-award")["amount_yuan"] == 10_000_000
    assert _benefit("ta-xintai-neeq-award")["amount_yuan"] == 1_500_000
    assert _benefit("ta-feicheng-listing-node-subsidy")["max_amount_yuan"] == 10_000_000
    assert _benefit("ta-feicheng-neeq-award")["amount_yuan"] == 1_000_000
    assert _benefit("ta-feicheng-regional-board-award")["amount_yuan"] == 100_000
    assert Policy.objects.filter(region__code="370902").exists()  # 泰山区
    assert Policy.objects.filter(region__code="370911").exists()  # 岱岳区
    gaoxin = _policy("ta-gaoxin-tech-loan-subsidy")
    assert gaoxin.support_type == "贴息" and gaoxin.region.parent.code == "370902"


@pytest.mark.django_db
def test_unstated_figures_are_null_and_shown_as_not_stated(catalogue, client):
    product = LoanProduct.objects.get(name="泰易贷")
    assert product.max_amount_yuan is None and product.max_term_months is None
    page = client.get(f"/products/{product.pk}/").content.decode()
    assert "未载明" in page and "泰易贷" in page
    assert "今年全行新增“泰易贷”11.7" in page  # the source passage


@pytest.mark.django_db
def test_search_finds_the_issue_words_in_the_real_catalogue(catalogue):
    api = APIClient()

    def titles(word: str) -> list[str]:
        rows = api.get("/api/v1/policies/", {"search": word, "include_expired": "true"}).json()
        return [r["title"] for r in rows["results"]]

    assert titles("算力")[:2] == ["算力券（企业）", "算力券（大模型研发企业）"]
    assert any("贴息" in t for t in titles("贴息")[:3])
    assert any("知识产权" in t for t in titles("知识产权")[:2])
    products = api.get("/api/v1/products/", {"search": "知识产权"}).json()["results"]
    assert products[0]["name"] == "知识产权质押贷"


@pytest.mark.django_db
def test_loading_the_real_catalogue_again_changes_nothing(catalogue):
    from io import StringIO

    from catalogue.models import CatalogueChange

    changes = CatalogueChange.objects.count()
    out = StringIO()
    call_command("load_catalogue", "--dir", str(REAL_DIR), stdout=out)
    policies, products = Policy.objects.count(), LoanProduct.objects.count()
    assert f"政策 新增 0、更新 0、未变 {policies}" in out.getvalue()
    assert f"信贷产品 新增 0、更新 0、未变 {products}" in out.getvalue()
    assert CatalogueChange.objects.count() == changes
