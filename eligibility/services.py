"""Writes for eligibility: background re-matching with stored results and notifications, and
calculations a firm saves.

Re-matching stores, per (firm, policy), the policies a firm qualifies for (eligible, with the
amount or the maximum), in bulk (one upsert per chunk of firms, unchanged rows left alone). A
result left undecided for want of a fact is not stored: on real profiles that is most pairs
(the profile lacks the policy's own facts, such as a project's investment), every reader of the
stored results (the firm's matched list, notifications, the dashboards' "most matched") reads
only eligible rows, and the calculator names the missing facts live, with explanations. A firm
that newly qualifies for a policy, or qualifies for one closing within 14 days, is told once:
the notification's dedupe key names the firm, the policy (and the closing date), so a rerun
sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import User
from eligibility.columnar import FactColumns, quick_many
from eligibility.engine import format_wan
from eligibility.models import EligibilityResult, SavedCalculation
from eligibility.selectors import (
    Candidate,
    applicable,
    candidates_by_region,
    ensure_catalogue_facts,
    enterprise_facts,
    policy_candidates,
)
from enterprises.models import Enterprise
from notifications.services import notification_send

__all__ = [
    "RematchStats",
    "eligibility_enqueue_enterprise",
    "eligibility_enqueue_policies",
    "eligibility_rematch",
    "enterprise_facts",
    "saved_calculation_create",
]

CLOSING_DAYS = 14
CHUNK = 2000
COLUMNAR_MIN_FIRMS = 50  # below this, evaluating firm by firm is cheaper than building columns


@dataclass
class RematchStats:
    enterprises: int = 0
    policies: int = 0
    evaluations: int = 0
    eligible: int = 0  # (firm, policy) pairs found eligible: the rows that should be stored
    undecided: int = 0  # pairs left undecided for want of a fact (not stored)
    stored: int = 0  # rows written (new or changed)
    unchanged: int = 0  # results found as they were stored (rows left alone)
    removed: int = 0
    notified: int = 0


def _policy_url(policy_id: int) -> str:
    try:
        return reverse("policies:detail", args=[policy_id])
    except NoReverseMatch:
        return ""


def _amount_text(amount: int | None, maximum: int | None) -> str:
    if amount is not None:
        return f"，测算金额{format_wan(amount)}"
    if maximum is not None:
        return f"，最高{format_wan(maximum)}"
    return ""


def _notify(
    *,
    members: Mapping[int, list[User]],
    enterprise_id: int,
    kind: str,
    title: str,
    body: str,
    url: str,
    dedupe_key: str,
) -> int:
    sent = 0
    for user in members.get(enterprise_id, ()):
        sent += (
            notification_send(
                user=user, kind=kind, title=title[:200], body=body, url=url, dedupe_key=dedupe_key
            )
            is not None
        )
    return sent


def eligibility_rematch(
    *,
    enterprise_ids: Iterable[int] | None = None,
    policy_ids: Iterable[int] | None = None,
    as_of: date | None = None,
    notify: bool = True,
    chunk_size: int = CHUNK,
) -> RematchStats:
    """Re-evaluate firms (all, or ``enterprise_ids``) against the policies in force (all, or
    ``policy_ids``) on their profile facts; store the results and notify.

    Each chunk of firms is one transaction: read the previous results, upsert the new ones that
    differ from them (``bulk_create`` with ``update_conflicts``; a result found unchanged is left
    alone, so a nightly rerun writes only what changed), delete those that became a plain "no",
    then send the notifications (deduplicated, so a rerun or an overlapping run sends nothing
    twice).
    """
    as_of = as_of or timezone.localdate()
    now = timezone.now()
    ensure_catalogue_facts()
    scope = None if policy_ids is None else set(policy_ids)
    candidates = policy_candidates(as_of=as_of)
    if scope is not None:
        candidates = [c for c in candidates if c.policy.pk in scope]
    grouped = candidates_by_region(candidates)
    closing_until = as_of + timedelta(days=CLOSING_DAYS)
    stats = RematchStats(policies=len(candidates))
    firms = Enterprise.objects.select_related("region").order_by("pk")
    if enterprise_ids is not None:
        firms = firms.filter(pk__in=list(enterprise_ids))
    ids = list(firms.values_list("pk", flat=True))
    for start in range(0, len(ids), chunk_size):
        chunk_ids = ids[start : start + chunk_size]
        with transaction.atomic():
            chunk = list(firms.filter(pk__in=chunk_ids))
            previous_rows = EligibilityResult.objects.filter(enterprise_id__in=chunk_ids)
            if scope is not None:
                previous_rows = previous_rows.filter(policy_id__in=scope)
            previous = {
                (e, p): (pk, state)
                for pk, e, p, *state in previous_rows.values_list(
                    "pk",
                    "enterprise_id",
                    "policy_id",
                    "rule_version_id",
                    "eligible",
                    "amount_yuan",
                    "max_amount_yuan",
                )
            }
            rows: list[_Row] = []
            kept: set[tuple[int, int]] = set()
            events: list[tuple[str, int, Any, Any]] = []
            chunk_facts = [enterprise_facts(firm) for firm in chunk]
            for i, candidate, (eligible, amount, maximum) in _matches(
                chunk_facts, candidates, grouped, as_of, stats
            ):
                firm = chunk[i]
                policy = candidate.policy
                key = (firm.pk, policy.pk)
                kept.add(key)
                stats.eligible += 1
                before = previous.get(key)
                state = [candidate.rule.pk, eligible, amount, maximum]
                if before is None or before[1] != state:
                    rows.append((firm.pk, policy.pk, candidate.rule.pk, eligible, amount, maximum))
                if eligible:
                    if before is None or before[1][1] is not True:
                        events.append(("new", firm.pk, policy, (amount, maximum)))
                    if policy.valid_to is not None and as_of <= policy.valid_to <= closing_until:
                        events.append(("closing", firm.pk, policy, (amount, maximum)))
            if rows:
                _upsert(rows, now)
            stale = [pk for key, (pk, _) in previous.items() if key not in kept]
            if stale:
                for i in range(0, len(stale), 5000):
                    EligibilityResult.objects.filter(pk__in=stale[i : i + 5000]).delete()
            stats.enterprises += len(chunk)
            stats.stored += len(rows)
            stats.unchanged += len(kept) - len(rows)
            stats.removed += len(stale)
            if notify and events:
                stats.notified += _send_events(events)
    return stats


# (enterprise_id, policy_id, rule_version_id, eligible, amount_yuan, max_amount_yuan)
_Row = tuple[int, int, int, bool | None, int | None, int | None]
_UPDATED = ("rule_version_id", "eligible", "amount_yuan", "max_amount_yuan", "evaluated_at")


def _upsert(rows: list[_Row], now: Any) -> None:
    """Insert or update these results (new or changed ones only), inside the caller's atomic.

    On PostgreSQL: COPY into a temporary table, then one ``INSERT … SELECT … ON CONFLICT DO
    UPDATE`` (no model instances, no per-row SQL; an overlapping run's rows are updated, not a
    conflict). Elsewhere: ``bulk_create`` with ``update_conflicts``, in batches.
    """
    if connection.vendor != "postgresql":
        EligibilityResult.objects.bulk_create(
            [
                EligibilityResult(
                    enterprise_id=e,
                    policy_id=p,
                    rule_version_id=r,
                    eligible=eligible,
                    amount_yuan=amount,
                    max_amount_yuan=maximum,
                    evaluated_at=now,
                )
                for e, p, r, eligible, amount, maximum in rows
            ],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["enterprise", "policy"],
            update_fields=[
                "rule_version",
                "eligible",
                "amount_yuan",
                "max_amount_yuan",
                "evaluated_at",
            ],
        )
        return
    table = EligibilityResult._meta.db_table
    columns = ("enterprise_id", "policy_id", *_UPDATED)
    names = ", ".join(columns)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _UPDATED)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE eligibility_upsert (enterprise_id bigint, policy_id bigint, "
            "rule_version_id bigint, eligible boolean, amount_yuan bigint, "
            "max_amount_yuan bigint, evaluated_at timestamptz) ON COMMIT DROP"
        )
        with cursor.copy(f"COPY eligibility_upsert ({names}) FROM STDIN") as copy:
            for e, p, r, eligible, amount, maximum in rows:
                copy.write_row((e, p, r, eligible, amount, maximum, now))
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM eligibility_upsert "  # noqa: S608 - names are ours
            f"ON CONFLICT (enterprise_id, policy_id) DO UPDATE SET {updates}"
        )
        cursor.execute("DROP TABLE eligibility_upsert")


def _matches(
    chunk_facts: list[dict[str, Any]],
    candidates: list[Candidate],
    grouped: Mapping[str, list[Candidate]],
    as_of: date,
    stats: RematchStats,
) -> Iterator[tuple[int, Candidate, tuple[bool | None, int | None, int | None]]]:
    """(firm index, candidate, quick result) of every eligible result (undecided and plain "no"
    are not stored).

    Many firms are evaluated column-wise (``eligibility.columnar``: each policy once over the
    whole chunk, its region gate included, and only the eligible firms' cells leave numpy); a
    few firm by firm against the policies of their region (the columns would cost more than
    they save). Both give ``CompiledRule.quick``'s results.
    """
    if len(chunk_facts) >= COLUMNAR_MIN_FIRMS:
        columns = FactColumns(chunk_facts)
        for candidate in candidates:
            result = quick_many(candidate.compiled, columns, as_of, candidate.region_code)
            stats.evaluations += len(chunk_facts)
            stats.undecided += int(np.count_nonzero(result.eligible == -1))
            for i in np.flatnonzero(result.eligible == 1).tolist():
                yield i, candidate, result.row(i)
        return
    for i, facts in enumerate(chunk_facts):
        for candidate in applicable(grouped, facts.get("region_code")):
            outcome = candidate.compiled.quick(facts, as_of, candidate.region_code)
            stats.evaluations += 1
            if outcome[0] is None:
                stats.undecided += 1
            elif outcome[0] is True:
                yield i, candidate, outcome


def _send_events(events: list[tuple[str, int, Any, Any]]) -> int:
    firm_ids = {e[1] for e in events}
    members: dict[int, list[User]] = {}
    for user in User.objects.filter(enterprise_id__in=firm_ids, is_active=True).order_by("pk"):
        members.setdefault(user.enterprise_id, []).append(user)
    sent = 0
    urls: dict[int, str] = {}
    for kind, firm_id, policy, (amount, maximum) in events:
        if firm_id not in members:
            continue  # a firm without active members: nobody to tell
        url = urls.get(policy.pk)
        if url is None:
            url = urls[policy.pk] = _policy_url(policy.pk)
        if kind == "new":
            sent += _notify(
                members=members,
                enterprise_id=firm_id,
                kind="eligibility.new",
                title=f"您的企业符合政策“{policy.title}”{_amount_text(amount, maximum)}",
                body=(
                    "根据企业信息测算，贵企业新符合该政策的申报条件。"
                    "请查看政策详情，并在“政策测算”中核对条件与金额。"
                ),
                url=url,
                dedupe_key=f"eligibility:new:{firm_id}:{policy.pk}",
            )
        else:
            sent += _notify(
                members=members,
                enterprise_id=firm_id,
                kind="eligibility.closing",
                title=f"您符合的政策“{policy.title}”将于{policy.valid_to:%Y年%m月%d日}截止",
                body=f"该政策的有效期即将结束（{policy.valid_to.isoformat()}），请尽快申报。",
                url=url,
                dedupe_key=f"eligibility:closing:{firm_id}:{policy.pk}:{policy.valid_to.isoformat()}",
            )
    return sent


# ---------------------------------------------------------------------------------------------
# Enqueueing, after the commit


def eligibility_enqueue_enterprise(*, enterprise_id: int) -> None:
    """After the commit, re-evaluate one firm (its profile changed)."""

    def _send() -> None:
        from eligibility.tasks import rematch_enterprise

        rematch_enterprise.delay(enterprise_id)

    transaction.on_commit(_send)


def eligibility_enqueue_policies(*, policy_ids: Iterable[int]) -> None:
    """After the commit, re-evaluate every firm against these policies (published or changed).

    The ids enqueued within one transaction go out as one task.
    """
    ids = set(policy_ids)
    if not ids:
        return
    connection = transaction.get_connection()
    pending = getattr(connection, "_eligibility_pending", None)
    if pending is not None and any(f is pending[1] for _, f, *_ in connection.run_on_commit):
        pending[0].update(ids)  # a task for this transaction is already waiting for the commit
        return
    batch: set[int] = set(ids)

    def _send() -> None:
        from eligibility.tasks import rematch_policies

        if getattr(connection, "_eligibility_pending", None) is state:
            connection._eligibility_pending = None  # later ids need a task of their own
        rematch_policies.delay(sorted(batch))

    state = (batch, _send)
    if connection.in_atomic_block:
        connection._eligibility_pending = state
    transaction.on_commit(_send)


# ---------------------------------------------------------------------------------------------
# Saved calculations


def _jsonable_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in facts.items():
        if isinstance(value, date):
            out[name] = value.isoformat()
        elif hasattr(value, "as_integer_ratio") and not isinstance(value, bool | int):
            out[name] = str(value)
        else:
            out[name] = value
    return out


@transaction.atomic
def saved_calculation_create(
    *,
    user: User,
    facts: Mapping[str, Any],
    results: list[Mapping[str, Any]],
    as_of: date,
) -> SavedCalculation:
    """Keep a calculator result for the user's firm."""
    if not user.is_authenticated or not user.is_enterprise_member or not user.enterprise_id:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("只有企业用户可以保存测算结果。")
    eligible = [r for r in results if r.get("eligible") is True]
    return SavedCalculation.objects.create(
        enterprise_id=user.enterprise_id,
        created_by=user,
        as_of=as_of,
        facts=_jsonable_facts(facts),
        results=[dict(r) for r in results],
        eligible_count=len(eligible),
        total_amount_yuan=sum(r.get("amount_yuan") or 0 for r in eligible),
    )
