"""The bank assessment with its computation, the monthly bulletin (beat task, PDF, Excel, kept
and downloadable only in its region), long jobs with progress, and the catalogue view counter."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from dashboards.assessment import Month, bank_assessment, score
from dashboards.models import DEFAULT_WEIGHTS, AssessmentScheme, Bulletin, CatalogueView, Job
from dashboards.tasks import monthly_bulletins
from needs.models import FinancingNeed
from tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db

NOVEMBER = Month(2026, 11)


def test_scores_are_min_max_with_the_direction_of_each_indicator():
    assert score({1: 10.0, 2: 20.0, 3: None}, higher_is_better=True) == {1: 0.0, 2: 100.0, 3: None}
    assert score({1: 10.0, 2: 20.0}, higher_is_better=False) == {1: 100.0, 2: 0.0}
    assert score({1: 5.0, 2: 5.0}, higher_is_better=True) == {1: 100.0, 2: 100.0}


def test_ranking_shows_raw_values_scores_and_the_weighted_sum(cases):
    result = bank_assessment(region=cases["regions"]["daiyue"], month=NOVEMBER)
    rows = {row["bank_id"]: row for row in result["rows"]}
    held: dict[int, list[FinancingNeed]] = {}
    for need in cases["daiyue_cases"]:
        need.refresh_from_db()
        held.setdefault(need.assigned_branch.bank_id, []).append(need)
    for bank_id, needs in held.items():
        asked = sum(n.amount_yuan for n in needs)
        approved = sum(n.approved_amount_yuan or 0 for n in needs)
        assert rows[bank_id]["raw"]["approval_rate"] == round(approved * 100 / asked, 1)
    for row in result["rows"]:
        used = {k: v for k, v in row["scores"].items() if v is not None}
        total = sum(DEFAULT_WEIGHTS[k] * v for k, v in used.items()) / sum(
            DEFAULT_WEIGHTS[k] for k in used
        )
        assert row["total"] == round(total, 2)
        assert row["formula"].endswith(f"= {row['total']:g}")
    assert [row["rank"] for row in result["rows"]] == list(range(1, len(rows) + 1))
    assert result["rows"] == sorted(result["rows"], key=lambda r: (-r["total"], r["bank"]))


def test_staff_set_weights_bad_weights_change_nothing(cases, client):
    client.force_login(cases["staff"])
    weights = {**{k: "10" for k in DEFAULT_WEIGHTS}, "overdue": "-1"}
    response = client.post("/dashboards/assessment/?month=2026-11", weights)
    assert response.status_code == 400 and "非负数" in response.content.decode()
    assert not AssessmentScheme.objects.exists()
    response = client.post("/dashboards/assessment/?month=2026-11", {**weights, "overdue": "0"})
    assert response.status_code == 302
    scheme = AssessmentScheme.objects.get(region=cases["regions"]["daiyue"])
    assert scheme.weights["overdue"] == 0 and scheme.weights["rating"] == 10
    page = client.get("/dashboards/assessment/", {"month": "2026-11"})
    assert page.context["result"]["weights"] == scheme.weights
    assert "计算方法" in page.content.decode()
    # Another region's staff can neither see nor change 岱岳's scheme.
    client.force_login(cases["other_staff"])
    assert client.get("/dashboards/assessment/", {"region": "370911"}).status_code == 404


def test_the_beat_task_writes_kept_bulletins_once(cases, client, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    from portal.celery import app

    entry = app.conf.beat_schedule["dashboards-monthly-bulletins"]
    assert entry["task"] == "dashboards.monthly_bulletins"
    assert entry["schedule"].day_of_month == {1}
    assert monthly_bulletins.run() >= 2  # 岱岳 and 青岛 (and the city) have staff
    bulletin = Bulletin.objects.get(region=cases["regions"]["daiyue"])
    first_pdf = bulletin.pdf.name
    monthly_bulletins.run()  # a second run keeps the first
    assert Bulletin.objects.filter(region=cases["regions"]["daiyue"]).count() == 1
    assert Bulletin.objects.get(pk=bulletin.pk).pdf.name == first_pdf

    from dashboards.services import bulletin_generate

    november = bulletin_generate(region=cases["regions"]["daiyue"], month=NOVEMBER)
    client.force_login(cases["staff"])
    response = client.get(f"/dashboards/bulletins/{november.pk}/pdf/")
    assert response.status_code == 200
    pdf = b"".join(response.streaming_content)
    assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf
    assert "attachment" in response["Content-Disposition"]
    response = client.get(f"/dashboards/bulletins/{november.pk}/xlsx/")
    book = load_workbook(BytesIO(b"".join(response.streaming_content)))
    ranking = list(book["考核排名"].values)
    assert ranking[0][:2] == ("名次", "银行") and len(ranking) == 1 + len(
        november.data["assessment"]["rows"]
    )
    totals = list(book["合计"].values)
    assert totals[1][2] == 8_500_000  # the month's asked amount, as on the dashboard
    # 青岛's staff get 404 for 岱岳's bulletin; firms too.
    for outsider in ("other_staff", "member"):
        client.force_login(cases[outsider])
        assert client.get(f"/dashboards/bulletins/{november.pk}/pdf/").status_code == 404


def test_export_job_runs_on_the_worker_with_progress(
    cases, client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    client.force_login(cases["staff"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/dashboards/jobs/",
            {"kind": "dashboard_export", "start": "2026-11-01", "end": "2026-11-30"},
            HTTP_ACCEPT="application/json",
        )
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == Job.Status.DONE and job.progress == 100  # eager in tests
    status = client.get(f"/dashboards/jobs/{job.pk}/", HTTP_ACCEPT="application/json").json()
    assert status["progress"] == 100 and status["download"]
    content = b"".join(client.get(status["download"]).streaming_content)
    book = load_workbook(BytesIO(content))
    assert list(book["合计"].values)[1][0] == 4
    # A duplicate delivery of the task changes nothing.
    from dashboards.services import job_run

    assert job_run(job_id=job.pk) is None
    # Someone else's job is 404.
    client.force_login(cases["city_staff"])
    assert client.get(f"/dashboards/jobs/{job.pk}/").status_code == 404
    assert client.post("/dashboards/jobs/", {"kind": "nonsense"}).status_code == 404


def test_rematch_job_reports_progress(cases, client, django_capture_on_commit_callbacks):
    client.force_login(cases["staff"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/dashboards/jobs/", {"kind": "rematch"})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/dashboards/jobs/{job.pk}/"
    assert job.status == Job.Status.DONE and "家企业" in job.message
    page = client.get(response["Location"])
    assert "progress" in page.content.decode()


def test_catalogue_views_are_counted_and_ranked(cases, client, fresh_view_counts):
    policy = PolicyFactory(region=cases["regions"]["daiyue"])
    for _ in range(3):
        response = client.get(f"/policies/{policy.pk}/")
        assert response.status_code == 200
    assert client.get("/policies/999999/").status_code == 404
    # Counted in the cache; the beat task adds the counts up.
    assert not CatalogueView.objects.filter(kind="policy", object_id=policy.pk).exists()
    from dashboards.tasks import catalogue_views_flush

    catalogue_views_flush()
    views = CatalogueView.objects.get(kind="policy", object_id=policy.pk)
    assert views.count == 3
    from dashboards.selectors import Filters, dashboard_data

    data = dashboard_data(
        cases["staff"],
        Filters(start=views.day, end=views.day),
        sections=["catalogue"],
    )
    assert data["most_viewed"][0]["id"] == policy.pk and data["most_viewed"][0]["views"] == 3


def test_staff_regenerate_a_bulletin_which_replaces_the_kept_one(
    cases, client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    from dashboards.services import bulletin_generate

    daiyue = cases["regions"]["daiyue"]
    kept = bulletin_generate(region=daiyue, month=NOVEMBER)
    FinancingNeed.objects.filter(pk=cases["open"].pk).update(amount_yuan=2_000_000)
    client.force_login(cases["staff"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/dashboards/bulletins/generate/", {"month": "2026-11"})
    assert response.status_code == 302
    fresh = Bulletin.objects.get(region=daiyue, month=date(2026, 11, 1))
    assert fresh.pk == kept.pk and fresh.data["totals"]["asked_yuan"] == 9_500_000
    client.force_login(cases["officer"])
    assert client.post("/dashboards/bulletins/generate/", {"month": "2026-11"}).status_code == 404
