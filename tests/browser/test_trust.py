"""Browser: the firm gives the bank its contact details by a separate consent; the officer turns
on the second factor and logs in with it; staff read the audit record; lockout. axe-core runs on
every page of these features."""

import re

import pytest

from accounts import totp
from needs.models import FinancingNeed
from tests.browser.conftest import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def eager_tasks():
    from portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def logout(page):
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/")


def test_contact_consent_then_officer_sees_the_phone(page, demo, eager_tasks):
    from accounts.models import User
    from needs.services import financing_need_accept, financing_need_submit

    firm_user = User.objects.get(username="firm-demo")
    need = financing_need_submit(
        enterprise=firm_user.enterprise,
        submitted_by=firm_user,
        data={
            "amount_yuan": 2_000_000,
            "term_months": 12,
            "purpose": "equipment",
            "guarantee_methods": ["credit"],
            "contact_name": "陈静",
            "contact_phone": "13805381234",
        },
    )
    need = FinancingNeed.objects.get(pk=need.pk)
    officer = User.objects.get(username="officer-lead")
    financing_need_accept(need=need, actor=officer)

    login(page, "officer-lead")
    page.goto(f"/needs/{need.pk}/")
    contact = page.locator("#need-contact").inner_text()
    assert "138****1234" in contact and "13805381234" not in contact
    assert "企业尚未同意" in page.locator("#contact-consent").inner_text()
    logout(page)

    login(page, "firm-demo")
    page.goto(f"/needs/{need.pk}/")
    bank = need.assigned_branch.bank.name
    page.get_by_role("button", name=f"同意向{bank}提供").click()
    page.wait_for_url(re.compile(rf"/needs/{need.pk}/$"))
    assert f"已同意向{bank}提供联系人信息" in page.locator("#contact-consent").inner_text()
    assert_accessible(page)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="个人信息").click()
    assert bank in page.get_by_role("region", name="联系方式授权").inner_text()
    assert_accessible(page)
    logout(page)

    login(page, "officer-lead")
    page.goto(f"/needs/{need.pk}/")
    assert "13805381234" in page.locator("#need-contact").inner_text()
    logout(page)

    login(page, "staff-daiyue")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="审计记录").click()
    assert_accessible(page)
    page.get_by_label("对象类型").select_option(label="融资需求")
    page.get_by_role("button", name="筛选").click()
    table = page.locator("#audit-entries").inner_text()
    assert "need.accept" in table and "13805381234" not in table


def test_officer_turns_on_the_second_factor_and_logs_in_with_it(page, demo):
    login(page, "officer-lead")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="登录安全").click()
    assert_accessible(page)
    page.get_by_role("button", name="开始设置").click()
    secret = page.locator("#otp-secret").inner_text()
    assert_accessible(page)
    page.get_by_label("动态验证码").fill(totp.code_for(secret, totp.counter_at()))
    page.get_by_role("button", name="启用").click()
    assert "已启用" in page.locator("#otp-status").inner_text()
    logout(page)

    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("officer-lead")
    page.get_by_label("密码").fill("demo-pass-2026")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/accounts/login/verify/")
    assert_accessible(page)
    # The next time step: the one used at enrolment cannot be used again.
    page.get_by_label("动态验证码").fill(totp.code_for(secret, totp.counter_at() + 1))
    page.get_by_role("button", name="验证并登录").click()
    page.wait_for_url("**/home/")


def test_repeated_wrong_passwords_lock_the_form(page, demo):
    for _ in range(5):
        page.goto("/accounts/login/")
        page.get_by_label("用户名").fill("firm-demo")
        page.get_by_label("密码").fill("wrong-password")
        page.get_by_role("button", name="登录").click()
    assert "登录失败次数过多" in page.locator("#lockout-message").inner_text()
    assert_accessible(page)
