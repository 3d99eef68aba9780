"""Periodic privacy work: the retention sweep (declared in the beat schedule in portal/celery.py)."""

from __future__ import annotations

from celery import shared_task

from privacy.services import retention_sweep


@shared_task(name="privacy.retention_sweep", soft_time_limit=240, time_limit=300)
def retention_sweep_task() -> dict[str, int]:
    """Every step of the sweep filters on what is still to do: running it twice changes nothing."""
    return retention_sweep()
