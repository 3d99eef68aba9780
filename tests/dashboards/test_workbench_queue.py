"""The workbench queue read from the deadlines side: the same order as working out every case's
next deadline (overdue first, ties by submission then number, cases without one last), pages
that need no count, and a query count that does not grow with the desk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboards import workbench as wb
from needs.models import Assignment, Deadline, FinancingNeed
from tests.factories import FinancingNeedFactory

pytestmark = pytest.mark.django_db

Kind = Deadline.Kind


def _case(
    world,
    *,
    created,
    deadlines=(),
    officer="officer",
    branch="branch",
    status=None,
    old_turn_due=None,
):
    """A case on ``branch`` with an open bank turn and ``deadlines`` of (kind, due, state)."""
    officer_user = world[officer] if officer else None
    need = FinancingNeedFactory(
        enterprise=world["firm"],
        submitted_by=world["member"],
        status=status or ("accepted" if officer_user else "assigned"),
        assigned_branch=world[branch],
        assigned_officer=officer_user,
    )
    FinancingNeed.objects.filter(pk=need.pk).update(created_at=created)
    if old_turn_due is not None:  # a turn another bank declined, its deadline left running
        old = Assignment.objects.create(
            need=need, rule="lead_bank", reason="测试", branch=world["branch2"], outcome="declined"
        )
        Deadline.objects.create(need=need, assignment=old, kind=Kind.DECISION, due_at=old_turn_due)
    turn = Assignment.objects.create(
        need=need, rule="lead_bank", reason="测试", branch=world[branch]
    )
    for kind, due, state in deadlines:
        Deadline.objects.create(
            need=need,
            assignment=turn,
            kind=kind,
            due_at=due,
            met_at=due - timedelta(hours=1) if state == "met" else None,
            cancelled_at=due - timedelta(hours=1) if state == "cancelled" else None,
        )
    return need


@pytest.fixture
def desk(world):
    now = timezone.now()
    t0 = now - timedelta(days=3)
    day = timedelta(days=1)
    c = {
        "overdue": _case(world, created=t0, deadlines=[(Kind.DECISION, now - 2 * day, "")]),
        "tie_later": _case(world, created=t0, deadlines=[(Kind.ACCEPT, now + day, "")]),
        "tie_earlier": _case(
            world, created=t0 - timedelta(hours=1), deadlines=[(Kind.ACCEPT, now + day, "")]
        ),
        "unclaimed": _case(
            world, created=t0, officer=None, deadlines=[(Kind.ACCEPT, now + 2 * day, "")]
        ),
        "two_running": _case(
            world,
            created=t0,
            deadlines=[
                (Kind.ACCEPT, now - 10 * day, "met"),
                (Kind.DECISION, now + 5 * day, ""),
                (Kind.CONTACT, now + 3 * day, ""),
            ],
        ),
        "cancelled_first": _case(
            world,
            created=t0,
            deadlines=[
                (Kind.ACCEPT, now - 5 * day, "cancelled"),
                (Kind.DECISION, now + 4 * day, ""),
            ],
        ),
        "old_turn": _case(
            world,
            created=t0,
            old_turn_due=now - 20 * day,
            deadlines=[(Kind.DECISION, now + 6 * day, "")],
        ),
        "all_met": _case(world, created=t0 - 2 * day, deadlines=[(Kind.ACCEPT, now - day, "met")]),
        "none": _case(world, created=t0 - day),
        "other_branch": _case(
            world,
            created=t0,
            officer="officer2",
            branch="branch2",
            deadlines=[(Kind.ACCEPT, now - 3 * day, "")],
        ),
        "closed": _case(world, created=t0, status="disbursed", deadlines=[(Kind.ACCEPT, now, "")]),
    }
    # Same deadline and submission as ``tie_later``: the case number decides.
    c["tie_number"] = _case(world, created=t0, deadlines=[(Kind.ACCEPT, now + day, "")])
    return now, c


EXPECTED = [
    "overdue",
    "tie_earlier",
    "tie_later",
    "tie_number",
    "unclaimed",
    "two_running",
    "cancelled_first",
    "old_turn",
    "all_met",
    "none",
]


def _all_pages(user, filters, now, per_page):
    rows, number = [], 1
    while True:
        page = wb.queue_page(user, filters, now, number, per_page=per_page)
        rows.extend(page)
        if not page.has_next():
            return rows, number
        number += 1


@pytest.mark.parametrize("per_page", [1, 3, 4, 50])
def test_pages_follow_the_deadlines_and_match_the_reference(world, desk, per_page):
    now, c = desk
    names = {need.pk: name for name, need in c.items()}
    rows, pages = _all_pages(world["officer"], wb.QueueFilters(), now, per_page)
    assert [names[n.pk] for n in rows] == EXPECTED
    assert pages == -(-len(EXPECTED) // per_page)
    # The same rows as working out every case's next deadline in one query.
    reference = list(wb.queue(world["officer"], wb.QueueFilters(), now))
    assert [n.pk for n in rows] == [n.pk for n in reference]
    due = {names[n.pk]: n.next_deadline for n in rows}
    assert due["two_running"].kind == Kind.CONTACT
    assert due["cancelled_first"].kind == Kind.DECISION
    assert due["old_turn"].due_at == now + timedelta(days=6)
    assert due["all_met"] is None and due["none"] is None


def test_a_page_past_the_deadlines_and_a_page_past_the_end(world, desk):
    now, c = desk
    page = wb.queue_page(world["officer"], wb.QueueFilters(), now, 3, per_page=4)
    assert [n.pk for n in page] == [c["all_met"].pk, c["none"].pk]
    assert page.has_previous() and not page.has_next()
    beyond = wb.queue_page(world["officer"], wb.QueueFilters(), now, 9, per_page=4)
    assert list(beyond) == [] and not beyond.has_next()
    assert wb.queue_page(world["officer"], wb.QueueFilters(), now, "x").number == 1
    # The total is there for whoever asks, counted then.
    assert page.paginator.count == len(EXPECTED)


def test_filters_overdue_scope_and_status(world, desk):
    now, c = desk
    officer = world["officer"]
    overdue = wb.queue_page(officer, wb.QueueFilters(overdue=True), now)
    assert [n.pk for n in overdue] == [c["overdue"].pk]
    unclaimed = wb.queue_page(officer, wb.QueueFilters(scope="unclaimed"), now)
    assert [n.pk for n in unclaimed] == [c["unclaimed"].pk]
    mine = [n.pk for n in wb.queue_page(officer, wb.QueueFilters(scope="mine"), now)]
    assert c["unclaimed"].pk not in mine and len(mine) == len(EXPECTED) - 1
    assigned = wb.queue_page(officer, wb.QueueFilters(status="assigned"), now)
    assert [n.pk for n in assigned] == [c["unclaimed"].pk]
    # The manager sees the branch's open cases, the other bank's officer none of them.
    manager = [n.pk for n in wb.queue_page(world["manager"], wb.QueueFilters(), now)]
    assert manager == [c[name].pk for name in EXPECTED]
    other = [n.pk for n in wb.queue_page(world["officer2"], wb.QueueFilters(), now)]
    assert other == [c["other_branch"].pk]


def test_the_page_shows_working_hours_left_overdue_first(world, desk, client):
    _now, c = desk
    client.force_login(world["officer"])
    response = client.get("/dashboards/workbench/")
    rows = list(response.context["page"])
    assert rows[0].pk == c["overdue"].pk and rows[0].hours_left < 0
    assert rows[1].hours_left >= 0
    assert rows[-1].hours_left is None
    assert "已逾期" in response.content.decode()


def _grow(world, n, *, dated_every=1):
    now = timezone.now()
    for i in range(n):  # due times on both sides of now; some cases with no deadline
        deadlines = (
            [(Kind.ACCEPT, now + timedelta(hours=i - n // 2), "")] if i % dated_every == 0 else []
        )
        _case(world, created=now - timedelta(days=1, minutes=i), deadlines=deadlines)


def test_queries_do_not_grow_with_the_desk(world, desk, client, django_assert_num_queries):
    """A full first page (read from the deadlines side), the overdue filter and the case list
    pages run the same queries with 70 cases or 250."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _grow(world, 60)
    client.force_login(world["officer"])
    urls = [
        ("/dashboards/workbench/", {}),
        ("/dashboards/workbench/", {"overdue": "1"}),
        ("/dashboards/workbench/", {"scope": "mine", "status": "accepted"}),
        ("/needs/", {}),
        ("/needs/", {"page": "2"}),
        ("/needs/", {"status": "open", "scope": "mine"}),
    ]
    counts = []
    for url, params in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, params).status_code == 200
        counts.append(len(queries))
    _grow(world, 180, dated_every=3)
    for (url, params), count in zip(urls, counts, strict=True):
        with django_assert_num_queries(count):
            assert client.get(url, params).status_code == 200


def test_a_queue_page_is_at_most_three_queries(world, desk, django_assert_max_num_queries):
    """Within a page, past the deadlines, or across the boundary: two or three short reads."""
    now = timezone.now()
    for number in range(1, 5):
        with django_assert_max_num_queries(3):
            list(wb.queue_page(world["officer"], wb.QueueFilters(), now, number, per_page=3))
