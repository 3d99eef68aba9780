"""Routing: the rules in order, each with its reason; lightest load and rotation; tasks that run
after the commit, once, and a sweeper for rows left pending."""

import pytest
from django.db import transaction

from banks.models import ButlerTeam, LoanProduct
from needs.models import Assignment, FinancingNeed, RoutingRequest
from needs.services import financing_need_route, financing_need_submit
from needs.tasks import need_route, routing_sweep
from tests.factories import BranchFactory, UserFactory

from .conftest import NEED_DATA

pytestmark = pytest.mark.django_db


def test_butler_team_comes_first(world, submit):
    team_branch = BranchFactory(region=world["branch"].region)
    team = ButlerTeam.objects.create(
        name="第一团队", region=world["firm"].region, branch=team_branch
    )
    member = UserFactory(username="butler", role="bank_officer", branch=team_branch)
    team.members.add(member)
    team.enterprises.add(world["firm"])
    need = submit(world["member"])
    assignment = need.assignments.get()
    assert (assignment.rule, need.assigned_team, need.assigned_branch) == (
        "butler",
        team,
        team_branch,
    )
    assert "金融管家团队「第一团队」" in assignment.reason
    assert FinancingNeed.objects.for_user(member).filter(pk=need.pk).exists()


def test_chosen_product_bank_when_it_serves_the_region(world, submit, regions):
    bank_branch = BranchFactory(region=regions["daiyue"])
    product = LoanProduct.objects.create(
        key="kechuang",
        name="科创贷",
        bank=bank_branch.bank,
        region=regions["daiyue"],
        product_class="科创类",
        status="published",
        guarantee_methods=["credit"],
    )
    far = LoanProduct.objects.create(
        key="far",
        name="远方贷",
        bank=world["other_branch"].bank,
        region=regions["huangdao"],
        product_class="信用类",
        status="published",
    )
    world["other_branch"].regions_served.add(regions["huangdao"])
    # The far product's bank does not serve 岱岳区; the chain's lead bank gets it instead.
    need = submit(world["member"], products=[far.pk])
    assert need.assignments.get().rule == "lead_bank"
    bank_branch.regions_served.add(regions["daiyue"])
    need = submit(world["member"], products=[product.pk])
    assignment = need.assignments.get()
    assert assignment.rule == "product" and assignment.branch == bank_branch
    assert "科创贷" in assignment.reason


def test_lead_banks_lightest_load_then_rotation(world, submit):
    first = submit(world["member"])
    second = submit(world["member"])
    third = submit(world["member"])
    assert first.assigned_branch == world["branch"]  # tie, never assigned, lower id
    assert second.assigned_branch == world["branch2"]  # lighter load
    assert third.assigned_branch == world["branch"]  # tie again; branch was assigned earlier
    assert "在2家主办银行中在办需求最少" in third.assignments.get().reason


def test_no_chain_no_team_goes_to_the_pool(personas, submit):
    need = submit(personas["member"])
    assert need.status == "pool"
    assert need.assignments.get().rule == "pool"
    assert personas["staff"].notifications.filter(kind="need_pool").exists()
    assert personas["city_staff"].notifications.filter(kind="need_pool").exists()
    assert not personas["other_staff"].notifications.exists()


def test_rollback_queues_nothing_and_commit_queues_once(world, django_capture_on_commit_callbacks):
    user = world["member"]
    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                financing_need_submit(enterprise=user.enterprise, submitted_by=user, data=NEED_DATA)
                raise RuntimeError("boom")
        except RuntimeError:
            pass
    assert callbacks == []
    assert FinancingNeed.objects.count() == 0 and RoutingRequest.objects.count() == 0
    with django_capture_on_commit_callbacks() as callbacks:
        financing_need_submit(enterprise=user.enterprise, submitted_by=user, data=NEED_DATA)
    assert len(callbacks) == 1
    assert RoutingRequest.objects.filter(done_at__isnull=True).count() == 1


def test_a_task_run_twice_has_a_single_effect(world, django_capture_on_commit_callbacks):
    user = world["member"]
    with django_capture_on_commit_callbacks(execute=False):
        need = financing_need_submit(enterprise=user.enterprise, submitted_by=user, data=NEED_DATA)
    routing = RoutingRequest.objects.get(need=need)
    with django_capture_on_commit_callbacks(execute=True):
        need_route.apply(args=[routing.pk])
        need_route.apply(args=[routing.pk])
    assert Assignment.objects.filter(need=need).count() == 1
    assert world["officer"].notifications.filter(kind="need_assigned").count() == 1
    assert financing_need_route(routing_id=routing.pk) is None
    assert financing_need_route(routing_id=987654) is None  # a row that is gone: quiet


def test_sweeper_redrives_rows_left_pending(world, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    user = world["member"]
    with django_capture_on_commit_callbacks(execute=False):  # the message was lost
        need = financing_need_submit(enterprise=user.enterprise, submitted_by=user, data=NEED_DATA)
    assert routing_sweep.apply().get() == 0  # too fresh: its own task may still come
    RoutingRequest.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert routing_sweep.apply().get() == 1
    need.refresh_from_db()
    assert need.status == "assigned"
    assert routing_sweep.apply().get() == 0


def test_tasks_have_time_limits():
    for task in (need_route, routing_sweep):
        assert task.soft_time_limit < task.time_limit
    from portal.celery import app

    names = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"needs.routing_sweep", "needs.deadlines_sweep"} <= names
    assert "needs.deadlines_sweep" in app.tasks
