"""Writes of the dashboards: view counts, assessment weights, bulletins, long jobs, bulk steps."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Role
from dashboards.assessment import Month, bank_assessment
from dashboards.counters import view_counter
from dashboards.documents import bulletin_pdf, bulletin_xlsx, dashboard_xlsx
from dashboards.models import (
    AssessmentScheme,
    Bulletin,
    CatalogueView,
    Job,
    TurnHours,
    validate_weights,
)
from dashboards.scoping import RegionViewer, ensure_district
from dashboards.selectors import Filters, dashboard_data
from needs import services as need_services
from needs.models import FinancingNeed
from needs.states import Status
from regions.models import Region

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

#: How many firms one progress step of the bulk re-match covers.
REMATCH_CHUNK = 100
#: At most this many cases in one bulk step (the form shows one page of the queue).
BULK_LIMIT = 100


# --- Catalogue view counter ----------------------------------------------------------------------


def catalogue_view_record(*, kind: str, object_id: int, day: date | None = None) -> None:
    """Count one view of a policy or product in the cache; no database write on the page view.

    The counts reach ``CatalogueView`` with ``catalogue_views_flush`` (a beat task every minute;
    on a cache that is not shared between processes, also from the counting process itself).
    """
    day = day or timezone.localdate()
    if not view_counter.add(f"{kind}:{int(object_id)}:{day.isoformat()}") and (
        view_counter.local_flush_due()
    ):
        catalogue_views_flush()


def catalogue_views_flush() -> int:
    """Add the counted views to ``CatalogueView``; return how many views were written.

    Takes the counts and resets them atomically (a Redis RENAME), so a second or concurrent run
    finds nothing to add twice; when the database write fails, the counts are put back for the
    next run.
    """
    taken = view_counter.take()
    written = 0
    for index, (batch_id, counts) in enumerate(taken):
        try:
            _catalogue_views_write(counts)
        except Exception:
            # This batch and those not written yet are counted again for the next run.
            for left_id, left_counts in taken[index:]:
                view_counter.put_back(left_counts)
                view_counter.done(left_id)
            raise
        view_counter.done(batch_id)
        written += sum(counts.values())
    return written


@transaction.atomic
def _catalogue_views_write(counts: dict[str, int]) -> None:
    for field, number in sorted(counts.items()):
        try:
            kind, object_id, day = field.split(":")
            key = {"kind": kind, "object_id": int(object_id), "day": date.fromisoformat(day)}
        except ValueError:
            logger.warning("unreadable catalogue view counter %r dropped", field)
            continue
        if kind not in CatalogueView.Kind.values or number <= 0:
            continue
        rows = CatalogueView.objects.filter(**key)
        if rows.update(count=F("count") + number):
            continue
        try:
            with transaction.atomic():
                CatalogueView.objects.create(**key, count=number)
        except IntegrityError:  # another flush inserted the day's row first
            rows.update(count=F("count") + number)


# --- Assessment weights --------------------------------------------------------------------------


@transaction.atomic
def assessment_scheme_save(
    *, actor: User, region: Region, weights: dict[str, float]
) -> AssessmentScheme:
    """Set the indicator weights of ``region``'s assessment; bad weights change nothing."""
    ensure_district(actor)
    try:
        validate_weights(weights)
    except ValidationError as exc:
        raise ValidationError({"weights": exc.messages}) from exc
    scheme, _ = AssessmentScheme.objects.update_or_create(
        region=region, defaults={"weights": weights}
    )
    return scheme


# --- Monthly bulletin ----------------------------------------------------------------------------


def bulletin_regions() -> list[Region]:
    """The regions that get a bulletin: those of active district staff accounts."""
    from accounts.models import User

    staff = User.objects.filter(role=Role.DISTRICT_STAFF, is_active=True, region__isnull=False)
    return list(Region.objects.filter(pk__in=staff.values("region_id")).order_by("code"))


def bulletin_generate(
    *, region: Region, month: Month, now: datetime | None = None, replace: bool = False
) -> Bulletin:
    """Write ``region``'s bulletin of ``month`` (PDF and Excel) and keep it.

    A second run for the same region and month returns the kept bulletin unchanged, unless
    ``replace`` (staff asked to regenerate it).
    """
    existing = Bulletin.objects.filter(region=region, month=month.filters.start).first()
    if existing is not None and not replace:
        return existing
    now = now or timezone.now()
    assessment = bank_assessment(region=region, month=month, now=now)
    summary = dashboard_data(
        RegionViewer(region), month.filters, now=now, sections=["totals", "by_bank", "by_chain"]
    )
    pdf = bulletin_pdf(assessment, summary)
    xlsx = bulletin_xlsx(assessment, summary)
    name = f"bulletins/{region.code}/{month.key}"
    with transaction.atomic():
        bulletin = (
            Bulletin.objects.select_for_update().filter(region=region, month=month.filters.start)
        ).first()
        if bulletin is not None and not replace:
            return bulletin  # written by a concurrent run meanwhile
        if bulletin is None:
            bulletin = Bulletin(region=region, month=month.filters.start)
        bulletin.data = {"assessment": assessment, "totals": summary["totals"]}
        bulletin.pdf.save(f"{name}.pdf", ContentFile(pdf), save=False)
        bulletin.xlsx.save(f"{name}.xlsx", ContentFile(xlsx), save=False)
        bulletin.save()
    return bulletin


