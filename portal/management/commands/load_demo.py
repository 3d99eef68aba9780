"""``manage.py load_demo``: demo regions, chains, banks, firms and accounts (idempotent)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.demo import ACCOUNTS, demo_load


class Command(BaseCommand):
    help = "加载演示数据（区域、产业链、银行、企业和演示账号），可重复执行。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="在 DEBUG 关闭时也加载（演示账号使用公开密码）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("DEBUG 已关闭：演示账号使用公开密码，如确需加载请加 --force。")
        counts = demo_load()
        self.stdout.write(
            self.style.SUCCESS(
                "演示数据已就绪：" + "，".join(f"{k} {v}" for k, v in counts.items())
            )
        )
        names = ["firm-demo", *[a.username for a in ACCOUNTS], "admin"]
        self.stdout.write(f"演示账号（密码 {settings.DEMO_PASSWORD}）：" + "、".join(names))
