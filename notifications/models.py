"""The in-app inbox of every role, and each user's delivery preferences."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

if TYPE_CHECKING:
    from accounts.models import User


class NotificationQuerySet(models.QuerySet["Notification"]):
    def for_user(self, user: User) -> NotificationQuerySet:
        """A user's own notifications; nobody reads another's inbox."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="收件人",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField("类型", max_length=64)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    # One notification per recipient and key (e.g. "need:12:deadline:accept:2026-10-09"), so a task
    # that runs twice sends nothing twice.
    dedupe_key = models.CharField("去重键", max_length=200)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    emailed_at = models.DateTimeField("邮件发送时间", null=True, blank=True)
    sms_sent_at = models.DateTimeField("短信发送时间", null=True, blank=True)
    # Null while e-mail/SMS delivery is pending: the row is written in the transaction of its cause,
    # its delivery task enqueued on commit, and ``notifications.delivery_sweep`` re-drives rows
    # whose task never ran (a message lost with Redis, a worker killed mid-task).
    delivered_at = models.DateTimeField("投递完成时间", null=True, blank=True)
    # When the sweeper last re-drove the delivery: it waits as long again before the next try, so
    # a backlog is not flooded with duplicates.
    redriven_at = models.DateTimeField("重新投递时间", null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = "站内消息"
        verbose_name_plural = "站内消息"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "dedupe_key"], name="uniq_notification_per_key")
        ]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(fields=["delivered_at", "created_at"], name="notification_pending_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email_enabled = models.BooleanField("邮件通知", default=True)
    sms_enabled = models.BooleanField("短信通知", default=False)

    class Meta:
        verbose_name = "通知偏好"
        verbose_name_plural = "通知偏好"

    def __str__(self) -> str:
        return f"{self.user} 的通知偏好"
