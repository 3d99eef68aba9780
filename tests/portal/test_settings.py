import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parents[2]


def test_env_helpers_parse_and_fail_loudly(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "12")
    monkeypatch.setenv("X_LIST", "a, b,,c")
    assert env_bool("X_BOOL", False) is True
    assert env_int("X_INT", 0) == 12
    assert env_list("X_LIST", []) == ["a", "b", "c"]
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env_bool("X_BOOL", False)
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(ImproperlyConfigured):
        env_int("X_INT", 0)


def production_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DEBUG": "0",
            "SECRET_KEY": "prod-" + "k3y-" * 16,
            "TOTP_ENCRYPTION_KEY": "cHJvZC10b3RwLWtleS0zMi1ieXRlcy1sb25nLS0tLS0=",
            "ALLOWED_HOSTS": "rongzi.example.cn",
            "SECURE_SSL_REDIRECT": "1",
            "SECURE_HSTS_PRELOAD": "1",
        }
    )
    env.update(extra)
    return env


def check_deploy(env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    """``manage.py check --deploy`` in a fresh process with exactly ``env``."""
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", *flags],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_pass_check_deploy():
    result = check_deploy(production_env(), "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_refuses_the_development_secret_key():
    env = production_env()
    env.pop("SECRET_KEY")
    result = check_deploy(env)
    assert result.returncode != 0
    assert "portal.E001" in result.stdout + result.stderr


def _database_options(**extra: str) -> str:
    """The default database's OPTIONS as the settings module builds them for ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != "DB_PREPARE_THRESHOLD"}
    env.update({"DJANGO_SETTINGS_MODULE": "portal.settings", **extra})
    code = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [(None, "'prepare_threshold': 5"), ("2", "'prepare_threshold': 2"), ("", None)],
)
def test_postgres_statements_are_prepared_unless_turned_off(threshold, expected):
    extra = {"DATABASE_URL": "postgres://portal@db.example:5432/portal"}
    if threshold is not None:
        extra["DB_PREPARE_THRESHOLD"] = threshold
    options = _database_options(**extra)
    if expected is None:
        assert "prepare_threshold" not in options and "server_side_binding" not in options
    else:
        assert expected in options and "'server_side_binding': True" in options


def test_a_malformed_prepare_threshold_fails_loudly():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": "postgres://portal@db.example:5432/portal",
        "DB_PREPARE_THRESHOLD": "often",
    }
    code = "from django.conf import settings; settings.DATABASES"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode != 0 and "DB_PREPARE_THRESHOLD" in done.stderr
