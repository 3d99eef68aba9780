"""Chinese full-text search: two-character words, ranking, the same order on both backends."""

from __future__ import annotations

import pytest

from catalogue.search import query_words, search_column, segment_words
from policies.filters import PolicyFilter
from policies.models import Policy
from tests.factories import LoanProductFactory, PolicyFactory


def test_user_dictionary_keeps_finance_terms_whole():
    words = segment_words("专精特新小巨人企业首贷户")
    assert "专精特新" in words and "小巨人" in words and "首贷户" in words


def test_search_mode_emits_inner_words_and_drops_punctuation():
    assert {"知识", "产权", "知识产权"} <= set(segment_words("知识产权质押"))
    assert "算力" in segment_words("发放算力券。")
    assert search_column("贷款贴息，LPR") == " 贷款  贴息  lpr "
    assert query_words("  贴息 贴息！ ") == ["贴息"]


def _titles(params):
    return list(
        PolicyFilter(params, queryset=Policy.objects.published()).qs.values_list("title", flat=True)
    )


@pytest.mark.django_db
def test_two_character_words_are_found_inside_text(regions):
    PolicyFactory(title="设备更新补助", conditions_text="对企业新增设备贷款给予贴息支持")
    PolicyFactory(title="人工智能扶持", summary="发放算力券，降低企业算力成本")
    PolicyFactory(title="融资支持", benefit_text="知识产权质押融资按利息50%补助")
    PolicyFactory(title="无关政策", summary="上市奖励")
    assert _titles({"search": "贴息"}) == ["设备更新补助"]
    assert _titles({"search": "算力"}) == ["人工智能扶持"]
    assert _titles({"search": "知识产权"}) == ["融资支持"]
    assert _titles({"search": "产权"}) == ["融资支持"]
    assert _titles({"search": "！！"}) == []


@pytest.mark.django_db
def test_ranking_is_title_first_then_frequency_then_newest(regions):
    from datetime import date

    PolicyFactory(title="甲 政策", summary="贴息", valid_from=date(2024, 1, 1))
    PolicyFactory(title="乙 政策", summary="贴息 贴息 贴息", valid_from=date(2024, 1, 1))
    PolicyFactory(title="丙 贷款贴息", summary="", valid_from=date(2023, 1, 1))
    PolicyFactory(title="丁 政策", summary="贴息", valid_from=date(2024, 6, 1))
    # The CI runs this on SQLite and on PostgreSQL: the order is the same on both.
    assert _titles({"search": "贴息"}) == ["丙 贷款贴息", "乙 政策", "丁 政策", "甲 政策"]


@pytest.mark.django_db
def test_every_query_word_must_match(regions):
    PolicyFactory(title="贷款贴息", summary="农业企业")
    PolicyFactory(title="贷款贴息二", summary="物流企业")
    assert _titles({"search": "贴息 农业"}) == ["贷款贴息"]


@pytest.mark.django_db
def test_search_column_follows_edits(regions):
    from policies.services import policy_update

    policy = PolicyFactory(title="设备补助")
    assert _titles({"search": "贴息"}) == []
    policy_update(policy=policy, data={"summary": "改为贷款贴息"})
    assert _titles({"search": "贴息"}) == ["设备补助"]
    policy_update(policy=policy, data={"summary": "奖励"})
    assert _titles({"search": "贴息"}) == []


@pytest.mark.django_db
def test_products_search_name_bank_and_text(regions):
    from banks.filters import ProductFilter
    from banks.models import LoanProduct

    LoanProductFactory(name="科创贷", description="面向专精特新企业的信用贷款")
    LoanProductFactory(name="惠农贷", description="涉农经营主体")
    qs = ProductFilter({"search": "专精特新"}, queryset=LoanProduct.objects.published()).qs
    assert [p.name for p in qs] == ["科创贷"]
