"""What the case list page shows, pinned row by row for every role that opens it.

The page is rendered from precomputed row values (one pass in the view); these tests hold its
visible content to the exact markup: links, escaping, amounts in 万元, status labels, the next
open deadline with its overdue mark, the branch and officer, Shanghai times, pagination, and
what each role's filters and links are. Contact names and phones never appear on the list.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from accounts.models import Role
from needs.models import Assignment, Deadline, FinancingNeed
from tests.factories import EnterpriseFactory, FinancingNeedFactory, UserFactory

pytestmark = pytest.mark.django_db


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _need(enterprise, member, *, created, branch=None, officer=None, **fields) -> FinancingNeed:
    need = FinancingNeedFactory(
        enterprise=enterprise,
        submitted_by=member,
        assigned_branch=branch,
        assigned_officer=officer,
        contact_name="联系人甲",
        contact_phone="13812345678",
        **fields,
    )
    FinancingNeed.objects.filter(pk=need.pk).update(created_at=created)
    return need


def _assignment(need, branch, outcome=Assignment.Outcome.OPEN) -> Assignment:
    return Assignment.objects.create(
        need=need, rule=Assignment.Rule.STAFF, reason="测试", branch=branch, outcome=outcome
    )


def _deadline(assignment, kind, due, **fields) -> Deadline:
    return Deadline.objects.create(
        need=assignment.need, assignment=assignment, kind=kind, due_at=due, **fields
    )


@pytest.fixture
def cases(world, regions):
    """Six cases of the firm and of a second firm, with deadlines of every sort."""
    branch, branch2 = world["branch"], world["branch2"]
    branch.name = "甲银行岱岳支行"
    branch.save(update_fields=["name"])
    branch2.name = "乙银行<岱岳>支行"
    branch2.save(update_fields=["name"])
    officer = world["officer"]
    officer.display_name = "李四"
    officer.save(update_fields=["display_name"])
    world["officer2"].display_name = "O'Neil & co"
    world["officer2"].save(update_fields=["display_name"])
    firm, member = world["firm"], world["member"]
    odd = EnterpriseFactory(region=regions["daiyue"], name="甲&乙<丙>有限公司")
    odd_member = UserFactory(role=Role.ENTERPRISE_MEMBER, enterprise=odd)

    # Accepted by the officer; the accept deadline met, contact overdue, decision later.
    accepted = _need(
        firm,
        member,
        created=utc(2026, 3, 2, 1, 5),
        branch=branch,
        officer=officer,
        status="accepted",
        amount_yuan=1_234_500,
        term_months=6,
    )
    turn = _assignment(accepted, branch)
    _deadline(turn, "accept", utc(2019, 1, 1), met_at=utc(2019, 1, 1))
    _deadline(turn, "contact", utc(2020, 3, 1, 9, 0))
    _deadline(turn, "decision", utc(2099, 5, 6, 15, 59))
    # Waiting at the branch, nobody on it yet; an earlier cancelled deadline does not count.
    waiting = _need(
        odd,
        odd_member,
        created=utc(2026, 3, 3, 2, 0),
        branch=branch,
        status="assigned",
        amount_yuan=3_000_000,
    )
    turn = _assignment(waiting, branch)
    _deadline(turn, "accept", utc(2099, 1, 2, 15, 59))
    _deadline(turn, "contact", utc(2019, 1, 1), cancelled_at=utc(2019, 1, 1))
    # Not routed yet.
    pending = _need(
        firm, member, created=utc(2026, 3, 4, 16, 30), status="pending", amount_yuan=500_000
    )
    # Declined by the branch and back in the district pool: the old turn's deadline is gone.
    pooled = _need(firm, member, created=utc(2026, 3, 5), status="pool", amount_yuan=1_000_050)
    turn = _assignment(pooled, branch, Assignment.Outcome.DECLINED)
    _deadline(turn, "accept", utc(2020, 1, 1))
    # Another bank's case.
    elsewhere = _need(
        firm,
        member,
        created=utc(2026, 3, 6, 23, 59),
        branch=branch2,
        officer=world["officer2"],
        status="contacted",
        amount_yuan=20_000_000,
        term_months=36,
    )
    turn = _assignment(elsewhere, branch2)
    _deadline(turn, "decision", utc(2099, 12, 31, 15, 59))
    # Disbursed at the branch: its deadlines are all met.
    done = _need(
        firm,
        member,
        created=utc(2026, 3, 1, 0, 0),
        branch=branch,
        officer=officer,
        status="disbursed",
        amount_yuan=99,
        term_months=1,
    )
    turn = _assignment(done, branch, Assignment.Outcome.COMPLETED)
    _deadline(turn, "decision", utc(2026, 3, 1), met_at=utc(2026, 3, 1))
    return {
        "accepted": accepted,
        "waiting": waiting,
        "pending": pending,
        "pooled": pooled,
        "elsewhere": elsewhere,
        "done": done,
    }


def _row(need, enterprise, amount, term, status, bank, deadline, created) -> str:
    return (
        f'<tr><td><a href="/needs/{need.pk}/">#{need.pk}</a></td><td>{enterprise}</td>'
        f'<td>{amount}</td><td>{term} 个月</td><td><span class="badge">{status}</span></td>'
        f"<td>{bank}</td><td>{deadline}</td><td>{created}</td></tr>"
    )


def _rows(cases) -> dict[str, str]:
    return {
        "accepted": _row(
            cases["accepted"],
            "本企业有限公司",
            "123.45 万元",
            6,
            "已接单",
            "甲银行岱岳支行<br><small>李四</small>",
            '<span class="badge expired">首次对接 03-01 17:00</span>',
            "2026-03-02 09:05",
        ),
        "waiting": _row(
            cases["waiting"],
            "甲&amp;乙&lt;丙&gt;有限公司",
            "300 万元",
            12,
            "待接单",
            "甲银行岱岳支行",
            '<span class="badge">接单 01-02 23:59</span>',
            "2026-03-03 10:00",
        ),
        "pending": _row(
            cases["pending"],
            "本企业有限公司",
            "50 万元",
            12,
            "待派单",
            "—",
            "—",
            "2026-03-05 00:30",
        ),
        "pooled": _row(
            cases["pooled"],
            "本企业有限公司",
            "100 万元",
            12,
            "区县待分配",
            "—",
            "—",
            "2026-03-05 08:00",
        ),
        "elsewhere": _row(
            cases["elsewhere"],
            "本企业有限公司",
            "2,000 万元",
            36,
            "已对接",
            "乙银行&lt;岱岳&gt;支行<br><small>O&#x27;Neil &amp; co</small>",
            '<span class="badge">授信决定 12-31 23:59</span>',
            "2026-03-07 07:59",
        ),
        "done": _row(
            cases["done"],
            "本企业有限公司",
            "0.01 万元",
            1,
            "已放款",
            "甲银行岱岳支行<br><small>李四</small>",
            "—",
            "2026-03-01 08:00",
        ),
    }


def _squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


def _tbody(html: str) -> str:
    return _squeeze(html.split("<tbody>", 1)[1].split("</tbody>", 1)[0])


def _pagination(html: str) -> str:
    if '<nav class="pagination"' not in html:
        return ""
    return _squeeze(html.split('<nav class="pagination"', 1)[1].split("</nav>", 1)[0])


@pytest.mark.parametrize(
    "persona, visible",
    [
        ("officer", ["done", "waiting", "accepted"]),
        ("manager", ["done", "waiting", "accepted"]),
        ("member", ["elsewhere", "pooled", "pending", "accepted", "done"]),
        ("staff", ["elsewhere", "pooled", "pending", "waiting", "accepted", "done"]),
    ],
)
def test_each_role_sees_its_rows_exactly(world, cases, client, persona, visible):
    client.force_login(world[persona])
    html = client.get("/needs/").content.decode()
    rows = _rows(cases)
    order = sorted(visible, key=lambda k: (-_created(cases[k]).timestamp(), -cases[k].pk))
    assert _tbody(html) == "".join(rows[k] for k in order)
    assert "联系人甲" not in html and "13812345678" not in html
    assert _pagination(html) == ""


def _created(need) -> datetime:
    return FinancingNeed.objects.values_list("created_at", flat=True).get(pk=need.pk)


def test_filters_and_links_by_role(world, cases, client):
    client.force_login(world["officer"])
    html = client.get("/needs/", {"status": "open", "scope": "mine"}).content.decode()
    assert (
        "<h1>融资需求工作台</h1>" in html and "<title>融资需求工作台 · 融资服务门户</title>" in html
    )
    assert '<option value="open" selected>办理中</option>' in html
    assert '<option value="mine" selected>由我办理</option>' in html
    assert 'href="/needs/released/"' in html and "提交融资需求" not in html
    assert _tbody(html) == _rows(cases)["accepted"]
    html = client.get("/needs/", {"status": "assigned"}).content.decode()
    assert '<option value="assigned" selected>待接单</option>' in html
    assert _tbody(html) == _rows(cases)["waiting"]
    html = client.get("/needs/", {"status": "withdrawn"}).content.decode()
    assert _tbody(html) == '<tr><td colspan="8">暂无融资需求。</td></tr>'

    client.force_login(world["member"])
    html = client.get("/needs/").content.decode()
    assert "<h1>融资需求</h1>" in html and 'href="/needs/new/"' in html
    assert 'name="scope"' not in html and "/needs/released/" not in html

    client.force_login(world["staff"])
    html = client.get("/needs/", {"scope": "mine"}).content.decode()
    assert "<h1>辖区融资需求</h1>" in html and 'name="scope"' not in html
    # Staff have no "mine": the scope is ignored.
    assert _tbody(html).count("<tr>") == 6


def test_pagination_links_keep_the_filters(world, cases, client):
    for day in range(1, 21):
        _need(
            world["firm"],
            world["member"],
            created=utc(2026, 4, day, 12, 0),
            branch=world["branch"],
            officer=world["officer"],
            status="accepted",
        )
    client.force_login(world["officer"])
    first = client.get("/needs/", {"status": "accepted", "scope": "mine"}).content.decode()
    assert _tbody(first).count("<tr>") == 20
    assert _pagination(first) == (
        'aria-label="分页"><span>第 1 页</span>'
        '<a href="?status=accepted&amp;scope=mine&amp;page=2">下一页</a>'
    )
    second = client.get(
        "/needs/", {"status": "accepted", "scope": "mine", "page": "2"}
    ).content.decode()
    assert _pagination(second) == (
        'aria-label="分页"><a href="?status=accepted&amp;scope=mine&amp;page=1">上一页</a>'
        "<span>第 2 页</span>"
    )
    # The 21st accepted case of the officer's is the one of the fixture.
    assert _tbody(second) == _rows(cases)["accepted"]
    beyond = client.get("/needs/", {"page": "9"}).content.decode()
    assert _tbody(beyond) == '<tr><td colspan="8">暂无融资需求。</td></tr>'
    assert _pagination(beyond) == (
        'aria-label="分页"><a href="?page=8">上一页</a><span>第 9 页</span>'
    )


@pytest.mark.parametrize(
    "persona, queries",
    # user, (staff: region), the page of needs, their next deadlines, (staff: the entered
    # holiday years, for the calendar warning); the session is read from the cache
    [("officer", 3), ("manager", 3), ("member", 3), ("staff", 5)],
)
def test_the_list_runs_a_fixed_number_of_queries(
    world, cases, client, persona, queries, django_assert_num_queries
):
    client.force_login(world[persona])
    client.get("/needs/")
    with django_assert_num_queries(queries):
        client.get("/needs/")
    for day in range(1, 26):
        need = _need(
            world["firm"],
            world["member"],
            created=utc(2026, 5, day),
            branch=world["branch"],
            officer=world["officer"],
            status="accepted",
        )
        _deadline(_assignment(need, world["branch"]), "contact", utc(2099, 1, day))
    with django_assert_num_queries(queries):
        client.get("/needs/")
