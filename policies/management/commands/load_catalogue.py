"""``manage.py load_catalogue``: load fixtures/catalogue/*.yaml, idempotently (also in production)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from catalogue.loader import CATALOGUE_DIR, catalogue_load


class Command(BaseCommand):
    help = "加载政策与信贷产品目录（fixtures/catalogue/*.yaml），可重复执行"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dir", default=str(CATALOGUE_DIR), help="目录数据文件所在目录")

    def handle(self, *args, **options) -> None:
        directory = Path(options["dir"])
        if not directory.is_dir():
            raise CommandError(f"目录不存在：{directory}")
        try:
            result = catalogue_load(directory=directory)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"目录已加载：{result.summary()}"))
