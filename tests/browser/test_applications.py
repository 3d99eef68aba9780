"""Browser: firm-demo applies for a policy it qualifies for; staff-daiyue accepts it and returns it
for a missing document; firm-demo resubmits; staff-daiyue approves, publicises and pays; firm-demo
follows every step. axe-core runs on every page visited."""

import re

import pytest
from django.utils import timezone

from applications.models import PolicyApplication
from regions.models import Region
from tests.applications.helpers import PDF, PNG, make_policy
from tests.browser.conftest import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def policy(demo, settings, tmp_path):
    """A 岱岳区 grant for 科技型中小企业: 1% of revenue, at most 20万元 (firm-demo: 3200万元)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return make_policy(Region.objects.get(code="370911"), title="岱岳区科技型中小企业研发奖补")


def panel(page, heading):
    return page.locator("section.action-panel").filter(
        has=page.get_by_role("heading", name=heading, exact=True)
    )


def logout(page):
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/")


def pdf(name):
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def status(page):
    return page.locator("#application-status").inner_text()


def test_application_from_apply_to_payout(page, policy):
    login(page, "firm-demo")
    page.goto(f"/policies/{policy.pk}/")
    assert_accessible(page)
    page.get_by_role("link", name="在线申报").click()
    page.wait_for_url(f"**/applications/apply/{policy.pk}/")
    assert_accessible(page)
    # Facts pre-filled from the profile; the engine's amount and its formula.
    assert page.get_by_label("上年度主营业务收入（万元）").input_value() == "3200"
    assert page.locator("#computed-amount").inner_text() == "20万元"
    assert "20万元" in page.locator("#formula").inner_text()
    page.get_by_label("营业执照副本").set_input_files(pdf("营业执照.pdf"))
    page.get_by_label("上年度财务报表").set_input_files(
        {"name": "财务报表.png", "mimeType": "image/png", "buffer": PNG}
    )
    page.get_by_label(re.compile("本企业承诺")).check()
    page.get_by_role("button", name="提交申报").click()
    page.wait_for_url(re.compile(r"/applications/\d+/$"))
    assert_accessible(page)
    application = PolicyApplication.objects.get()
    assert status(page) == "待受理"
    assert application.computed_amount_yuan == 200_000
    logout(page)

    # The district office accepts it, then returns it for a missing document.
    login(page, "staff-daiyue")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="政策申报").click()
    assert_accessible(page)
    assert policy.title in page.locator("#queue").inner_text()
    page.get_by_role("link", name=f"#{application.pk}").click()
    assert_accessible(page)
    panel(page, "受理").get_by_role("button", name="受理").click()
    assert status(page) == "审核中"
    returning = panel(page, "退回补正")
    returning.get_by_label("需补正的内容").fill("缺少研发费用专项审计报告，请补充上传")
    returning.get_by_role("button", name="退回补正").click()
    assert status(page) == "退回补正"
    assert_accessible(page)
    logout(page)

    # The firm sees what to fix and resubmits with the document.
    login(page, "firm-demo")
    page.goto("/applications/")
    assert_accessible(page)
    page.get_by_role("link", name=f"#{application.pk}").click()
    assert "研发费用专项审计报告" in page.locator("#return-notice").inner_text()
    assert_accessible(page)
    resubmit = panel(page, "补正后重新提交")
    resubmit.get_by_label("其他材料").set_input_files(pdf("研发费用专项审计报告.pdf"))
    resubmit.get_by_label("补正说明").fill("已补充审计报告")
    resubmit.get_by_role("button", name="重新提交").click()
    assert status(page) == "待受理"
    assert "研发费用专项审计报告.pdf" in page.locator("#files").inner_text()
    logout(page)

    # Accepted again, approved with the computed amount, publicised and paid.
    login(page, "staff-daiyue")
    page.goto(f"/applications/{application.pk}/")
    panel(page, "受理").get_by_role("button", name="受理").click()
    approve = panel(page, "审核通过")
    assert approve.get_by_label("核定金额（万元）").input_value() == "20"
    approve.get_by_role("button", name="审核通过").click()
    assert status(page) == "审核通过"
    assert_accessible(page)
    today = timezone.localdate().isoformat()
    publicity = panel(page, "公示")
    publicity.get_by_label("公示截止日期").fill(today)
    publicity.get_by_role("button", name="开始公示").click()
    assert status(page) == "公示中"
    payout = panel(page, "兑现")
    assert payout.get_by_label("兑现金额（万元）").input_value() == "20"
    payout.get_by_label("兑现日期").fill(today)
    payout.get_by_role("button", name="记录兑现").click()
    assert status(page) == "已兑现"
    assert_accessible(page)
    logout(page)

    # The firm follows every step; the policy page counts it without naming it.
    login(page, "firm-demo")
    page.goto(f"/applications/{application.pk}/")
    assert status(page) == "已兑现"
    timeline = page.locator("#timeline").inner_text()
    for step in ("提交申报", "受理", "退回补正", "补正后重新提交", "审核通过", "公示", "兑现"):
        assert step in timeline
    assert "研发费用专项审计报告" in timeline
    assert "20万元" in page.locator("#payout").inner_text()
    assert_accessible(page)
    page.goto(f"/policies/{policy.pk}/")
    counts = page.locator("#application-counts").inner_text()
    assert "已有 1 家企业申报" in counts and "1 家已兑现" in counts
    application.refresh_from_db()
    assert application.status == "paid" and application.paid_amount_yuan == 200_000
    assert application.files.count() == 3
