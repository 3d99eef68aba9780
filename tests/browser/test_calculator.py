"""Browser: the policy calculator for a visitor (黄岛区, 区域性股权 reward) and for firm-demo (its
profile pre-fills the answers; it saves the result). axe-core runs on every page visited."""

import pytest

from eligibility.models import SavedCalculation
from tests.browser.conftest import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(demo):
    """The demo world with the seeded catalogue, as ``load_demo`` + ``load_catalogue`` leave it."""
    from catalogue.loader import catalogue_load

    catalogue_load(notify=False)


def question(page, label):
    """A generated question by its label, opening “更多问题” when it is folded there."""
    field = page.get_by_label(label, exact=True)
    if not field.is_visible():
        page.locator("details.more-questions > summary").click()
    return field


def test_a_visitor_calculates_the_regional_equity_reward(page, world):
    page.goto("/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="政策测算").click()
    page.wait_for_url("**/calculator/")
    assert_accessible(page)
    page.get_by_label("企业注册地（区县）").select_option(label="　　黄岛区（西海岸新区）")
    page.get_by_role("button", name="下一步").click()
    assert "第二步" in page.locator("form.calculator").inner_text()
    assert_accessible(page)
    # Only what the 青岛 policies need: nothing about 东平's staged IPO subsidy.
    assert (
        page.get_by_label(
            "股份制改制聘请中介机构的审计费、评估费、律师费等实际发生额（元）"
        ).count()
        == 0
    )
    question(page, "在区域性股权交易市场挂牌").select_option(label="是")
    question(page, "区域性股权市场年度累计直接融资额（元）").fill("3500000")
    page.get_by_role("button", name="开始测算").click()
    results = page.locator("section.results")
    results.wait_for()
    assert_accessible(page)
    reward = results.locator("article.result-yes").filter(has_text="区域性股权交易市场直接融资奖励")
    assert "15万元" in reward.locator(".amount").inner_text()
    assert "10万元 + (350万元 − 100万元) × 2% = 15万元" in reward.inner_text()
    assert "在区域性股权交易市场挂牌" in reward.locator("ul.conditions").inner_text()
    near = results.locator("article.result-maybe").first
    assert "还需补充" in near.inner_text()
    assert results.get_by_role("button", name="保存测算结果").count() == 0


def test_firm_demo_sees_its_profile_and_saves_the_result(page, world):
    login(page, "firm-demo")
    page.goto("/calculator/")
    assert_accessible(page)
    assert "泰安岱岳示范新材料有限公司" in page.locator("main").inner_text()
    # The profile's region and answers are pre-filled.
    assert page.get_by_label("企业注册地（区县）").input_value() == "370911"
    rating = page.get_by_label("公共信用评级", exact=True)
    assert rating.input_value() == "AA"
    question(page, "上市进程阶段").select_option(label="签订上市辅导协议")
    page.get_by_role("button", name="开始测算").click()
    results = page.locator("section.results")
    results.wait_for()
    assert_accessible(page)
    rating_policy = results.locator("article.result-yes").filter(
        has_text="岱岳区信用评级结果金融激励"
    )
    assert "✓" in rating_policy.locator("ul.conditions").inner_text()
    listing = results.locator("article").filter(has_text="岱岳区企业上市奖励")
    assert "最高" in listing.locator(".amount").inner_text()
    results.get_by_role("button", name="保存测算结果").click()
    page.wait_for_url("**/calculator/saved/")
    assert_accessible(page)
    saved = SavedCalculation.objects.get()
    assert saved.enterprise.name == "泰安岱岳示范新材料有限公司"
    assert saved.facts["credit_rating"] == "AA"
    assert saved.facts["listing_stage"] == "signed"
    assert "岱岳区信用评级结果金融激励" in page.locator("main").inner_text()
