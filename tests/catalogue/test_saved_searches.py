"""Saved searches: alerts about new or changed matching records, one-click unsubscribe."""

from __future__ import annotations

import re

import pytest

from catalogue.models import SavedSearch
from catalogue.services import saved_search_unsubscribe_token
from catalogue.tasks import saved_searches_notify_now
from notifications.models import Notification
from policies.services import policy_publish, policy_update
from tests.factories import PolicyFactory


@pytest.mark.django_db
def test_save_from_the_list_page(client, personas):
    client.force_login(personas["member"])
    response = client.post(
        "/catalogue/saved/new/",
        {"kind": "policy", "params": "search=贴息&page=2&region_code=370911"},
    )
    assert response.status_code == 302
    saved = SavedSearch.objects.get(user=personas["member"])
    assert saved.params == {"search": "贴息", "region_code": "370911"}
    assert "贴息" in client.get("/catalogue/saved/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_publishing_a_matching_policy_notifies_once_and_unsubscribe_stops_it(
    client, personas, regions
):
    member = personas["member"]
    saved = SavedSearch.objects.create(
        user=member, kind="policy", name="贴息", params={"search": "贴息"}
    )
    draft = PolicyFactory(title="贷款贴息", publish=False, region=regions["daiyue"])
    PolicyFactory(title="上市奖励", publish=False, region=regions["daiyue"])
    policy_publish(policy=draft)  # the task runs after the commit
    notes = Notification.objects.filter(user=member).order_by("pk")
    assert [n.title for n in notes] == ["有新的或更新的政策符合您保存的搜索“贴息”：贷款贴息"]
    assert f"/policies/{draft.pk}/" in notes[0].url
    # Rerunning the task sends nothing new; a later change is told again.
    assert saved_searches_notify_now(kind="policy", ids=[draft.pk]) == 0
    policy_update(policy=draft, data={"summary": "贴息比例提高"})
    assert notes.all().count() == 2
    # One click, no login.
    response = client.get(f"/catalogue/saved/unsubscribe/{saved_search_unsubscribe_token(saved)}/")
    assert response.status_code == 200 and "已退订" in response.content.decode()
    saved.refresh_from_db()
    assert not saved.active
    policy_update(policy=draft, data={"summary": "再次修改贴息"})
    assert notes.all().count() == 2
    assert client.get("/catalogue/saved/unsubscribe/forged/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_product_search_alerts_on_new_and_changed_products_with_an_unsubscribe_link(
    client, personas, regions
):
    from banks.services import product_publish, product_update
    from catalogue.services import saved_search_create
    from tests.factories import LoanProductFactory

    member = personas["member"]
    saved = saved_search_create(
        user=member, kind="product", params={"search": "知识产权", "amount_wan": "300"}, name="知产"
    )
    big = LoanProductFactory(name="知识产权质押贷", max_amount_yuan=10_000_000, publish=False)
    small = LoanProductFactory(name="小额知识产权贷", max_amount_yuan=1_000_000, publish=False)
    other = LoanProductFactory(name="信用快贷", max_amount_yuan=10_000_000, publish=False)
    for product in (big, small, other):
        product_publish(product=product)  # the task runs after each commit
    notes = Notification.objects.filter(user=member).order_by("pk")
    assert [n.title for n in notes] == [f"有新的或更新的信贷产品符合您保存的搜索“知产”：{big}"]
    # The token carries its signing time, so read the link from the message, not recompute it.
    match = re.search(r"/catalogue/saved/unsubscribe/[^/\s]+/", notes[0].body)
    assert match and f"/products/{big.pk}/" in notes[0].url
    unsubscribe = match.group(0)
    # A change that makes another product match is told too.
    product_update(product=small, data={"max_amount_yuan": 5_000_000})
    assert notes.all().count() == 2 and "小额知识产权贷" in notes.last().title
    # One click on the link in the message, and nothing more comes.
    assert client.get(unsubscribe).status_code == 200
    product_update(product=small, data={"max_amount_yuan": 6_000_000})
    assert notes.all().count() == 2
    saved.refresh_from_db()
    assert not saved.active


@pytest.mark.django_db
def test_the_sweeper_sends_an_alert_whose_message_was_lost_once(
    personas, regions, settings, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    from catalogue.tasks import saved_searches_sweep

    member = personas["member"]
    SavedSearch.objects.create(user=member, kind="policy", name="贴息", params={"search": "贴息"})
    draft = PolicyFactory(title="贷款贴息", publish=False, region=regions["daiyue"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # the message is lost
        policy_publish(policy=draft)
    assert callbacks and not Notification.objects.filter(user=member).exists()

    assert saved_searches_sweep.apply().get() == 1
    assert saved_searches_sweep.apply().get() == 0  # already told
    notes = Notification.objects.filter(user=member, kind="catalogue.saved_search")
    assert [n.title for n in notes] == ["有新的或更新的政策符合您保存的搜索“贴息”：贷款贴息"]

    # A change older than the window is not looked at again.
    settings.SAVED_SEARCH_SWEEP_HOURS = 1
    type(draft).objects.filter(pk=draft.pk).update(
        updated_at=timezone.now() - dt.timedelta(hours=2)
    )
    Notification.objects.all().delete()
    assert saved_searches_sweep.apply().get() == 0
