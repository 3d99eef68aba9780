"""Staff forms of the working-day calendar."""

from __future__ import annotations

import re
from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError

from workdays.services import ScheduleEntry

_LINE_RE = re.compile(
    r"^(?P<first>\d{4}-\d{1,2}-\d{1,2})(?:\s*(?:~|～|至)\s*(?P<last>\d{4}-\d{1,2}-\d{1,2}))?"
    r"\s+(?P<kind>放假|休|上班|班)(?:\s+(?P<note>.*))?$"
)
MAX_RANGE_DAYS = 31


def _day(text: str) -> date:
    year, month, day = (int(part) for part in text.split("-"))
    return date(year, month, day)


def parse_schedule(text: str) -> list[ScheduleEntry]:
    """Read a notice typed one line per day or range: ``2027-10-01~2027-10-07 休 国庆节`` or
    ``2027-09-26 班 国庆节调休``. Raises ValidationError naming every bad line."""
    entries: list[ScheduleEntry] = []
    errors: list[str] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = _LINE_RE.match(line)
        if match is None:
            errors.append(f"第 {number} 行格式不对：“{line}”。应为“日期 休/班 说明”。")
            continue
        try:
            first = _day(match["first"])
            last = _day(match["last"]) if match["last"] else first
        except ValueError:
            errors.append(f"第 {number} 行日期无效：“{line}”。")
            continue
        if last < first or (last - first).days >= MAX_RANGE_DAYS:
            errors.append(f"第 {number} 行日期范围无效（应从早到晚，最长 {MAX_RANGE_DAYS} 天）。")
            continue
        working = match["kind"] in ("上班", "班")
        note = (match["note"] or "").strip()
        day = first
        while day <= last:
            entries.append(ScheduleEntry(day=day, working=working, note=note))
            day += timedelta(days=1)
    if errors:
        raise ValidationError(errors)
    if not entries:
        raise ValidationError("请录入放假和调休日期。")
    return entries


class OverrideForm(forms.Form):
    date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    is_working_day = forms.TypedChoiceField(
        label="安排",
        choices=[("0", "放假"), ("1", "上班（调休）")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="说明", max_length=100, required=False, help_text="如：元旦、春节调休"
    )


class ScheduleForm(forms.Form):
    year = forms.IntegerField(label="放假安排年度", min_value=2000, max_value=2100)
    notice = forms.CharField(
        label="依据", max_length=200, help_text="国务院办公厅关于该年部分节假日安排的通知文号"
    )
    entries = forms.CharField(
        label="放假与调休安排",
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="每行一条：“2027-01-01 休 元旦”；连续放假写成“2027-10-01~2027-10-07 休 国庆节”；"
        "调休上班写成“2027-09-26 班 国庆节调休”。",
    )

    def clean_entries(self) -> list[ScheduleEntry]:
        return parse_schedule(self.cleaned_data["entries"])
