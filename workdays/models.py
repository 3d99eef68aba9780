"""Staff-kept corrections to the Chinese working-day calendar.

chinesecalendar ships the State Council's holiday schedule up to its last release (2026 at the
time of writing). Staff enter later years here: each :class:`WorkdayOverride` says whether a date
is a working day, and a :class:`ScheduleYear` row marks a year whose schedule has been entered in
full, so deadlines in it no longer fall back to Monday-to-Friday.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class WorkdayOverride(models.Model):
    """One date whose working status differs from the default (holiday, make-up working day)."""

    date = models.DateField("日期", unique=True)
    is_working_day = models.BooleanField("是否工作日", help_text="勾选表示调休上班；不勾选表示放假")
    note = models.CharField("说明", max_length=100, blank=True, help_text="如：国庆节、春节调休")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField("录入时间", auto_now=True)

    class Meta:
        verbose_name = "工作日调整"
        verbose_name_plural = "工作日调整"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {'上班' if self.is_working_day else '放假'}"


class ScheduleYear(models.Model):
    """A year whose full holiday schedule staff have entered from the State Council notice."""

    year = models.PositiveSmallIntegerField(
        "年度", unique=True, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    notice = models.CharField("依据", max_length=200, blank=True, help_text="国务院办公厅通知文号")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "已录入放假安排的年度"
        verbose_name_plural = "已录入放假安排的年度"
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year} 年放假安排"
