"""Fixtures of the application tests: uploads in a temporary directory, a firm that qualifies."""

from __future__ import annotations

import pytest

from tests.applications.helpers import MATERIALS, make_policy, upload


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Stored files go to a fresh directory, so a test can see exactly what was written."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


@pytest.fixture(autouse=True)
def _eager_tasks(request):
    from portal.celery import app

    if "real_tasks" in request.fixturenames:
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def world(personas, regions):
    """The personas' firm (岱岳区) qualifies: 科技型中小企业 with 3200万元 revenue."""
    firm = personas["firm"]
    firm.qualifications = ["tech_sme"]
    firm.annual_revenue_yuan = 32_000_000
    firm.save()
    other = personas["other_firm"]
    other.qualifications = ["tech_sme"]
    other.save()
    return {**personas, "policy": make_policy(regions["daiyue"])}


@pytest.fixture
def good_files():
    def _files():
        return [(MATERIALS[0], upload("营业执照.pdf")), (MATERIALS[1], upload("报表.pdf"))]

    return _files
