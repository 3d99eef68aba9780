"""Regions (GB/T 2260 codes and functional zones) and the industry chains of each district."""

from __future__ import annotations

from django.db import models

from regions.codes import ancestors, level_of


class Region(models.Model):
    class Level(models.TextChoices):
        PROVINCE = "province", "省"
        CITY = "city", "市"
        DISTRICT = "district", "区县"
        ZONE = "zone", "功能区"

    code = models.CharField("行政区划代码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=64)
    level = models.CharField("层级", max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def ancestor_codes(self) -> list[str]:
        """This region's code and every code above it, nearest first."""
        return ancestors(self.code)

    @staticmethod
    def level_for(code: str) -> str:
        return level_of(code)


class IndustryChain(models.Model):
    """A local industry chain (产业链) of a district, e.g. 岱岳区 新材料."""

    region = models.ForeignKey(
        Region, verbose_name="所属区县", on_delete=models.PROTECT, related_name="chains"
    )
    name = models.CharField("产业链", max_length=64)
    finance_specialist = models.CharField("金融专员", max_length=64, blank=True)
    description = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "产业链"
        verbose_name_plural = "产业链"
        ordering = ["region__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="uniq_chain_per_region")
        ]

    def __str__(self) -> str:
        return f"{self.region.name}·{self.name}"
