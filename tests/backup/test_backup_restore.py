"""bin/backup then bin/restore into an empty database and MEDIA_ROOT: every row and every file
comes back. PostgreSQL only (the ``services`` marker deselects it elsewhere)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from psycopg import sql

from tests.needs.conftest import NEED_DATA

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _url(name: str) -> str:
    db = connections["default"].settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _tables_digest(url: str) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row of every table in ``public``."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        digest = {}
        for table in tables:
            count, md5 = conn.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
                    " FROM {} t"
                ).format(sql.Identifier(table))
            ).fetchone()
            digest[table] = (count, md5)
        return digest


def _files(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file()
    }


def _run(script: str, *args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(ROOT / "bin" / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_backup_then_restore_into_an_empty_database_finds_every_row_and_file(
    world,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    from needs.services import financing_need_submit

    source_var, target_var = tmp_path / "source", tmp_path / "target"
    media = source_var / "media"
    media.mkdir(parents=True)
    settings.MEDIA_ROOT = media
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media)},
        },
    }
    for number in range(3):
        with django_capture_on_commit_callbacks(execute=True):  # routed: assignments, notices
            financing_need_submit(
                enterprise=world["firm"],
                submitted_by=world["member"],
                data={**NEED_DATA, "description": f"备份测试 {number}"},
                attachments=[
                    SimpleUploadedFile(f"营业执照{number}.pdf", PDF + bytes([number])),
                    SimpleUploadedFile(f"财务报表{number}.pdf", PDF * 2 + bytes([number])),
                ],
            )
    source_files = _files(media)
    assert len(source_files) == 6
    source_name = connections["default"].settings_dict["NAME"]
    source = _tables_digest(_url(source_name))
    assert source["needs_financingneed"][0] == 3 and source["needs_needattachment"][0] == 6

    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    backup_dir = (
        _run(
            "backup",
            str(tmp_path / "backups"),
            env={**env, "DATABASE_URL": _url(source_name), "PORTAL_VAR_DIR": str(source_var)},
        )
        .strip()
        .splitlines()[-1]
    )
    assert (Path(backup_dir) / "db.dump").stat().st_size > 0

    target_name = f"restore_{os.getpid()}"
    admin = _url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(target_name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target_name)))
    try:
        target_env = {**env, "DATABASE_URL": _url(target_name), "PORTAL_VAR_DIR": str(target_var)}
        print(_run("restore", backup_dir, env=target_env))
        restored = _tables_digest(_url(target_name))
        assert restored == source, {
            t: (source.get(t), restored.get(t))
            for t in source.keys() | restored.keys()
            if source.get(t) != restored.get(t)
        }
        assert _files(target_var / "media") == source_files
        # A second restore into the now non-empty database is refused, changing nothing.
        again = subprocess.run(
            [str(ROOT / "bin" / "restore"), backup_dir],
            cwd=ROOT,
            env=target_env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert again.returncode == 3 and "empty" in again.stderr
        assert _tables_digest(_url(target_name)) == source
        print(
            f"restored {sum(c for c, _ in restored.values())} rows in {len(restored)} tables "
            f"and {len(source_files)} files"
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(target_name)
                )
            )
