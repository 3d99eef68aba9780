"""After a bank declines: the need is routed again without that bank; the firm sees the reason and
other banks' matching products; the declining bank loses the live case (404 in lists, pages and
the API) but keeps a read-only record of its own turn, which tells it nothing about what came
after."""

import pytest

from banks.models import LoanProduct
from needs.services import financing_need_comment, financing_need_decline

pytestmark = pytest.mark.django_db


def product(branch, key, **fields):
    return LoanProduct.objects.create(
        key=key,
        name=fields.pop("name", key),
        bank=branch.bank,
        region=branch.region,
        product_class="信用类",
        status="published",
        guarantee_methods=["credit"],
        **fields,
    )


@pytest.fixture
def declined(world, submit, run_commit):
    need = submit(world["member"])
    assert need.assigned_branch == world["branch"]
    run_commit(
        financing_need_decline,
        need=need,
        actor=world["officer"],
        reason="quota",
        note="本季度信贷额度已用完",
    )
    need.refresh_from_db()
    return need


def test_rerouted_without_the_declining_bank(world, declined):
    assert declined.status == "assigned"
    assert declined.assigned_branch == world["branch2"]
    first, second = declined.assignments.order_by("pk")
    assert (first.branch, first.outcome) == (world["branch"], "declined")
    assert second.rule == "lead_bank" and "第二主办银行" in second.reason


def test_firm_sees_the_reason_and_other_banks_products(world, submit, run_commit, client):
    own = product(world["branch"], "own-bank-loan", name="退回行的产品")
    other = product(world["branch2"], "other-bank-loan", name="其他银行的信用贷")
    too_small = product(
        world["branch2"], "too-small", name="额度太小的产品", max_amount_yuan=100_000
    )
    need = submit(world["member"])
    run_commit(
        financing_need_decline, need=need, actor=world["officer"], reason="risk", note="负债率偏高"
    )
    client.force_login(world["member"])
    page = client.get(f"/needs/{need.pk}/").content.decode()
    assert "风险评估未通过" in page and "负债率偏高" in page
    assert "其他匹配的信贷产品" in page
    assert other.name in page and f"/products/{other.pk}/" in page
    assert own.name not in page and too_small.name not in page


def test_declining_bank_loses_the_live_case(world, declined, client):
    client.force_login(world["officer"])
    assert client.get(f"/needs/{declined.pk}/").status_code == 404
    assert client.get(f"/api/v1/needs/{declined.pk}/").status_code == 404
    assert f"#{declined.pk}<" not in client.get("/needs/").content.decode()
    assert declined.pk not in [n["id"] for n in client.get("/api/v1/needs/").json()["results"]]
    response = client.post(
        f"/api/v1/needs/{declined.pk}/accept/", {}, content_type="application/json"
    )
    assert response.status_code == 404


def test_declining_bank_keeps_a_read_only_record(world, declined, client, run_commit):
    # The new bank talks to the firm; none of it reaches the declining bank's record.
    run_commit(
        financing_need_comment,
        need=declined,
        actor=world["officer2"],
        text="明天上门走访，第二银行",
    )
    for persona in ("officer", "manager"):
        client.force_login(world[persona])
        page = client.get("/needs/released/").content.decode()
        assert f"#{declined.pk}" in page
        assert world["firm"].name in page and "额度不足" in page and "本季度信贷额度已用完" in page
        assert "300 万元" in page
        assert world["branch2"].name not in page and "明天上门走访" not in page
        # Read-only: no link to the live case and none of its action forms.
        assert f"/needs/{declined.pk}/" not in page


@pytest.mark.parametrize("persona", ["other_officer", "officer2"])
def test_other_banks_do_not_see_the_record(world, declined, client, persona):
    client.force_login(world[persona])
    assert f"#{declined.pk}" not in client.get("/needs/released/").content.decode()


@pytest.mark.parametrize("persona", ["member", "staff"])
def test_the_record_page_is_for_banks_only(world, client, persona):
    client.force_login(world[persona])
    assert client.get("/needs/released/").status_code == 404


def test_record_page_runs_constant_queries(
    world, submit, run_commit, client, django_assert_num_queries
):
    def decline_one():
        need = submit(world["member"])
        if need.assigned_branch != world["branch"]:  # lightest load: alternate lead banks
            need = submit(world["member"])
        run_commit(
            financing_need_decline, need=need, actor=world["officer"], reason="quota", note="额度"
        )

    decline_one()
    client.force_login(world["officer"])
    # user, count, page (the session is read from the cache: SESSION_ENGINE cached_db)
    with django_assert_num_queries(3):
        client.get("/needs/released/")
    for _ in range(3):
        decline_one()
    with django_assert_num_queries(3):
        page = client.get("/needs/released/").content.decode()
    assert page.count("额度不足") == 4
