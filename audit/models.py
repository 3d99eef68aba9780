"""The audit record: an append-only list of changes to the catalogue, cases, applications, users.

Rows are only ever inserted. ``save`` on an existing row, ``delete`` and the queryset's ``update``
and ``delete`` raise; on PostgreSQL a trigger (migration 0002) refuses UPDATE and DELETE as well,
so not even raw SQL from the application can rewrite history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from regions.selectors import within_region_q

if TYPE_CHECKING:
    from accounts.models import User


class AuditImmutableError(Exception):
    """An attempt to change or remove an audit entry."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def for_user(self, user: User) -> AuditEntryQuerySet:
        """Platform admins see every entry; district staff those of their region; others none."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_platform_admin:
            return self.all()
        if user.is_district_staff and user.region_id:
            return self.filter(within_region_q(user.region.code, "region_code"))
        return self.none()

    def update(self, **kwargs: Any) -> int:
        raise AuditImmutableError("审计记录不可修改。")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditImmutableError("审计记录不可删除。")


class AuditEntry(models.Model):
    """Who did what to which record, when; changed field names with values free of personal data."""

    # No database constraint and DO_NOTHING: deleting or anonymising a user must never have to
    # touch (update) the audit rows that name them.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_role = models.CharField("操作人角色", max_length=32, blank=True)
    created_at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    action = models.CharField("操作", max_length=48)
    object_type = models.CharField("对象类型", max_length=64)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    region_code = models.CharField("所属区域", max_length=32, blank=True, db_index=True)
    changes = models.JSONField("变更内容", default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]
        default_permissions = ("add", "view")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditImmutableError("审计记录不可修改。")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditImmutableError("审计记录不可删除。")
