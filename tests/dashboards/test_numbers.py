"""The dashboard's numbers equal those computed directly from the cases, on the page, in the
stats API and in the export: a case never approved, one approved but not disbursed, one declined
and rerouted, one disbursed."""

from __future__ import annotations

import statistics

import pytest

from dashboards.selectors import Filters, dashboard_data
from needs.models import FinancingNeed
from tests.dashboards.conftest import PERIOD
from workdays.selectors import work_calendar

pytestmark = pytest.mark.django_db


def direct(needs: list[FinancingNeed]) -> dict:
    """The figures from the cases themselves, by their definitions (not by the selectors)."""
    needs = [FinancingNeed.objects.get(pk=n.pk) for n in needs]
    calendar = work_calendar()
    asked = sum(n.amount_yuan for n in needs)
    approved = sum(n.approved_amount_yuan or 0 for n in needs)
    disbursed = sum(n.disbursed_amount_yuan or 0 for n in needs)
    accept = [calendar.working_hours_between(n.assigned_at, n.accepted_at) for n in needs]
    # First contact is counted from the start of the bank's turn, as acceptance is.
    contact = [calendar.working_hours_between(n.assigned_at, n.first_contact_at) for n in needs]
    return {
        "count": len(needs),
        "asked_yuan": asked,
        "approved_yuan": approved,
        "approved_count": sum(1 for n in needs if n.approved_amount_yuan is not None),
        "disbursed_yuan": disbursed,
        "disbursed_count": sum(1 for n in needs if n.disbursed_amount_yuan is not None),
        "approval_rate": round(approved * 100 / asked, 1) if asked else None,
        "disbursement_rate": round(disbursed * 100 / approved, 1) if approved else None,
        "median_accept_hours": round(statistics.median(accept), 1) if accept else None,
        "median_contact_hours": round(statistics.median(contact), 1) if contact else None,
    }


def test_totals_equal_the_cases(cases):
    data = dashboard_data(cases["staff"], Filters.from_params(PERIOD))
    expected = direct(cases["daiyue_cases"])
    totals = data["totals"]
    for key, value in expected.items():
        assert totals[key] == value, key
    # The figures by hand, too: 850 asked, 650 approved, 400 disbursed (万元).
    assert (totals["asked_yuan"], totals["approved_yuan"], totals["disbursed_yuan"]) == (
        8_500_000,
        6_500_000,
        4_000_000,
    )
    assert totals["approval_rate"] == 76.5 and totals["disbursement_rate"] == 61.5
    assert totals["median_accept_hours"] == 4.0  # 1, 2, 6, 30 working hours
    assert totals["overdue"] == 1 and totals["open"] == 2
    statuses = {row["status"]: row["count"] for row in data["by_status"]}
    assert statuses["contacted"] == 1 and statuses["approved"] == 1
    assert statuses["disbursed"] == 2 and sum(statuses.values()) == 4


def test_by_bank_counts_the_rerouted_case_at_the_bank_it_went_to(cases):
    data = dashboard_data(cases["staff"], Filters.from_params(PERIOD))
    rows = {row["key"]: row for row in data["by_bank"]}
    held: dict[int, list] = {}
    for need in cases["daiyue_cases"]:
        need.refresh_from_db()
        held.setdefault(need.assigned_branch.bank_id, []).append(need)
    assert set(rows) == set(held)
    assert cases["rerouted"] in held[cases["rerouted"].assigned_branch.bank_id]
    for bank_id, needs in held.items():
        expected = direct(needs)
        for key in (
            "count",
            "asked_yuan",
            "approved_yuan",
            "disbursed_yuan",
            "approval_rate",
            "disbursement_rate",
            "median_accept_hours",
            "median_contact_hours",
        ):
            assert rows[bank_id][key] == expected[key], (bank_id, key)
        assert rows[bank_id]["overdue"] == (1 if cases["open"] in needs else 0)
    # The declining bank's refusal shows under the decline reasons, not in its amounts.
    assert data["declines"] == [{"reason": "quota", "label": "额度不足", "count": 1}]
    declining = cases["declining_branch"].bank_id
    only_declining = dashboard_data(
        cases["staff"], Filters.from_params({**PERIOD, "bank": str(declining)})
    )
    assert only_declining["declines"][0]["count"] == 1
    assert cases["rerouted"].pk not in [n.pk for n in held.get(declining, [])]


