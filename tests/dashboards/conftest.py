"""A small 岱岳 world of cases taken through the real services, then placed at known times.

Four cases of the persona firm (岱岳区, 新材料 chain), all submitted in November 2026:

- ``open``: accepted and contacted, never approved; its decision deadline has passed (overdue);
- ``approved``: approved 200 万元, not disbursed;
- ``rerouted``: declined by the bank it was routed to (额度不足), rerouted to the chain's other
  lead bank, which approves 150 万元 and disburses 100 万元;
- ``disbursed``: approved and disbursed 300 万元;

and one case of another region's firm (黄岛), which 岱岳's staff must never see.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from needs import services
from needs.models import Assignment, Deadline, FinancingNeed
from tests.needs import conftest as needs_fixtures
from workdays.calendar import SHANGHAI

# The needs tests' fixtures, shared rather than copied.
need_data = needs_fixtures.need_data
world = needs_fixtures.world
submit = needs_fixtures.submit
run_commit = needs_fixtures.run_commit

PERIOD = {"start": "2026-11-01", "end": "2026-11-30"}
# Monday 2 November 2026, 09:00 in Shanghai: a working day, like the days after it.
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)


def place(need: FinancingNeed, *, day: int, accept_hours: float, contact_hours: float) -> None:
    """Put the need's submission and its current bank turn at known moments of November."""
    start = MONDAY + timedelta(days=day)
    turn = need.assignments.filter(outcome=Assignment.Outcome.OPEN).first() or (
        need.assignments.order_by("-created_at").first()
    )
    accepted = start + timedelta(hours=accept_hours)
    contacted = accepted + timedelta(hours=contact_hours)
    FinancingNeed.objects.filter(pk=need.pk).update(
        created_at=start - timedelta(minutes=5),
        assigned_at=start,
        accepted_at=accepted,
        first_contact_at=contacted,
    )
    Assignment.objects.filter(pk=turn.pk).update(created_at=start)
    Deadline.objects.filter(assignment=turn, kind=Deadline.Kind.ACCEPT).update(met_at=accepted)
    Deadline.objects.filter(assignment=turn, kind=Deadline.Kind.CONTACT).update(met_at=contacted)
    Assignment.objects.filter(need=need).exclude(pk=turn.pk).update(
        created_at=start - timedelta(hours=2)
    )


@pytest.fixture
def cases(world, regions, submit, run_commit):
    member, officer, officer2 = world["member"], world["officer"], world["officer2"]
    today = timezone.localdate()

    def holder(need):
        """Routing spreads cases over the chain's two lead banks: the officer of the one holding it."""
        need.refresh_from_db()
        return officer if need.assigned_branch == world["branch"] else officer2

    def work(need, *, approve=None, disburse=None):
        actor = holder(need)
        need = run_commit(services.financing_need_accept, need=need, actor=actor)
        need = run_commit(
            services.financing_need_contact, need=need, actor=actor, channel="visit", note="走访"
        )
        if approve:
            need = run_commit(
                services.financing_need_approve, need=need, actor=actor, amount_yuan=approve
            )
        if disburse:
            need = run_commit(
                services.financing_need_disburse,
                need=need,
                actor=actor,
                amount_yuan=disburse,
                disbursed_on=today,
            )
        return need

    open_case = work(submit(member, amount_yuan=1_000_000))
    approved = work(submit(member, amount_yuan=2_500_000), approve=2_000_000)
    rerouted = submit(member, amount_yuan=2_000_000)
    first_branch = rerouted.assigned_branch
    run_commit(
        services.financing_need_decline,
        need=rerouted,
        actor=holder(rerouted),
        reason="quota",
        note="本季度额度已满",
    )
    rerouted.refresh_from_db()
    assert rerouted.assigned_branch not in (None, first_branch)
    rerouted = work(rerouted, approve=1_500_000, disburse=1_000_000)
    disbursed = work(submit(member, amount_yuan=3_000_000), approve=3_000_000, disburse=3_000_000)
    place(open_case, day=0, accept_hours=2, contact_hours=4)
    place(approved, day=1, accept_hours=6, contact_hours=1)
    place(rerouted, day=2, accept_hours=30, contact_hours=3)
    place(disbursed, day=3, accept_hours=1, contact_hours=10)
    # The open case's decision deadline passed on 10 November, unmet: it is overdue.
    Deadline.objects.filter(need=open_case, kind=Deadline.Kind.DECISION).update(
        due_at=datetime(2026, 11, 10, 23, 59, tzinfo=SHANGHAI)
    )
    outside = submit(world["other_member"], amount_yuan=9_000_000)
    FinancingNeed.objects.filter(pk=outside.pk).update(created_at=MONDAY)
    return {
        **world,
        "regions": regions,
        "open": open_case,
        "approved": approved,
        "rerouted": rerouted,
        "disbursed": disbursed,
        "outside": outside,
        "daiyue_cases": [open_case, approved, rerouted, disbursed],
        "declining_branch": first_branch,
    }


@pytest.fixture(autouse=True)
def _count_afresh(settings):
    """The pages count on every request here: the tests change cases between two reads.
    The cache itself is tested in test_rollup_and_cache.py, which turns it back on."""
    settings.DASHBOARD_CACHE_SECONDS = 0


@pytest.fixture
def fresh_view_counts():
    """No page views counted by an earlier test (the counts outlive its rolled-back database)."""
    from dashboards.counters import view_counter

    for batch_id, _ in view_counter.take():
        view_counter.done(batch_id)
    # Without Redis a process writes its own counts once a minute: not during this test.
    view_counter.restart_local_clock()
    yield view_counter
    for batch_id, _ in view_counter.take():
        view_counter.done(batch_id)
