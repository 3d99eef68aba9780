"""Requests made with an ``Idempotency-Key`` header, kept with their answer for replay."""

from __future__ import annotations

from django.db import models


class IdempotentRequest(models.Model):
    """One client's (``owner``: a hash of its credentials) write under one key, committed in the
    same transaction as the write itself, so a retry finds either both or neither."""

    owner = models.CharField("客户端", max_length=64)
    key = models.CharField("幂等键", max_length=100)
    method = models.CharField("方法", max_length=10)
    path = models.CharField("路径", max_length=300)
    status_code = models.PositiveSmallIntegerField("状态码", default=0)
    content_type = models.CharField("内容类型", max_length=100, blank=True)
    body = models.BinaryField("响应内容", blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "幂等请求"
        verbose_name_plural = "幂等请求"
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="uniq_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
