"""Staff set up chains, lead banks (主办银行), 金融管家 teams and 金融辅导队 in the staff UI:
only in their region and the regions inside it (anything else is 404), every field validated,
nothing half-saved, and routing uses what they set up."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Role
from banks.models import AdvisoryTeam, ButlerTeam, LeadBank
from regions.models import IndustryChain
from regions.services import butler_team_save, industry_chain_save, lead_bank_add
from tests.factories import BranchFactory, ChainFactory, EnterpriseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(personas, regions):
    daiyue_chain = ChainFactory(region=regions["daiyue"], name="新材料")
    huangdao_chain = ChainFactory(region=regions["huangdao"], name="海洋装备")
    return {
        **personas,
        "regions": regions,
        "daiyue_chain": daiyue_chain,
        "huangdao_chain": huangdao_chain,
    }


def names(response):
    return response.content.decode()


# --- Scoping ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees_daiyue", "sees_huangdao"),
    [
        ("staff", True, False),  # 岱岳区
        ("city_staff", True, False),  # 泰安市: 岱岳区 is inside it
        ("other_staff", False, True),  # 青岛市: 黄岛区 is inside it
        ("admin", True, True),
    ],
)
def test_staff_see_and_open_only_their_regions_chains(
    setup, client, persona, sees_daiyue, sees_huangdao
):
    client.force_login(setup[persona])
    page = names(client.get("/setup/chains/"))
    assert ("新材料" in page) is sees_daiyue
    assert ("海洋装备" in page) is sees_huangdao
    for chain, sees in (
        (setup["daiyue_chain"], sees_daiyue),
        (setup["huangdao_chain"], sees_huangdao),
    ):
        assert client.get(f"/setup/chains/{chain.pk}/").status_code == (200 if sees else 404)


@pytest.mark.parametrize("persona", ["member", "officer", "manager"])
@pytest.mark.parametrize(
    "url",
    ["/setup/chains/", "/setup/chains/new/", "/setup/teams/butler/", "/setup/teams/advisory/new/"],
)
def test_firms_and_banks_get_404(setup, client, persona, url):
    client.force_login(setup[persona])
    assert client.get(url).status_code == 404


def test_writes_outside_the_region_are_404_and_change_nothing(setup, client):
    other = setup["huangdao_chain"]
    lead = LeadBank.objects.create(chain=other, branch=setup["other_branch"])
    client.force_login(setup["staff"])
    assert client.post(f"/setup/chains/{other.pk}/", {"name": "改名"}).status_code == 404
    assert client.post(f"/setup/chains/{other.pk}/delete/").status_code == 404
    assert client.post(f"/setup/lead-banks/{lead.pk}/remove/").status_code == 404
    assert (
        client.post(
            f"/setup/chains/{other.pk}/lead-banks/", {"lead-branch": setup["branch"].pk}
        ).status_code
        == 404
    )
    other.refresh_from_db()
    assert other.name == "海洋装备" and LeadBank.objects.filter(pk=lead.pk).exists()
    with pytest.raises(PermissionDenied):
        industry_chain_save(actor=setup["staff"], region=setup["regions"]["huangdao"], name="越权")


# --- Chains ---------------------------------------------------------------------------------------


def test_create_a_chain_and_refuse_a_duplicate_name(setup, client):
    client.force_login(setup["staff"])
    daiyue = setup["regions"]["daiyue"]
    response = client.post(
        "/setup/chains/new/",
        {"region": daiyue.pk, "name": "精细化工", "finance_specialist": "王敏"},
    )
    chain = IndustryChain.objects.get(region=daiyue, name="精细化工")
    assert response.status_code == 302 and response.url == f"/setup/chains/{chain.pk}/"
    assert chain.finance_specialist == "王敏"
    response = client.post("/setup/chains/new/", {"region": daiyue.pk, "name": "新材料"})
    assert response.status_code == 400
    assert "已有名为「新材料」的产业链" in names(response)
    assert IndustryChain.objects.filter(region=daiyue, name="新材料").count() == 1


def test_a_region_outside_the_scope_is_not_offered(setup, client):
    client.force_login(setup["staff"])
    response = client.post(
        "/setup/chains/new/", {"region": setup["regions"]["huangdao"].pk, "name": "越权链"}
    )
    assert response.status_code == 400
    assert "选择一个有效的选项" in names(response)
    assert not IndustryChain.objects.filter(name="越权链").exists()


def test_a_chain_with_firms_is_not_deleted(setup, client):
    chain = setup["daiyue_chain"]
    setup["firm"].industry_chain = chain
    setup["firm"].save(update_fields=["industry_chain"])
    client.force_login(setup["staff"])
    client.post(f"/setup/chains/{chain.pk}/delete/")
    assert IndustryChain.objects.filter(pk=chain.pk).exists()
    assert "仍有 1 家企业属于该产业链" in names(client.get(f"/setup/chains/{chain.pk}/"))
    empty = ChainFactory(region=setup["regions"]["daiyue"], name="空链")
    assert client.post(f"/setup/chains/{empty.pk}/delete/").status_code == 302
    assert not IndustryChain.objects.filter(pk=empty.pk).exists()


def test_chain_list_runs_constant_queries(setup, client, django_assert_num_queries):
    client.force_login(setup["staff"])
    # user, user's region, chains, lead banks (the session comes from the cache)
    with django_assert_num_queries(4):
        assert client.get("/setup/chains/").status_code == 200
    for index in range(5):
        chain = ChainFactory(region=setup["regions"]["daiyue"], name=f"链{index}")
        LeadBank.objects.create(
            chain=chain, branch=BranchFactory(region=setup["regions"]["daiyue"])
        )
        EnterpriseFactory(region=setup["regions"]["daiyue"], industry_chain=chain)
    with django_assert_num_queries(4):
        page = names(client.get("/setup/chains/"))
    assert page.count("测试支行") >= 5


# --- Lead banks -----------------------------------------------------------------------------------


def test_lead_bank_assignment_is_used_by_routing(setup, client, django_capture_on_commit_callbacks):
    from needs.services import financing_need_submit
    from tests.needs.conftest import NEED_DATA

    chain = setup["daiyue_chain"]
    client.force_login(setup["staff"])
    response = client.post(
        f"/setup/chains/{chain.pk}/lead-banks/",
        {"lead-branch": setup["branch"].pk, "lead-assigned_on": "2026-03-01"},
    )
    assert response.status_code == 302
    lead = LeadBank.objects.get(chain=chain)
    assert (lead.branch, str(lead.assigned_on)) == (setup["branch"], "2026-03-01")
    firm = setup["firm"]
    firm.industry_chain = chain
    firm.save(update_fields=["industry_chain"])
    with django_capture_on_commit_callbacks(execute=True):
        need = financing_need_submit(
            enterprise=firm, submitted_by=setup["member"], data=dict(NEED_DATA)
        )
    need.refresh_from_db()
    assert need.assigned_branch == setup["branch"]
    assert need.assignments.get().rule == "lead_bank"


def test_lead_bank_must_serve_the_region_and_a_bank_leads_a_chain_once(setup, client):
    chain = setup["daiyue_chain"]
    with pytest.raises(ValidationError) as excinfo:
        lead_bank_add(actor=setup["staff"], chain=chain, branch=setup["other_branch"])
    assert "不服务" in excinfo.value.message_dict["branch"][0]
    # The form does not even offer it.
    client.force_login(setup["staff"])
    response = client.post(
        f"/setup/chains/{chain.pk}/lead-banks/", {"lead-branch": setup["other_branch"].pk}
    )
    assert response.status_code == 400
    lead_bank_add(actor=setup["staff"], chain=chain, branch=setup["branch"])
    sibling = BranchFactory(bank=setup["branch"].bank, region=setup["regions"]["daiyue"])
    with pytest.raises(ValidationError) as excinfo:
        lead_bank_add(actor=setup["staff"], chain=chain, branch=sibling)
    assert "已是该产业链的主办银行" in excinfo.value.message_dict["branch"][0]
    assert LeadBank.objects.filter(chain=chain).count() == 1


def test_remove_a_lead_bank(setup, client):
    lead = LeadBank.objects.create(chain=setup["daiyue_chain"], branch=setup["branch"])
    client.force_login(setup["city_staff"])
    assert client.post(f"/setup/lead-banks/{lead.pk}/remove/").status_code == 302
    assert not LeadBank.objects.filter(pk=lead.pk).exists()


# --- Teams ----------------------------------------------------------------------------------------


def butler_form(setup, **changes):
    data = {
        "name": "第一金融管家团队",
        "region": setup["regions"]["daiyue"].pk,
        "branch": setup["branch"].pk,
        "members": [setup["officer"].pk],
        "enterprises": [setup["firm"].pk],
    }
    data.update(changes)
    return data


def test_butler_team_created_in_the_ui_gets_its_firms_needs(
    setup, client, django_capture_on_commit_callbacks
):
    from needs.services import financing_need_submit
    from tests.needs.conftest import NEED_DATA

    client.force_login(setup["staff"])
    response = client.post("/setup/teams/butler/new/", butler_form(setup))
    assert response.status_code == 302, names(response)
    team = ButlerTeam.objects.get(name="第一金融管家团队")
    assert list(team.members.all()) == [setup["officer"]]
    assert list(team.enterprises.all()) == [setup["firm"]]
    with django_capture_on_commit_callbacks(execute=True):
        need = financing_need_submit(
            enterprise=setup["firm"], submitted_by=setup["member"], data=dict(NEED_DATA)
        )
    need.refresh_from_db()
    assert (need.assigned_team, need.assignments.get().rule) == (team, "butler")
    page = names(client.get("/setup/teams/butler/"))
    assert "第一金融管家团队" in page and setup["firm"].name in page


def test_butler_team_validation_saves_nothing(setup, client):
    stranger = UserFactory(
        role=Role.BANK_OFFICER, branch=BranchFactory(region=setup["regions"]["daiyue"])
    )
    far_firm = setup["other_firm"]
    with pytest.raises(ValidationError) as excinfo:
        butler_team_save(
            actor=setup["staff"],
            name="",
            region=setup["regions"]["daiyue"],
            branch=setup["other_branch"],
            members=[stranger],
            enterprises=[far_firm],
        )
    errors = excinfo.value.message_dict
    assert "请填写团队名称" in errors["name"][0]
    assert "不服务" in errors["branch"][0]
    assert "不符合" in errors["members"][0]
    assert "不在" in errors["enterprises"][0]
    assert not ButlerTeam.objects.exists()


def test_a_firm_pairs_with_one_butler_team(setup, client):
    client.force_login(setup["staff"])
    assert client.post("/setup/teams/butler/new/", butler_form(setup)).status_code == 302
    response = client.post("/setup/teams/butler/new/", butler_form(setup, name="第二团队"))
    assert response.status_code == 400
    assert "已与其他金融管家团队结对" in names(response)
    assert ButlerTeam.objects.count() == 1
    # Editing the first team keeps its own pairing.
    team = ButlerTeam.objects.get()
    response = client.post(f"/setup/teams/butler/{team.pk}/", butler_form(setup, name="改名团队"))
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.name == "改名团队"


def test_teams_of_other_regions_are_404(setup, client):
    team = ButlerTeam.objects.create(
        name="黄岛团队", region=setup["regions"]["huangdao"], branch=setup["other_branch"]
    )
    client.force_login(setup["staff"])
    assert "黄岛团队" not in names(client.get("/setup/teams/butler/"))
    assert client.get(f"/setup/teams/butler/{team.pk}/").status_code == 404
    assert client.post(f"/setup/teams/butler/{team.pk}/delete/").status_code == 404
    assert client.get("/setup/teams/nonsense/").status_code == 404
    client.force_login(setup["other_staff"])
    assert client.post(f"/setup/teams/butler/{team.pk}/delete/").status_code == 302
    assert not ButlerTeam.objects.exists()


def test_advisory_team_members_and_firms_are_checked(setup, client):
    client.force_login(setup["staff"])
    data = {
        "name": "泰山金融辅导一队",
        "region": setup["regions"]["daiyue"].pk,
        "leader": "李强",
        "members": [setup["staff"].pk, setup["officer"].pk],
        "enterprises": [setup["firm"].pk],
    }
    assert client.post("/setup/teams/advisory/new/", data).status_code == 302
    team = AdvisoryTeam.objects.get()
    assert set(team.members.all()) == {setup["staff"], setup["officer"]}
    # Staff of another city are not offered; firms of another region are refused.
    response = client.post(
        "/setup/teams/advisory/new/",
        {**data, "name": "二队", "members": [setup["other_staff"].pk]},
    )
    assert response.status_code == 400
    response = client.post(
        "/setup/teams/advisory/new/",
        {**data, "name": "二队", "enterprises": [setup["other_firm"].pk]},
    )
    assert response.status_code == 400
    assert AdvisoryTeam.objects.count() == 1


@pytest.mark.parametrize("kind", ["butler", "advisory"])
def test_team_lists_run_constant_queries(setup, client, django_assert_num_queries, kind):
    def add_team(index):
        if kind == "butler":
            team = ButlerTeam.objects.create(
                name=f"团队{index}", region=setup["regions"]["daiyue"], branch=setup["branch"]
            )
        else:
            team = AdvisoryTeam.objects.create(name=f"队{index}", region=setup["regions"]["daiyue"])
        team.members.add(setup["officer"])
        team.enterprises.add(EnterpriseFactory(region=setup["regions"]["daiyue"]))

    client.force_login(setup["staff"])
    add_team(0)
    # user, user's region, teams, members, enterprises (the session comes from the cache)
    with django_assert_num_queries(5):
        client.get(f"/setup/teams/{kind}/")
    for index in range(1, 5):
        add_team(index)
    with django_assert_num_queries(5):
        page = names(client.get(f"/setup/teams/{kind}/"))
    assert page.count(str(setup["officer"])) >= 5
