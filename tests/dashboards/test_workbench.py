"""The officer workbench (queue by deadline, working hours left, my month, bulk accept) and the
branch manager's view (by officer, overdue list, reassignment through the needs services)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from dashboards import workbench as wb
from needs.models import Deadline, FinancingNeed, NeedEvent
from tests.factories import UserFactory
from workdays.calendar import SHANGHAI, WorkCalendar

pytestmark = pytest.mark.django_db


def test_hours_left_count_working_hours_only():
    calendar = WorkCalendar({}, [])
    friday = datetime(2026, 11, 6, 12, 0, tzinfo=SHANGHAI)
    monday_noon = datetime(2026, 11, 9, 12, 0, tzinfo=SHANGHAI)
    # Friday noon to Monday noon: 12 + 12 working hours, the weekend counts nothing.
    assert wb.hours_left(monday_noon, friday, calendar) == 24.0
    assert wb.hours_left(friday, monday_noon, calendar) == -24.0
    assert wb.hours_left(None, friday, calendar) is None


def test_queue_is_ordered_by_deadline_with_hours_left(world, submit, client):
    officer = world["officer"]
    needs = [submit(world["member"]) for _ in range(4)]
    mine = [n for n in needs if n.assigned_branch == world["branch"]]
    assert mine, "routing gave the persona branch at least one case"
    # Put the deadlines in reverse order of submission: the last submitted is due first.
    now = timezone.now()
    for offset, need in enumerate(reversed(mine)):
        Deadline.objects.filter(need=need, kind=Deadline.Kind.ACCEPT).update(
            due_at=now + timedelta(days=offset + 1)
        )
    client.force_login(officer)
    response = client.get("/dashboards/workbench/")
    assert response.status_code == 200
    rows = list(response.context["page"])
    assert [n.pk for n in rows] == [n.pk for n in reversed(mine)]
    assert all(n.hours_left is not None and n.hours_left > 0 for n in rows)
    assert rows[0].next_deadline.kind == Deadline.Kind.ACCEPT
    # The other bank's cases are not on this officer's desk.
    assert not {n.pk for n in needs if n not in mine} & {n.pk for n in rows}
    assert "剩余工作小时" in response.content.decode()


def test_filters_and_my_month(world, submit, client, run_commit):
    from needs import services

    officer = world["officer"]
    need = submit(world["member"])
    if need.assigned_branch != world["branch"]:
        need = submit(world["member"])
    assert need.assigned_branch == world["branch"]
    run_commit(services.financing_need_accept, need=need, actor=officer)
    client.force_login(officer)
    mine = client.get("/dashboards/workbench/", {"scope": "mine"}).context["page"]
    assert [n.pk for n in mine] == [need.pk]
    waiting = client.get("/dashboards/workbench/", {"status": "assigned", "scope": "mine"})
    assert list(waiting.context["page"]) == []
    assert list(client.get("/dashboards/workbench/", {"overdue": "1"}).context["page"]) == []
    figures = client.get("/dashboards/workbench/").context["figures"]
    assert figures["accepted"] == 1 and figures["open"] == 1 and figures["overdue"] == 0
    assert figures["approved"] == 0 and figures["median_accept_hours"] is not None


def test_bulk_accept_is_all_or_nothing(world, submit, client, run_commit):
    from needs import services

    officer = world["officer"]
    needs = []
    while len(needs) < 2:
        need = submit(world["member"])
        if need.assigned_branch == world["branch"]:
            needs.append(need)
    first, second = needs
    run_commit(services.financing_need_accept, need=first, actor=officer)
    client.force_login(officer)
    # One already accepted: nothing is done, and the officer is told which one.
    response = client.post(
        "/dashboards/workbench/bulk/",
        {"action": "accept", "needs": [first.pk, second.pk]},
        follow=True,
    )
    assert f"#{first.pk} 不是" in response.content.decode()
    assert FinancingNeed.objects.get(pk=second.pk).status == "assigned"
    # A case of another bank: refused as a whole, nothing changes.
    other = FinancingNeed.objects.filter(assigned_branch=world["branch2"]).first()
    if other is not None:
        response = client.post(
            "/dashboards/workbench/bulk/",
            {"action": "accept", "needs": [second.pk, other.pk]},
            follow=True,
        )
        assert "无权办理" in response.content.decode()
        assert FinancingNeed.objects.get(pk=second.pk).status == "assigned"
    response = client.post(
        "/dashboards/workbench/bulk/", {"action": "accept", "needs": [second.pk]}, follow=True
    )
    assert "已接单 1 笔" in response.content.decode()
    second.refresh_from_db()
    assert second.status == "accepted" and second.assigned_officer == officer


def test_manager_sees_branch_by_officer_and_reassigns(cases, client):
    manager = cases["manager"]
    spare = UserFactory(username="officer-spare", role="bank_officer", branch=cases["branch"])
    client.force_login(manager)
    response = client.get("/dashboards/branch/")
    assert response.status_code == 200
    rows = {row["officer_id"]: row for row in response.context["rows"]}
    held = FinancingNeed.objects.filter(assigned_branch=cases["branch"])
    assert sum(row["total"] for row in rows.values()) == held.count()
    assert rows[spare.pk]["total"] == 0
    overdue_ids = [row["need_id"] for row in response.context["overdue"]]
    open_case = FinancingNeed.objects.get(pk=cases["open"].pk)
    if open_case.assigned_branch == cases["branch"]:
        assert overdue_ids == [open_case.pk]
        response = client.post(
            "/dashboards/workbench/bulk/",
            {"action": "assign", "needs": [open_case.pk], "officer": spare.pk, "note": "逾期改派"},
            follow=True,
        )
        assert "已将 1 笔分配给" in response.content.decode()
        open_case.refresh_from_db()
        assert open_case.assigned_officer == spare
        assert NeedEvent.objects.filter(need=open_case, action="assign_officer").exists()
    else:
        assert overdue_ids == []
    # An officer of another branch is refused; officers cannot reassign.
    response = client.post(
        "/dashboards/workbench/bulk/",
        {"action": "assign", "needs": [held.first().pk], "officer": cases["officer2"].pk},
        follow=True,
    )
    assert "请选择本网点的客户经理" in response.content.decode()
    client.force_login(cases["officer"])
    response = client.post(
        "/dashboards/workbench/bulk/",
        {"action": "assign", "needs": [held.first().pk], "officer": spare.pk},
    )
    assert response.status_code == 403
    assert client.get("/dashboards/branch/").status_code == 404