def test_by_chain_month_and_size_add_up(cases):
    data = dashboard_data(cases["staff"], Filters.from_params(PERIOD))
    expected = direct(cases["daiyue_cases"])
    for dimension in ("chain", "month", "size"):
        rows = data[f"by_{dimension}"]
        assert sum(r["count"] for r in rows) == expected["count"]
        assert sum(r["approved_yuan"] for r in rows) == expected["approved_yuan"]
        assert sum(r["disbursed_yuan"] for r in rows) == expected["disbursed_yuan"]
    assert [r["key"] for r in data["by_month"]] == ["2026-11"]
    assert data["by_chain"][0]["label"] == "新材料"


def test_filters_narrow_the_numbers(cases):
    staff = cases["staff"]
    rerouted = FinancingNeed.objects.get(pk=cases["rerouted"].pk)
    bank = rerouted.assigned_branch.bank_id
    held = FinancingNeed.objects.filter(
        pk__in=[n.pk for n in cases["daiyue_cases"]], assigned_branch__bank_id=bank
    )
    by_bank = dashboard_data(staff, Filters.from_params({**PERIOD, "bank": str(bank)}))
    assert by_bank["totals"]["count"] == held.count()
    assert by_bank["totals"]["disbursed_yuan"] == direct(list(held))["disbursed_yuan"]
    other_chain = dashboard_data(
        staff, Filters.from_params({**PERIOD, "chain": str(cases["chain"].pk + 999)})
    )
    assert other_chain["totals"]["count"] == 0
    assert other_chain["totals"]["approval_rate"] is None
    october = dashboard_data(
        staff, Filters.from_params({"start": "2026-10-01", "end": "2026-10-31"})
    )
    assert october["totals"]["count"] == 0


def test_page_api_and_export_show_the_same_numbers(cases, client):
    from io import BytesIO

    from openpyxl import load_workbook

    from dashboards.documents import dashboard_xlsx

    client.force_login(cases["staff"])
    expected = dashboard_data(cases["staff"], Filters.from_params(PERIOD))
    response = client.get("/dashboards/district/", PERIOD)
    assert response.status_code == 200
    page = response.content.decode()
    assert "76.5%" in page and "61.5%" in page and "850万元" in page
    assert response.context["data"]["totals"] == expected["totals"]
    api = client.get("/api/v1/stats/summary/", PERIOD).json()
    assert api["totals"] == expected["totals"]
    assert api["by_status"] == expected["by_status"]
    by_bank = client.get("/api/v1/stats/by/bank/", PERIOD).json()["results"]
    assert by_bank == expected["by_bank"]
    declines = client.get("/api/v1/stats/declines/", PERIOD).json()["declines"]
    assert declines == expected["declines"]
    overdue = client.get("/api/v1/stats/overdue/", PERIOD).json()["overdue"]
    assert [row["need_id"] for row in overdue] == [cases["open"].pk]
    sheet = load_workbook(BytesIO(dashboard_xlsx(expected)))["合计"]
    values = [cell.value for cell in sheet[2]]
    assert values[:3] == [4, 2, 8_500_000] and values[5] == 76.5


def test_applications_and_payouts_by_policy_equal_the_applications(personas, regions):
    from django.utils import timezone

    from applications.models import PolicyApplication
    from tests.factories import EnterpriseFactory, PolicyFactory

    policy = PolicyFactory(region=regions["daiyue"])
    elsewhere = PolicyFactory(region=regions["qingdao"])
    firm = personas["firm"]
    today = timezone.localdate()
    rows = [
        ("draft", None, None),  # not submitted: not counted
        ("submitted", None, None),
        ("rejected", None, None),
        ("approved", 100_000, None),
        ("paid", 200_000, 150_000),
    ]
    for status, approved, paid in rows:
        PolicyApplication.objects.create(
            enterprise=EnterpriseFactory(region=firm.region),
            policy=policy,
            year=today.year,
            status=status,
            approved_amount_yuan=approved,
            paid_amount_yuan=paid,
            paid_on=today if paid else None,
        )
    PolicyApplication.objects.create(
        enterprise=personas["other_firm"], policy=elsewhere, year=today.year, status="submitted"
    )
    data = dashboard_data(personas["staff"], Filters.from_params({}), sections=["applications"])
    counted = PolicyApplication.objects.filter(policy=policy).exclude(status="draft")
    granted = counted.filter(status__in=["approved", "publicity", "paid"])
    assert data["applications"] == [
        {
            "policy_id": policy.pk,
            "title": policy.title,
            "count": counted.count(),
            "granted": granted.count(),
            "approved_yuan": sum(a.approved_amount_yuan for a in granted),
            "paid": counted.filter(status="paid").count(),
            "paid_yuan": sum(a.paid_amount_yuan for a in counted.filter(status="paid")),
        }
    ]
    assert data["applications"][0]["count"] == 4 and data["applications"][0]["paid_yuan"] == 150_000
