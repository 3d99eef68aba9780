"""Browser: staff-daiyue sets up a chain with a lead bank, a 金融管家 team and the 2027 holiday
schedule in the staff UI (not the Django admin). axe-core runs on every page visited."""

import pytest

from banks.models import ButlerTeam, LeadBank
from tests.browser.conftest import assert_accessible, login
from workdays.models import ScheduleYear, WorkdayOverride

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_set_up_chain_team_and_calendar(page, demo):
    login(page, "staff-daiyue")
    page.get_by_role("link", name="产业链与主办银行").click()
    assert_accessible(page)
    page.get_by_role("link", name="新建产业链").click()
    assert_accessible(page)
    page.get_by_label("所属区县").select_option(label="岱岳区")
    page.get_by_label("产业链名称").fill("绿色食品")
    page.get_by_label("金融专员").fill("王敏")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("请为其指定主办银行").wait_for()
    assert_accessible(page)
    page.get_by_label("主办银行网点").select_option(label="岱岳农商银行营业部")
    page.get_by_role("button", name="指定").click()
    page.get_by_text("已指定岱岳农商银行营业部为主办银行").wait_for()
    assert LeadBank.objects.filter(
        chain__name="绿色食品", branch__name="岱岳农商银行营业部"
    ).exists()
    assert_accessible(page)

    page.get_by_role("navigation", name="辖区设置").get_by_role("link", name="金融管家团队").click()
    assert_accessible(page)
    page.get_by_role("link", name="新建金融管家团队").click()
    page.get_by_label("团队名称").fill("岱岳第一金融管家团队")
    page.get_by_label("所在区县").select_option(label="岱岳区")
    page.get_by_label("牵头网点").select_option(label="工商银行泰安岱岳支行")
    page.get_by_label("成员（银行人员）").select_option(
        label="张明（工商银行）（客户经理，工商银行泰安岱岳支行）"
    )
    page.get_by_label("结对企业").select_option(label="泰安岱岳示范新材料有限公司")
    assert_accessible(page)
    page.get_by_role("button", name="保存").click()
    page.get_by_text("「岱岳第一金融管家团队」已保存").wait_for()
    assert_accessible(page)
    team = ButlerTeam.objects.get(name="岱岳第一金融管家团队")
    assert [u.username for u in team.members.all()] == ["officer-lead"]

    page.get_by_role("navigation", name="辖区设置").get_by_role("link", name="工作日历").click()
    assert_accessible(page)
    page.get_by_label("放假安排年度").fill("2027")
    page.get_by_label("依据").fill("国办发明电〔2026〕X号")
    page.get_by_label("放假与调休安排").fill("2027-01-01 休 元旦\n2027-02-06~2027-02-12 休 春节")
    page.get_by_role("button", name="录入并标记为已录入年度").click()
    page.get_by_text("已录入 2027 年放假安排").wait_for()
    assert_accessible(page)
    assert ScheduleYear.objects.filter(year=2027).exists()
    assert WorkdayOverride.objects.filter(date__year=2027).count() == 8
