import pytest

from tests.browser.conftest import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_firm_demo_logs_in_and_sees_its_home_page(page, demo):
    page.goto("/")
    assert_accessible(page)
    login(page, "firm-demo")
    assert page.get_by_role("heading", level=1).inner_text() == "您好，泰安岱岳示范新材料有限公司"
    assert (
        page.get_by_role("navigation", name="主导航")
        .get_by_role("link", name="企业信息")
        .is_visible()
    )
    assert_accessible(page)
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/")
    assert page.get_by_role("link", name="登录", exact=True).is_visible()


def test_registration_form_shows_the_uscc_error_in_chinese(page, demo):
    page.goto("/enterprises/register/")
    assert_accessible(page)
    page.get_by_label("统一社会信用代码").fill("91370911MA3C8D6K10")
    page.get_by_label("企业名称").fill("测试企业")
    page.get_by_role("button", name="注册").click()
    assert (
        page.locator("#id_uscc_error").inner_text()
        == "统一社会信用代码校验位错误，请核对后重新输入。"
    )
