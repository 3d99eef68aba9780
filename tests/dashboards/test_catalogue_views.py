"""The catalogue view counter: counted in the cache on the page view, added up by the flush task."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from dashboards import services
from dashboards.counters import view_counter
from dashboards.models import CatalogueView
from dashboards.services import catalogue_view_record, catalogue_views_flush
from dashboards.tasks import catalogue_views_flush as flush_task
from tests.factories import LoanProductFactory, PolicyFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 20)


def _counts() -> dict[tuple[str, int, date], int]:
    return {
        (row.kind, row.object_id, row.day): row.count
        for row in CatalogueView.objects.order_by("kind", "object_id", "day")
    }


def test_a_page_view_writes_nothing_to_the_database(cases, client, fresh_view_counts):
    policy = PolicyFactory(region=cases["regions"]["daiyue"])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/policies/{policy.pk}/").status_code == 200
    writes = [q["sql"] for q in queries if "catalogueview" in q["sql"].lower()]
    assert writes == []
    assert sum(fresh_view_counts.pending().values()) == 1
    assert flush_task() == 1
    assert CatalogueView.objects.get(kind="policy", object_id=policy.pk).count == 1


def test_product_page_views_are_counted(cases, client, fresh_view_counts):
    product = LoanProductFactory()
    for _ in range(2):
        assert client.get(f"/products/{product.pk}/").status_code == 200
    flush_task()
    assert CatalogueView.objects.get(kind="product", object_id=product.pk).count == 2


def test_flush_sums_the_counts_and_adds_to_the_days_row(fresh_view_counts):
    CatalogueView.objects.create(kind="policy", object_id=7, day=DAY, count=5)
    for _ in range(3):
        catalogue_view_record(kind="policy", object_id=7, day=DAY)
    catalogue_view_record(kind="policy", object_id=8, day=DAY)
    catalogue_view_record(kind="product", object_id=7, day=DAY)
    catalogue_view_record(kind="policy", object_id=7, day=date(2026, 11, 21))
    assert catalogue_views_flush() == 6
    assert _counts() == {
        ("policy", 7, DAY): 8,
        ("policy", 7, date(2026, 11, 21)): 1,
        ("policy", 8, DAY): 1,
        ("product", 7, DAY): 1,
    }


def test_flush_run_twice_adds_nothing_twice(fresh_view_counts):
    for _ in range(4):
        catalogue_view_record(kind="policy", object_id=3, day=DAY)
    assert flush_task() == 4
    assert flush_task() == 0
    assert _counts() == {("policy", 3, DAY): 4}
    # Views counted after a flush go to the next one.
    catalogue_view_record(kind="policy", object_id=3, day=DAY)
    assert flush_task() == 1
    assert _counts() == {("policy", 3, DAY): 5}


def test_counts_taken_by_one_flush_are_not_seen_by_another(fresh_view_counts):
    for _ in range(2):
        catalogue_view_record(kind="policy", object_id=4, day=DAY)
    taken = view_counter.take()  # a flush running at the same time took them first
    assert sum(sum(counts.values()) for _, counts in taken) == 2
    assert catalogue_views_flush() == 0
    for batch_id, counts in taken:
        services._catalogue_views_write(counts)
        view_counter.done(batch_id)
    assert _counts() == {("policy", 4, DAY): 2}


def test_a_failed_write_loses_no_count(fresh_view_counts, monkeypatch):
    for _ in range(3):
        catalogue_view_record(kind="policy", object_id=9, day=DAY)

    def fail(counts):
        raise DatabaseError("database down")

    with monkeypatch.context() as patched:
        patched.setattr(services, "_catalogue_views_write", fail)
        with pytest.raises(DatabaseError):
            catalogue_views_flush()
    assert not CatalogueView.objects.exists()
    assert view_counter.pending() == {f"policy:9:{DAY.isoformat()}": 3}
    assert catalogue_views_flush() == 3
    assert _counts() == {("policy", 9, DAY): 3}


def test_the_flush_is_in_the_beat_schedule():
    from portal.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "dashboards.catalogue_views_flush" in tasks
