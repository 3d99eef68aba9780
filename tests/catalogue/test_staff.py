"""Staff administration: scoped to the region, history of every change, sanitised rich text."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from catalogue.models import CatalogueChange
from policies.models import Policy
from tests.factories import BankFactory, LoanProductFactory, PolicyFactory


@pytest.mark.django_db
@pytest.mark.parametrize("who", [None, "member", "officer", "manager"])
def test_staff_pages_are_404_for_everyone_else(client, personas, who):
    if who:
        client.force_login(personas[who])
        assert client.get("/catalogue/staff/").status_code == 404
    else:
        assert client.get("/catalogue/staff/").status_code == 302  # to the login page


@pytest.mark.django_db
def test_staff_see_and_edit_only_their_region(client, personas, regions):
    own = PolicyFactory(title="岱岳政策", region=regions["daiyue"])
    city = PolicyFactory(title="市级政策", region=regions["city"])
    other = PolicyFactory(title="青岛政策", region=regions["qingdao"])
    client.force_login(personas["staff"])
    page = client.get("/catalogue/staff/").content.decode()
    assert "岱岳政策" in page and "市级政策" not in page and "青岛政策" not in page
    assert client.get(f"/catalogue/staff/policies/{own.pk}/").status_code == 200
    assert client.get(f"/catalogue/staff/policies/{city.pk}/").status_code == 404
    assert client.get(f"/catalogue/staff/policies/{other.pk}/").status_code == 404
    client.force_login(personas["city_staff"])
    assert client.get(f"/catalogue/staff/policies/{own.pk}/").status_code == 200


def _policy_post(policy: Policy, **changes) -> dict:
    data = {
        "title": policy.title,
        "issuer": policy.issuer,
        "region": policy.region_id,
        "category": policy.category,
        "support_type": policy.support_type,
        "beneficiary": policy.beneficiary,
        "valid_from": "2025-01-01",
        "valid_to": "",
        "summary": policy.summary,
        "source_passage": policy.source_passage,
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_edit_keeps_history_with_who_and_when_and_sanitises(client, personas, regions):
    policy = PolicyFactory(title="旧标题", region=regions["daiyue"])
    client.force_login(personas["staff"])
    response = client.post(
        f"/catalogue/staff/policies/{policy.pk}/",
        _policy_post(
            policy, title="新标题", summary='<p onclick="x()">好</p><script>bad()</script>'
        ),
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.title == "新标题"
    assert policy.summary == "<p>好</p>"
    change = CatalogueChange.objects.filter(object_id=policy.pk, action="update").get()
    assert change.user == personas["staff"]
    assert change.changes["title"] == ["旧标题", "新标题"]
    page = client.get(f"/catalogue/staff/policies/{policy.pk}/").content.decode()
    assert "修改记录" in page and "新标题" in page and str(personas["staff"]) in page


@pytest.mark.django_db
def test_staff_cannot_move_a_record_out_of_their_region(client, personas, regions):
    policy = PolicyFactory(region=regions["daiyue"])
    client.force_login(personas["staff"])
    response = client.post(
        f"/catalogue/staff/policies/{policy.pk}/",
        _policy_post(policy, region=regions["qingdao"].pk),
    )
    assert response.status_code == 200  # the form again, with an error
    policy.refresh_from_db()
    assert policy.region == regions["daiyue"]


@pytest.mark.django_db
def test_create_publish_unpublish(client, personas, regions):
    client.force_login(personas["staff"])
    response = client.post(
        "/catalogue/staff/policies/new/",
        {
            "key": "daiyue-new",
            "title": "岱岳区新政策",
            "issuer": "岱岳区人民政府",
            "region": regions["daiyue"].pk,
            "category": "科技创新",
            "support_type": "奖补",
            "beneficiary": "enterprise",
            "valid_from": "2025-01-01",
            "rule_json": json.dumps({"beneficiary": "enterprise"}),
        },
    )
    assert response.status_code == 302, response.content.decode()
    policy = Policy.objects.get(key="daiyue-new")
    assert not policy.is_published and policy.rules.count() == 1
    assert client.get(f"/policies/{policy.pk}/").status_code == 200  # staff preview
    client.post(f"/catalogue/staff/policies/{policy.pk}/publish/")
    policy.refresh_from_db()
    assert policy.is_published
    client.post(f"/catalogue/staff/policies/{policy.pk}/unpublish/")
    policy.refresh_from_db()
    assert not policy.is_published
    actions = list(
        CatalogueChange.objects.filter(object_id=policy.pk, kind="policy").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["create", "publish", "unpublish"]


@pytest.mark.django_db
def test_bad_rule_is_refused_in_chinese(client, personas, regions):
    policy = PolicyFactory(region=regions["daiyue"])
    client.force_login(personas["staff"])
    response = client.post(
        f"/catalogue/staff/policies/{policy.pk}/",
        _policy_post(policy, rule_json=json.dumps({"conditions": {"fact": "x", "op": "gtt"}})),
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode() or "error" in response.content.decode()
    assert policy.rules.count() == 0


@pytest.mark.django_db
def test_rule_versions_keep_old_terms(regions):
    from datetime import date

    from policies.services import policy_update

    policy = PolicyFactory(
        valid_from=date(2024, 1, 1), rule={"beneficiary": "enterprise", "one_time": False}
    )
    policy_update(
        policy=policy,
        data={},
        rule={"beneficiary": "enterprise", "one_time": True},
        rule_valid_from=date(2025, 1, 1),
    )
    versions = list(policy.rules.order_by("valid_from"))
    assert [(v.valid_from, v.valid_to) for v in versions] == [
        (date(2024, 1, 1), date(2024, 12, 31)),
        (date(2025, 1, 1), None),
    ]
    assert versions[0].data["one_time"] is False and versions[1].as_rule()["one_time"] is True


@pytest.mark.django_db
def test_staff_edits_a_product_and_history_shows_it(client, personas, regions):
    bank = BankFactory(name="泰安银行")
    product = LoanProductFactory(
        name="泰e贷", bank=bank, region=regions["daiyue"], max_amount_yuan=1_000_000
    )
    client.force_login(personas["staff"])
    page = client.get(f"/catalogue/staff/products/{product.pk}/")
    assert page.status_code == 200
    response = client.post(
        f"/catalogue/staff/products/{product.pk}/",
        {
            "name": "泰e贷",
            "bank": bank.pk,
            "region": regions["daiyue"].pk,
            "product_class": "信用类",
            "max_amount_wan": "300",
            "guarantee_methods": ["credit", "guarantee"],
            "regions_served": [regions["daiyue"].pk],
        },
    )
    assert response.status_code == 302, response.content.decode()
    product.refresh_from_db()
    assert product.max_amount_yuan == 3_000_000
    assert product.guarantee_methods == ["credit", "guarantee"]
    change = CatalogueChange.objects.get(kind="product", object_id=product.pk, action="update")
    assert change.changes["max_amount_yuan"] == [1_000_000, 3_000_000]


@pytest.mark.django_db
def test_service_refuses_other_roles(personas, regions):
    from policies.services import policy_create

    with pytest.raises(ValidationError):
        policy_create(
            key="x",
            data={
                "title": "x",
                "issuer": "x",
                "region": regions["daiyue"],
                "category": "科技创新",
                "support_type": "奖补",
            },
            user=personas["officer"],
        )


@pytest.mark.django_db
def test_staff_index_runs_constant_queries(client, personas, regions):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(personas["staff"])

    def queries(n: int) -> int:
        for _ in range(n):
            PolicyFactory(region=regions["daiyue"])
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/catalogue/staff/", {"page_size": 100}).status_code == 200
        return len(ctx)

    assert queries(2) == queries(25)


@pytest.mark.django_db
def test_staff_set_validity_dates_and_a_bad_range_changes_nothing(client, personas, regions):
    from datetime import date, timedelta

    from django.utils import timezone

    policy = PolicyFactory(title="岱岳区贴息", region=regions["daiyue"], summary="贷款贴息")
    client.force_login(personas["staff"])
    bad = client.post(
        f"/catalogue/staff/policies/{policy.pk}/",
        _policy_post(policy, valid_from="2025-06-01", valid_to="2025-01-01"),
    )
    assert bad.status_code == 200  # the form again, with the error in Chinese
    assert "截止日期不能早于生效日期。" in bad.content.decode()
    policy.refresh_from_db()
    assert policy.valid_to is None
    assert not CatalogueChange.objects.filter(object_id=policy.pk, action="update").exists()
    yesterday = timezone.localdate() - timedelta(days=1)
    ok = client.post(
        f"/catalogue/staff/policies/{policy.pk}/",
        _policy_post(policy, valid_to=yesterday.isoformat()),
    )
    assert ok.status_code == 302
    policy.refresh_from_db()
    assert (policy.valid_from, policy.valid_to) == (date(2025, 1, 1), yesterday)
    change = CatalogueChange.objects.get(object_id=policy.pk, action="update")
    assert change.changes["valid_to"] == [None, yesterday.isoformat()]
    client.logout()
    # Now expired: hidden from the public list by default, listed and marked on request.
    assert "岱岳区贴息" not in client.get("/policies/", {"search": "贴息"}).content.decode()
    shown = client.get("/policies/", {"search": "贴息", "include_expired": "on"}).content.decode()
    assert "岱岳区贴息" in shown and "已过期" in shown