# --- Roll-up of response hours ------------------------------------------------------------------

#: Turns counted and written per batch of the roll-up.
ROLLUP_BATCH = 2000


def turn_hours_refresh(*, assignment_ids: list[int] | None = None, calendar=None) -> int:
    """Count the working hours to acceptance and first contact of the turns whose stored
    figures are missing or no longer match their moments, and store them; returns how many.

    Idempotent: a turn whose figures match is left alone, so a second run (or two runs at once)
    writes nothing new. ``assignment_ids`` limits it to those turns (all turns otherwise).
    """
    from dashboards.selectors import stale_turns
    from workdays.selectors import work_calendar

    calendar = calendar or work_calendar()
    written = 0
    last_id = 0
    while True:
        batch = stale_turns(assignment_ids=assignment_ids, after_id=last_id, limit=ROLLUP_BATCH)
        if not batch:
            return written
        last_id = batch[-1]["assignment_id"]
        rows = [
            TurnHours(
                assignment_id=turn["assignment_id"],
                started_at=turn["started_at"],
                accept_met_at=turn["accept_met_at"],
                accept_hours=_hours(calendar, turn["started_at"], turn["accept_met_at"]),
                contact_met_at=turn["contact_met_at"],
                contact_hours=_hours(calendar, turn["started_at"], turn["contact_met_at"]),
            )
            for turn in batch
        ]
        TurnHours.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["assignment"],
            update_fields=[
                "started_at",
                "accept_met_at",
                "accept_hours",
                "contact_met_at",
                "contact_hours",
                "computed_at",
            ],
        )
        written += len(rows)


def _hours(calendar, started: datetime, met: datetime | None) -> float | None:
    # The dashboards' definition: a deadline met before its turn started counts 0 hours.
    if met is None:
        return None
    return max(0.0, calendar.working_hours_between(started, met))


# --- Long operations -----------------------------------------------------------------------------


@transaction.atomic
def job_start(*, user: User, kind: str, params: dict[str, Any]) -> Job:
    """Record a long operation and hand it to the worker after the commit."""
    from dashboards.tasks import run_job

    ensure_district(user)
    if kind not in Job.Kind.values:
        raise ValidationError({"kind": "未知的任务类型。"})
    job = Job.objects.create(kind=kind, params=params, requested_by=user)
    transaction.on_commit(lambda: run_job.delay(job.pk))
    return job


class JobRejected(Exception):
    """A job that ran to the end and refused its input; ``problems`` tell the requester why
    (in Chinese, e.g. an import's bad rows). Nothing was saved."""

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems


@transaction.atomic
def catalogue_import_start(*, user: User, upload) -> Job:
    """Keep an uploaded catalogue workbook (already checked for type and size by the form) and
    import it on the worker; the job page shows progress and any bad rows."""
    from django.core.files.storage import default_storage

    from portal.uploads import check_upload

    checked = check_upload(upload, folder="imports")
    stored = default_storage.save(checked.storage_name, upload)
    return job_start(
        user=user,
        kind=Job.Kind.CATALOGUE_IMPORT,
        params={"file": stored, "name": checked.original_name},
    )


def _claim(job_id: int) -> bool:
    """Queued → running with a conditional UPDATE: a duplicate delivery claims nothing."""
    return bool(
        Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
            status=Job.Status.RUNNING, started_at=timezone.now(), progress=1
        )
    )


def _progress(job_id: int) -> Callable[[int], None]:
    def report(percent: int) -> None:
        Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(
            progress=max(1, min(99, int(percent)))
        )

    return report


def _export(job: Job, report: Callable[[int], None]) -> tuple[bytes, str, str]:
    user = job.requested_by
    filters = Filters.from_params(job.params)
    report(10)
    data = dashboard_data(user, filters)
    report(50)
    content = dashboard_xlsx(data, progress=report)
    name = f"数据看板_{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.xlsx"
    return content, name, f"已导出 {data['totals']['count']} 笔融资需求的统计。"


