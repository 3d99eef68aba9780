import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import User
from banks.models import LeadBank
from enterprises.models import Enterprise

pytestmark = pytest.mark.django_db

CONTRACT_ACCOUNTS = [
    "firm-demo",
    "officer-lead",
    "officer-other",
    "manager-lead",
    "staff-daiyue",
    "staff-qingdao",
    "admin",
]


def test_load_demo_is_idempotent_and_creates_the_contract_accounts(demo):
    from portal.demo import demo_load

    again = demo_load()
    assert again == demo
    assert demo["enterprises"] >= 31
    assert demo["banks"] >= 6
    for username in CONTRACT_ACCOUNTS:
        user = User.objects.get(username=username)
        assert user.check_password("demo-pass-2026")


def test_demo_accounts_match_the_contract(demo):
    firm_demo = User.objects.get(username="firm-demo")
    assert firm_demo.enterprise.region.code == "370911"
    assert firm_demo.enterprise.industry_chain.name == "新材料"
    assert firm_demo.enterprise.size_class == "small"
    assert not firm_demo.enterprise.butler_teams.exists()
    officer_lead = User.objects.get(username="officer-lead")
    assert LeadBank.objects.filter(
        chain=firm_demo.enterprise.industry_chain, branch=officer_lead.branch
    ).exists()
    officer_other = User.objects.get(username="officer-other")
    assert not LeadBank.objects.filter(
        chain=firm_demo.enterprise.industry_chain, branch__bank=officer_other.branch.bank
    ).exists()
    assert User.objects.get(username="manager-lead").branch == officer_lead.branch
    assert User.objects.get(username="staff-daiyue").region.code == "370911"
    assert User.objects.get(username="staff-qingdao").region.code == "370200"
    assert User.objects.get(username="admin").is_superuser


def test_demo_firms_are_spread_and_valid(demo):
    firms = Enterprise.objects.all()
    assert len({f.region_id for f in firms}) >= 6
    assert len({f.size_class for f in firms}) >= 3
    for firm in firms:
        firm.full_clean()


@override_settings(DEBUG=False)
def test_load_demo_refuses_without_debug_unless_forced(db):
    with pytest.raises(CommandError):
        call_command("load_demo")
    call_command("load_demo", "--force")
    assert User.objects.filter(username="firm-demo").exists()


def test_landing_page_speaks_to_firms_in_chinese(client):
    response = client.get("/")
    text = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-Hans">' in text
    assert "企业免费注册" in text
    assert "算补贴" in text


@pytest.mark.parametrize(
    ("username", "heading", "nav_has", "nav_lacks"),
    [
        ("firm-demo", "泰安岱岳示范新材料有限公司", "企业信息", "企业管理"),
        ("officer-lead", "客户经理工作台", "首页", "企业管理"),
        ("staff-daiyue", "金融发展服务中心", "企业管理", "企业信息"),
    ],
)
def test_home_page_and_navigation_by_role(
    client, demo, username, heading, nav_has, nav_lacks, django_assert_max_num_queries
):
    client.force_login(User.objects.get(username=username))
    with django_assert_max_num_queries(8):
        response = client.get("/home/")
    text = response.content.decode()
    nav = text.split('aria-label="主导航"')[1].split("</nav>")[0]
    assert heading in text
    assert nav_has in nav
    assert nav_lacks not in nav


def test_login_logout_and_password_change(client, demo):
    response = client.post(
        "/accounts/login/", {"username": "firm-demo", "password": "demo-pass-2026"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/home/"
    session_key = client.session.session_key
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "demo-pass-2026",
            "new_password1": "Another-Strong-Pass-77",
            "new_password2": "Another-Strong-Pass-77",
        },
    )
    assert response.status_code == 302
    client.post("/accounts/logout/")
    assert client.get("/home/").status_code == 302
    assert session_key != client.session.session_key
    assert User.objects.get(username="firm-demo").check_password("Another-Strong-Pass-77")


def test_wrong_password_shows_a_chinese_error(client, demo):
    response = client.post("/accounts/login/", {"username": "firm-demo", "password": "nope"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_health_reports_ok(client, db):
    assert client.get("/health/").json() == {"status": "ok"}


def test_api_schema_and_docs_are_served_without_a_cdn(client, db):
    assert client.get("/api/v1/schema/").status_code == 200
    docs = client.get("/api/v1/docs/").content.decode()
    assert "cdn" not in docs.lower()
