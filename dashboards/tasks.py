"""Worker side of the dashboards: the monthly bulletins and the long jobs shown with progress."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from dashboards.assessment import Month
from regions.models import Region

logger = logging.getLogger(__name__)


@shared_task(name="dashboards.monthly_bulletins", soft_time_limit=1700, time_limit=1800)
def monthly_bulletins() -> int:
    """On the 1st of each month: one bulletin per region for the month just ended.

    Each region goes to its own task, so one failing region does not stop the others.
    """
    from dashboards.services import bulletin_regions

    month = Month.previous(timezone.localdate())
    regions = bulletin_regions()
    for region in regions:
        generate_bulletin.delay(region.pk, month.year, month.month)
    return len(regions)


@shared_task(name="dashboards.generate_bulletin", soft_time_limit=600, time_limit=660)
def generate_bulletin(region_id: int, year: int, month: int, replace: bool = False) -> int | None:
    """Write one region's bulletin; a duplicate run keeps the first one unless ``replace``."""
    from dashboards.services import bulletin_generate

    region = Region.objects.filter(pk=region_id).first()
    if region is None:
        return None
    return bulletin_generate(region=region, month=Month(year, month), replace=replace).pk


@shared_task(name="dashboards.run_job", soft_time_limit=1700, time_limit=1800)
def run_job(job_id: int) -> str | None:
    """Run one long operation (export, bulk re-match); claimed once, progress on the page."""
    from dashboards.services import job_run

    job = job_run(job_id=job_id)
    return job.status if job is not None else None


@shared_task(name="dashboards.turn_hours_rollup", soft_time_limit=1700, time_limit=1800)
def turn_hours_rollup() -> int:
    """Every quarter hour: count the response hours of the bank turns that changed since.

    Only turns whose stored figures no longer match their moments are written, so a duplicate
    or overlapping run writes nothing new; the dashboards stay exact meanwhile (they count a
    turn the roll-up has not caught up with themselves).
    """
    from dashboards.services import turn_hours_refresh

    return turn_hours_refresh()


@shared_task(name="dashboards.catalogue_views_flush", soft_time_limit=240, time_limit=300)
def catalogue_views_flush() -> int:
    """Every minute: add the page views counted in the cache to ``CatalogueView``.

    The counts are taken and reset atomically, so a duplicate or overlapping run adds nothing
    twice; a failed write puts them back for the next run.
    """
    from dashboards.services import catalogue_views_flush as flush

    return flush()
