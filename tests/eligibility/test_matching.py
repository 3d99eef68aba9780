"""Background matching: re-evaluation on profile and policy changes and nightly, stored results,
notifications for newly qualifying and closing policies, and reruns that send nothing twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Role
from eligibility.models import EligibilityResult
from eligibility.services import eligibility_rematch
from eligibility.tasks import rematch_all, rematch_enterprise
from notifications.models import Notification
from policies.models import Status
from tests.factories import EnterpriseFactory, UserFactory


@pytest.fixture
def firm(regions):
    """A 岱岳 firm below the 500万 revenue line of ``REVENUE_RULE``, with a member who has e-mail."""
    firm = EnterpriseFactory(region=regions["daiyue"], annual_revenue_yuan=3_000_000, employees=20)
    UserFactory(
        username="firm-member",
        role=Role.ENTERPRISE_MEMBER,
        enterprise=firm,
        email="member@example.com",
    )
    return firm


def _results(firm) -> dict[int, tuple]:
    return {
        r.policy_id: (r.eligible, r.amount_yuan, r.max_amount_yuan)
        for r in EligibilityResult.objects.filter(enterprise=firm)
    }


def _kinds(firm) -> list[str]:
    return sorted(Notification.objects.filter(user__enterprise=firm).values_list("kind", flat=True))


def test_profile_change_rematches_after_commit_and_notifies(
    firm, make_policy, django_capture_on_commit_callbacks
):
    from enterprises.services import enterprise_update_profile

    policy = make_policy(region_code="370900")
    assert _results(firm) == {}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enterprise_update_profile(enterprise=firm, data={"annual_revenue_yuan": 6_000_000})
        assert _results(firm) == {}  # nothing runs before the commit
    assert callbacks
    assert _results(firm) == {policy.pk: (True, 100_000, 100_000)}
    notification = Notification.objects.get(user__enterprise=firm)
    assert notification.kind == "eligibility.new"
    assert policy.title in notification.title and "10万元" in notification.title
    assert [m.to for m in mail.outbox] == [["member@example.com"]]
    assert policy.title in mail.outbox[0].subject + mail.outbox[0].body

    # The firm stops qualifying: its stored result goes, and nothing new is sent.
    with django_capture_on_commit_callbacks(execute=True):
        enterprise_update_profile(enterprise=firm, data={"annual_revenue_yuan": 5_000_000})
    assert _results(firm) == {}
    assert Notification.objects.filter(user__enterprise=firm).count() == 1


def test_publishing_a_policy_rematches_every_firm(
    firm, make_policy, django_capture_on_commit_callbacks
):
    from policies.services import policy_publish

    firm.annual_revenue_yuan = 8_000_000
    firm.save()
    other = EnterpriseFactory(region=firm.region, annual_revenue_yuan=1_000_000)
    with django_capture_on_commit_callbacks(execute=True):  # its own transaction
        draft = make_policy(region_code="370900", status=Status.DRAFT)
    assert _results(firm) == {} and _kinds(firm) == []  # a draft matches nobody
    with django_capture_on_commit_callbacks(execute=True):
        policy_publish(policy=draft)
    assert _results(firm) == {draft.pk: (True, 100_000, 100_000)}
    assert _results(other) == {}
    assert _kinds(firm) == ["eligibility.new"]


def test_changing_a_policy_rule_rematches(firm, make_policy, django_capture_on_commit_callbacks):
    from policies.services import policy_update

    firm.annual_revenue_yuan = 8_000_000
    firm.save()
    with django_capture_on_commit_callbacks(execute=True):  # its own transaction
        policy = make_policy(region_code="370900")
    assert _results(firm) == {policy.pk: (True, 100_000, 100_000)}
    stricter = {
        "conditions": {
            "fact": "annual_revenue_yuan",
            "op": "gt",
            "value": 10_000_000,
            "label": "主营业务收入超过1000万元",
        },
        "benefit": {"type": "fixed", "amount_yuan": 100_000},
    }
    with django_capture_on_commit_callbacks(execute=True):
        policy_update(policy=policy, data={}, rule=stricter)
    assert _results(firm) == {}
    richer = {**stricter, "conditions": {**stricter["conditions"], "value": 1_000_000}}
    richer["benefit"] = {"type": "fixed", "amount_yuan": 300_000}
    with django_capture_on_commit_callbacks(execute=True):
        policy_update(policy=policy, data={}, rule=richer)
    assert _results(firm) == {policy.pk: (True, 300_000, 300_000)}


def test_unpublishing_removes_the_stored_results(
    firm, make_policy, django_capture_on_commit_callbacks
):
    from policies.services import policy_unpublish

    firm.annual_revenue_yuan = 8_000_000
    firm.save()
    with django_capture_on_commit_callbacks(execute=True):  # its own transaction
        policy = make_policy(region_code="370900")
    assert policy.pk in _results(firm)
    with django_capture_on_commit_callbacks(execute=True):
        policy_unpublish(policy=policy)
    assert _results(firm) == {}


def test_the_nightly_rematch_is_in_the_beat_schedule():
    from celery.schedules import crontab

    from portal.celery import app

    entries = [e for e in app.conf.beat_schedule.values() if e["task"] == "eligibility.rematch_all"]
    assert len(entries) == 1
    assert isinstance(entries[0]["schedule"], crontab)
    assert rematch_all.name == "eligibility.rematch_all"
    assert "eligibility.rematch_all" in app.tasks


def test_nightly_task_stores_eligible_only_not_undecided_nor_plain_no(regions, make_policy):
    yes = EnterpriseFactory(region=regions["daiyue"], annual_revenue_yuan=8_000_000)
    unknown = EnterpriseFactory(region=regions["daiyue"], annual_revenue_yuan=None)
    no = EnterpriseFactory(region=regions["daiyue"], annual_revenue_yuan=1_000_000)
    elsewhere = EnterpriseFactory(region=regions["huangdao"], annual_revenue_yuan=8_000_000)
    UserFactory(username="unknown-member", enterprise=unknown, email="u@example.com")
    policy = make_policy(region_code="370900")
    result = rematch_all.delay()
    assert result.get() == 0  # nobody with a member newly qualifies (the undecided one is not told)
    assert _results(yes) == {policy.pk: (True, 100_000, 100_000)}
    # Undecided for want of a fact: not stored (the calculator names the missing fact live).
    assert _results(unknown) == {}
    assert _results(no) == {} and _results(elsewhere) == {}
    stored = EligibilityResult.objects.get(enterprise=yes)
    assert stored.rule_version == policy.rules.get()
    assert Notification.objects.count() == 0


def test_a_rerun_sends_nothing_twice(firm, make_policy, django_capture_on_commit_callbacks):
    firm.annual_revenue_yuan = 8_000_000
    firm.save()
    today = timezone.localdate()
    closing = make_policy(region_code="370900", valid_to=today + timedelta(days=14))
    make_policy(region_code="370900", valid_to=today + timedelta(days=15))
    with django_capture_on_commit_callbacks(execute=True):  # e-mail goes out after the commit
        first = rematch_all.delay().get()
    # Two new qualifications, one closing within 14 days.
    assert first == 3
    assert _kinds(firm) == ["eligibility.closing", "eligibility.new", "eligibility.new"]
    closing_note = Notification.objects.get(kind="eligibility.closing")
    assert closing.title in closing_note.title
    assert f"{closing.valid_to:%Y年%m月%d日}" in closing_note.title
    assert len(mail.outbox) == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert rematch_all.delay().get() == 0
        assert rematch_enterprise.delay(firm.pk).get() == 0
    assert Notification.objects.count() == 3 and len(mail.outbox) == 3


def test_a_policy_closing_later_is_announced_when_it_enters_the_window(firm, make_policy):
    firm.annual_revenue_yuan = 8_000_000
    firm.save()
    today = timezone.localdate()
    policy = make_policy(region_code="370900", valid_to=today + timedelta(days=20))
    eligibility_rematch(as_of=today)
    assert _kinds(firm) == ["eligibility.new"]
    eligibility_rematch(as_of=today + timedelta(days=5))
    assert _kinds(firm) == ["eligibility.new"]
    eligibility_rematch(as_of=today + timedelta(days=6))  # 14 days before the close
    assert _kinds(firm) == ["eligibility.closing", "eligibility.new"]
    eligibility_rematch(as_of=today + timedelta(days=7))
    assert _kinds(firm) == ["eligibility.closing", "eligibility.new"]
    assert policy.pk in _results(firm)


def test_a_task_for_a_deleted_firm_returns_quietly(db):
    assert rematch_enterprise.delay(987654).get() == 0


def test_stored_results_are_scoped(firm, personas, make_policy):
    firm.annual_revenue_yuan = 8_000_000
    firm.save()
    make_policy(region_code="370900")
    eligibility_rematch()
    member = firm.members.get() if hasattr(firm, "members") else firm.user_set.get()
    assert EligibilityResult.objects.for_user(member).count() == 1
    assert EligibilityResult.objects.for_user(personas["other_member"]).count() == 0


@pytest.mark.parametrize("size", [3, 30])
def test_a_rerun_costs_the_same_queries_however_many_firms(
    regions, make_policy, django_assert_num_queries, size
):
    for _ in range(size):
        EnterpriseFactory(region=regions["daiyue"], annual_revenue_yuan=8_000_000)
    for _ in range(3):
        make_policy(region_code="370900")
    eligibility_rematch()
    assert EligibilityResult.objects.count() == size * 3
    # catalogue facts, firm ids, savepoint, firms, previous results (the policies and rules from
    # the process's rule set); nothing changed, so nothing is written.
    with django_assert_num_queries(5):
        stats = eligibility_rematch()
    assert (stats.stored, stats.unchanged, stats.removed) == (0, size * 3, 0)
    assert EligibilityResult.objects.count() == size * 3


def test_column_wise_and_firm_by_firm_matching_store_the_same(catalogue, monkeypatch):
    """The nightly run over many firms goes column-wise; a profile change firm by firm."""
    import random

    from catalogue.loader import region_ensure
    from eligibility import services

    rng = random.Random(4)
    codes = ["370211", "370203", "370911", "370923", "370902", "370983"]
    for _ in range(60):
        EnterpriseFactory(
            region=region_ensure(rng.choice(codes)),
            annual_revenue_yuan=rng.choice([None, 4_999_999, 5_000_000, 5_000_001, 80_000_000]),
            employees=rng.choice([None, 5, 10, 300]),
            qualifications=rng.sample(["tech_sme", "srdi", "high_tech", "agri"], rng.randint(0, 2)),
            credit_rating=rng.choice(["", "AA", "B"]),
        )

    def stored() -> set:
        return set(
            EligibilityResult.objects.values_list(
                "enterprise_id", "policy_id", "eligible", "amount_yuan", "max_amount_yuan"
            )
        )

    monkeypatch.setattr(services, "COLUMNAR_MIN_FIRMS", 1)
    column_wise = eligibility_rematch(notify=False)
    by_columns = stored()
    EligibilityResult.objects.all().delete()
    monkeypatch.setattr(services, "COLUMNAR_MIN_FIRMS", 10**9)
    firm_by_firm = eligibility_rematch(notify=False)
    assert stored() == by_columns
    assert by_columns and all(row[2] is True for row in by_columns)
    assert column_wise.stored == firm_by_firm.stored == column_wise.eligible == len(by_columns)
    # The undecided results (not stored) agree too, and there are many of them.
    assert column_wise.undecided == firm_by_firm.undecided > 100


def test_one_task_per_transaction_for_policy_changes(
    regions, make_policy, django_capture_on_commit_callbacks, monkeypatch
):
    from eligibility import tasks

    sent = []
    monkeypatch.setattr(tasks.rematch_policies, "delay", lambda ids: sent.append(ids))
    with django_capture_on_commit_callbacks(execute=True):
        first = make_policy(region_code="370900")  # the policy and its rule: two saves
        second = make_policy(region_code="370900")
    assert sent == [sorted([first.pk, second.pk])]
    with django_capture_on_commit_callbacks(execute=True):  # the next transaction: a new task
        first.save()
    assert sent[1:] == [[first.pk]]


def test_a_changed_result_is_updated_in_place_and_others_left_alone(regions, make_policy):
    """The upsert (COPY and INSERT … ON CONFLICT on PostgreSQL) updates the changed row only."""
    firms = [
        EnterpriseFactory(region=regions["daiyue"], annual_revenue_yuan=8_000_000) for _ in range(3)
    ]
    policy = make_policy(region_code="370900")
    eligibility_rematch()
    rows = {r.enterprise_id: r for r in EligibilityResult.objects.all()}
    assert set(rows) == {f.pk for f in firms}
    stale = rows[firms[0].pk]
    EligibilityResult.objects.filter(pk=stale.pk).update(amount_yuan=1, max_amount_yuan=None)
    stats = eligibility_rematch()
    assert (stats.stored, stats.unchanged, stats.removed) == (1, 2, 0)
    after = {r.enterprise_id: r for r in EligibilityResult.objects.all()}
    assert after[firms[0].pk].pk == stale.pk
    assert _results(firms[0]) == {policy.pk: (True, 100_000, 100_000)}
    assert after[firms[0].pk].evaluated_at > stale.evaluated_at
    for firm in firms[1:]:  # unchanged rows keep their evaluation time
        assert after[firm.pk].evaluated_at == rows[firm.pk].evaluated_at
