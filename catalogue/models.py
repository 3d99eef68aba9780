"""What the catalogue keeps beside policies and products: change history, saved searches, facts."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CatalogueKind(models.TextChoices):
    POLICY = "policy", "政策"
    PRODUCT = "product", "信贷产品"


class CatalogueChange(models.Model):
    """One change to a policy or product: who, when, what, and each field's old and new value."""

    class Action(models.TextChoices):
        CREATE = "create", "新建"
        UPDATE = "update", "修改"
        PUBLISH = "publish", "发布"
        UNPUBLISH = "unpublish", "撤回"
        IMPORT = "import", "导入"
        LOAD = "load", "目录加载"

    kind = models.CharField("对象类型", max_length=16, choices=CatalogueKind.choices)
    object_id = models.PositiveBigIntegerField("对象编号")
    object_key = models.CharField("对象标识", max_length=120)
    action = models.CharField("操作", max_length=16, choices=Action.choices)
    # {field: [old, new]} with JSON-ready values; empty for publish/unpublish.
    changes = models.JSONField("修改内容", default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "目录修改记录"
        verbose_name_plural = "目录修改记录"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["kind", "object_id", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.object_key} {self.get_action_display()}"


class SavedSearch(models.Model):
    """A user's saved catalogue search; new or changed matching records are sent to the inbox."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="saved_searches",
    )
    kind = models.CharField("类型", max_length=16, choices=CatalogueKind.choices)
    name = models.CharField("名称", max_length=100)
    params = models.JSONField("搜索条件", default=dict)
    active = models.BooleanField("订阅中", default=True)
    created_at = models.DateTimeField("保存时间", auto_now_add=True)

    class Meta:
        verbose_name = "保存的搜索"
        verbose_name_plural = "保存的搜索"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class CatalogueFact(models.Model):
    """A fact a catalogue file declares beyond the built-in ones (``facts:``), kept so that every
    process (web, worker) can register it with the eligibility engine before validating rules."""

    name = models.CharField("事实名称", max_length=64, unique=True)
    type = models.CharField("类型", max_length=16)
    unit = models.CharField("单位", max_length=16, blank=True)
    label = models.CharField("中文名称", max_length=200)
    source_file = models.CharField("来源文件", max_length=200, blank=True)

    class Meta:
        verbose_name = "目录事实"
        verbose_name_plural = "目录事实"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.label

    def definition(self) -> dict:
        """The definition as :func:`eligibility.facts.register_facts` takes it."""
        return {"name": self.name, "type": self.type, "unit": self.unit, "label": self.label}
