"""load_catalogue: idempotent loading of the catalogue files, traceable to the seeds."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from banks.models import Bank, LoanProduct
from catalogue.models import CatalogueChange, CatalogueFact
from policies.models import Policy, PolicyRule
from regions.models import Region

SAMPLE_DIR = Path(__file__).resolve().parent / "data"
REAL_DIR = Path(settings.BASE_DIR) / "fixtures" / "catalogue"
SEEDS_DIR = Path(settings.BASE_DIR).parent / "shared" / "seeds"


def _load(directory: Path) -> str:
    out = StringIO()
    call_command("load_catalogue", "--dir", str(directory), stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_sample_file_loads_records_regions_banks_and_facts():
    output = _load(SAMPLE_DIR)
    assert "政策 新增 2" in output and "信贷产品 新增 1" in output
    policy = Policy.objects.get(key="sample-loan-subsidy")
    assert policy.is_published and policy.region.code == "370900"
    assert policy.document_number == "泰政发〔2024〕1号"
    assert policy.materials == ["申请表", "贷款合同"]
    assert PolicyRule.objects.get(policy=policy).data["benefit"]["max_amount_yuan"] == 1000000
    # The zone and its ancestors exist, with the names the demo uses.
    zone = Region.objects.get(code="370902-gaoxin")
    assert zone.parent.code == "370902" and zone.parent.parent.name == "泰安市"
    product = LoanProduct.objects.get(key="sample-ip-pledge")
    # 工商银行 in the file is the demo's 中国工商银行, not a second bank.
    assert product.bank.name == "中国工商银行"
    assert product.branch.name == "工商银行泰安分行"
    assert [r.code for r in product.regions_served.all()] == ["370900"]
    assert str(product.rate_min_percent) == "3.650"
    assert product.min_amount_yuan is None  # the file gives no figure: none is invented
    assert CatalogueFact.objects.filter(name="test_sample_spend_yuan").exists()


@pytest.mark.django_db
def test_loading_twice_changes_nothing():
    _load(SAMPLE_DIR)
    changes = CatalogueChange.objects.count()
    output = _load(SAMPLE_DIR)
    assert "未变 2" in output and "未变 1" in output
    assert Policy.objects.count() == 2 and LoanProduct.objects.count() == 1
    assert Bank.objects.filter(name__contains="工商银行").count() == 1
    assert CatalogueChange.objects.count() == changes


@pytest.mark.django_db
def test_demo_after_catalogue_reuses_banks_and_regions():
    _load(SAMPLE_DIR)
    from portal.demo import demo_load

    demo_load()
    assert Bank.objects.filter(name="中国工商银行").count() == 1
    assert Region.objects.filter(code="370900").count() == 1


@pytest.mark.django_db
def test_real_catalogue_meets_the_issue_and_every_passage_is_in_its_seed():
    _load(REAL_DIR)
    assert Policy.objects.published().count() >= 40
    assert LoanProduct.objects.published().count() >= 30
    seeds: dict[str, str] = {}
    for record in [*Policy.objects.all(), *LoanProduct.objects.all()]:
        assert record.source_file, record.key
        if record.source_file not in seeds:
            seeds[record.source_file] = (SEEDS_DIR / record.source_file).read_text(encoding="utf-8")
        assert record.source_passage, record.key
        assert record.source_passage in seeds[record.source_file], record.key
