"""Browser: firm-demo submits a need; officer-lead accepts, contacts, approves and disburses;
firm-demo follows the timeline and rates the service. axe-core runs on every page visited."""

import re

import pytest
from django.utils import timezone

from needs.models import FinancingNeed
from tests.browser.conftest import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def eager_tasks():
    """Routing runs in the live server's thread after the commit (no worker in this test)."""
    from portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def panel(page, heading):
    return page.locator("section.action-panel").filter(
        has=page.get_by_role("heading", name=heading, exact=True)
    )


def logout(page):
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/")


def test_need_from_submission_to_rating(page, demo, eager_tasks):
    login(page, "firm-demo")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="融资需求").click()
    assert_accessible(page)
    page.get_by_role("link", name="提交融资需求").click()
    assert_accessible(page)
    page.get_by_label("融资金额（万元）").fill("500")
    page.get_by_label("期限（月）").fill("12")
    page.get_by_label("用途").select_option(label="设备购置")
    page.get_by_label("信用").check()
    page.get_by_label("抵押").check()
    page.get_by_label("需求说明").fill("购置两台数控机床")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r"/needs/\d+/$"))
    assert_accessible(page)
    need = FinancingNeed.objects.get()
    assert need.assigned_branch.name == "工商银行泰安岱岳支行"
    page.reload()
    assert "工商银行泰安岱岳支行" in page.locator("#assigned-bank").inner_text()
    logout(page)

    login(page, "officer-lead")
    page.goto("/needs/")
    assert_accessible(page)
    page.get_by_role("link", name=f"#{need.pk}").click()
    assert_accessible(page)
    panel(page, "接单").get_by_role("button", name="确认接单").click()
    page.get_by_label("对接方式").select_option(label="上门走访")
    page.get_by_label("对接情况").fill("上门了解设备采购计划")
    page.get_by_role("button", name="保存对接记录").click()
    assert_accessible(page)
    page.get_by_label("授信金额（万元）").fill("400")
    page.get_by_role("button", name="确认授信").click()
    page.get_by_label("放款金额（万元）").fill("400")
    page.get_by_label("放款日期").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="确认放款").click()
    assert page.locator("#need-status").inner_text() == "已放款"
    assert_accessible(page)
    logout(page)

    login(page, "firm-demo")
    page.goto(f"/needs/{need.pk}/")
    timeline = page.locator("#timeline").inner_text()
    for step in ("提交需求", "派单", "接单", "首次对接", "授信", "放款", "上门走访", "400 万元"):
        assert step in timeline
    assert_accessible(page)
    page.get_by_label("5 分 非常满意").check()
    page.get_by_label("评价内容").fill("响应及时，放款很快")
    page.get_by_role("button", name="提交评价").click()
    assert page.get_by_role("heading", name="服务评价").is_visible()
    assert "响应及时" in page.locator("#timeline").inner_text()
    assert_accessible(page)