def _rematch(job: Job, report: Callable[[int], None]) -> tuple[bytes | None, str, str]:
    from dashboards.scoping import region_q
    from eligibility.services import eligibility_rematch
    from enterprises.models import Enterprise

    firms = Enterprise.objects.filter(region_q(job.requested_by, "region__code"))
    if job.params.get("region"):
        from regions.selectors import within_region_q

        firms = firms.filter(within_region_q(job.params["region"], "region__code"))
    ids = list(firms.order_by("pk").values_list("pk", flat=True))
    notified = 0
    for start in range(0, len(ids), REMATCH_CHUNK):
        notified += eligibility_rematch(enterprise_ids=ids[start : start + REMATCH_CHUNK]).notified
        report(5 + 95 * (start + REMATCH_CHUNK) / max(1, len(ids)))
    return None, "", f"已重新匹配 {len(ids)} 家企业，发出 {notified} 条提醒。"


def _catalogue_import(job: Job, report: Callable[[int], None]) -> tuple[None, str, str]:
    """Check every row of the kept workbook and save all of them, or none when any is bad."""
    from django.core.files.storage import default_storage

    from catalogue.excel import ImportError_, catalogue_import

    name = job.params.get("file", "")
    if not name.startswith("imports/") or not default_storage.exists(name):
        raise JobRejected("导入失败，未保存任何数据", ["上传的文件已不存在，请重新上传。"])
    report(5)
    try:
        with default_storage.open(name, "rb") as file:
            result = catalogue_import(file=file, user=job.requested_by, progress=report)
    except ImportError_ as exc:
        raise JobRejected("导入失败，未保存任何数据", exc.errors) from exc
    finally:
        # The workbook was only needed for this run; a rerun needs a new upload.
        default_storage.delete(name)
    return None, "", f"导入成功：{result.summary()}"


RUNNERS = {
    Job.Kind.DASHBOARD_EXPORT: _export,
    Job.Kind.REMATCH: _rematch,
    Job.Kind.CATALOGUE_IMPORT: _catalogue_import,
}


def job_run(*, job_id: int) -> Job | None:
    """Run a queued job once, recording progress, its result file or its error."""
    if not _claim(job_id):
        return None
    job = Job.objects.select_related("requested_by__region").get(pk=job_id)
    report = _progress(job_id)
    try:
        content, name, message = RUNNERS[job.kind](job, report)
    except JobRejected as exc:
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.FAILED,
            message=exc.message[:300],
            problems=exc.problems,
            finished_at=timezone.now(),
        )
        return Job.objects.get(pk=job_id)
    except Exception as exc:
        logger.exception("dashboard job %s failed", job_id)
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        return Job.objects.get(pk=job_id)
    if content is not None:
        job.result.save(f"jobs/{job.pk}/{name}", ContentFile(content), save=False)
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.DONE,
        progress=100,
        result=job.result.name or "",
        message=message[:300],
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


# --- Workbench bulk steps ------------------------------------------------------------------------


def _bulk_needs(actor: User, need_ids: list[int]) -> list[FinancingNeed]:
    ids = sorted(set(need_ids))
    if not ids:
        raise ValidationError({"needs": "请至少选择一笔融资需求。"})
    if len(ids) > BULK_LIMIT:
        raise ValidationError({"needs": f"一次最多处理 {BULK_LIMIT} 笔。"})
    needs = list(FinancingNeed.objects.for_user(actor).filter(pk__in=ids).order_by("pk"))
    if len(needs) != len(ids):
        raise ValidationError({"needs": "所选融资需求中有您无权办理的案件。"})
    return needs


@transaction.atomic
def needs_bulk_accept(*, actor: User, need_ids: list[int]) -> list[FinancingNeed]:
    """Accept several 待接单 cases at once: all or none (a refused one rolls every one back)."""
    needs = _bulk_needs(actor, need_ids)
    waiting = [need for need in needs if need.status != Status.ASSIGNED]
    if waiting:
        numbers = "、".join(f"#{need.pk}" for need in waiting)
        raise ValidationError({"needs": f"只能批量接单「待接单」的需求：{numbers} 不是。"})
    return [need_services.financing_need_accept(need=need, actor=actor) for need in needs]


@transaction.atomic
def needs_bulk_assign_officer(
    *, actor: User, need_ids: list[int], officer: User, note: str = ""
) -> list[FinancingNeed]:
    """A branch manager reassigns several cases to one officer: all or none."""
    needs = _bulk_needs(actor, need_ids)
    return [
        need_services.financing_need_assign_officer(
            need=need, actor=actor, officer=officer, note=note
        )
        for need in needs
    ]
