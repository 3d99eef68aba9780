"""The catalogue's Excel import runs as a background job: the form checks the upload, the
worker checks every row and saves all or nothing, the job page shows progress and bad rows."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from banks.models import LoanProduct
from dashboards.models import Job
from dashboards.services import job_run
from tests.catalogue.test_excel_pdf import _row, _workbook

pytestmark = pytest.mark.django_db

URL = "/catalogue/staff/import/"


@pytest.fixture(autouse=True)
def _storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }


def _upload(client, upload, capture, *, execute=True):
    with capture(execute=execute):
        response = client.post(URL, {"file": upload})
    return response


def test_a_good_file_is_imported_on_the_worker_with_progress(
    client, personas, regions, django_capture_on_commit_callbacks
):
    client.force_login(personas["staff"])
    response = _upload(
        client, _workbook([_row("好产品一"), _row("好产品二")]), django_capture_on_commit_callbacks
    )
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/dashboards/jobs/{job.pk}/"
    assert job.kind == Job.Kind.CATALOGUE_IMPORT and job.requested_by == personas["staff"]
    assert job.status == Job.Status.DONE and job.progress == 100
    assert job.message.startswith("导入成功：") and "新增 2" in job.message
    assert set(LoanProduct.objects.values_list("name", flat=True)) == {"好产品一", "好产品二"}
    # The kept upload was only for the run.
    assert not default_storage.exists(job.params["file"])
    status = client.get(response["Location"], HTTP_ACCEPT="application/json").json()
    assert status["status"] == "done" and status["problems"] == [] and status["error"] == ""
    page = client.get(response["Location"]).content.decode()
    assert "导入成功" in page and "返回目录维护" in page


def test_one_bad_row_saves_nothing_and_the_job_page_lists_it(
    client, personas, regions, django_capture_on_commit_callbacks
):
    client.force_login(personas["staff"])
    upload = _workbook([_row("好"), _row("坏", amount="面议"), _row("也好", klass="不存在的类")])
    response = _upload(client, upload, django_capture_on_commit_callbacks)
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED and job.message == "导入失败，未保存任何数据"
    assert job.problems == [
        "信贷产品第3行：贷款额度“面议”无法识别，请填写“最高额度（元）”列",
        "信贷产品第4行：产品类别“不存在的类”无效（可选：信用类、抵质押类、担保类、供应链类、"
        "科创类、涉农类）",
    ]
    assert LoanProduct.objects.count() == 0
    status = client.get(response["Location"], HTTP_ACCEPT="application/json").json()
    assert status["problems"] == job.problems and status["error"] == ""
    page = client.get(response["Location"]).content.decode()
    assert 'id="import-errors"' in page and "信贷产品第3行" in page


def test_progress_is_reported_while_the_rows_are_checked(
    client, personas, regions, django_capture_on_commit_callbacks, monkeypatch
):
    from dashboards import services

    seen: list[int] = []
    original = services._progress

    def recording(job_id):
        report = original(job_id)

        def both(percent):
            report(percent)
            seen.append(Job.objects.get(pk=job_id).progress)

        return both

    monkeypatch.setattr(services, "_progress", recording)
    client.force_login(personas["staff"])
    rows = [_row(f"产品{i}") for i in range(45)]
    _upload(client, _workbook(rows), django_capture_on_commit_callbacks)
    assert Job.objects.get().status == Job.Status.DONE
    assert seen[0] == 5 and len(seen) >= 3 and seen == sorted(seen) and max(seen) < 100


def test_the_form_refuses_a_file_that_is_not_excel_and_starts_nothing(
    client, personas, regions, django_capture_on_commit_callbacks
):
    client.force_login(personas["staff"])
    fake = SimpleUploadedFile("products.xlsx", b"#!/bin/sh\necho hi\n")
    response = _upload(client, fake, django_capture_on_commit_callbacks)
    assert response.status_code == 200 and "文件内容与扩展名不符" in response.content.decode()
    other = SimpleUploadedFile("products.csv", b"a,b\n")
    response = _upload(client, other, django_capture_on_commit_callbacks)
    assert "请上传 Excel（.xlsx）文件" in response.content.decode()
    assert not Job.objects.exists()


def test_a_duplicate_delivery_imports_once(
    client, personas, regions, django_capture_on_commit_callbacks
):
    client.force_login(personas["staff"])
    _upload(client, _workbook([_row("好产品")]), django_capture_on_commit_callbacks)
    job = Job.objects.get()
    assert job_run(job_id=job.pk) is None  # already claimed and done
    assert LoanProduct.objects.count() == 1


def test_only_staff_import_and_only_their_own_job_page_shows(
    client, personas, regions, django_capture_on_commit_callbacks
):
    client.force_login(personas["member"])
    assert client.post(URL, {"file": _workbook([_row("好")])}).status_code == 404
    client.force_login(personas["staff"])
    _upload(client, _workbook([_row("好")]), django_capture_on_commit_callbacks, execute=False)
    job = Job.objects.get()
    assert job.status == Job.Status.QUEUED  # waits for the worker
    client.force_login(personas["other_staff"])
    assert client.get(f"/dashboards/jobs/{job.pk}/").status_code == 404
    # An import cannot be started without an upload, through the dashboard's job form.
    client.force_login(personas["staff"])
    assert client.post("/dashboards/jobs/", {"kind": "catalogue_import"}).status_code == 404
