"""Stopping and starting the machine's PostgreSQL and Redis, and the portal's own processes.

The servers are found from DATABASE_URL and REDIS_URL (cluster by port; Redis started again with
the directory and log file it reports), so a run against a private pair on other ports restarts
only those.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=check, timeout=60)


class RedisServer:
    """The Redis of ``url``: it keeps nothing on disk, so a restart loses every queued message."""

    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 6379
        self.dir = self._config("dir") or "/var/lib/redis"
        self.logfile = self._config("logfile") or "/var/log/redis/ci.log"

    def _cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return _run("redis-cli", "-h", self.host, "-p", str(self.port), *args, check=check)

    def _config(self, name: str) -> str:
        lines = self._cli("config", "get", name).stdout.split()
        return lines[1] if len(lines) > 1 else ""

    def flush(self, db: int) -> None:
        self._cli("-n", str(db), "flushdb")

    def running(self) -> bool:
        return self._cli("ping", check=False).stdout.strip() == "PONG"

    def stop(self) -> None:
        self._cli("shutdown", "nosave", check=False)
        self._wait(False)

    def start(self) -> None:
        if self.running():
            return
        # As the machine starts it (README of the machine): nothing saved, nothing appended.
        _run(
            "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1",
            "--port", str(self.port), "--save", "", "--appendonly", "no",
            "--dir", self.dir, "--logfile", self.logfile,
        )  # fmt: skip
        self._wait(True)

    def _wait(self, up: bool, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.running() == up:
                return
            time.sleep(0.1)
        raise AssertionError(f"Redis on port {self.port} did not {'start' if up else 'stop'}")


class PostgresCluster:
    """The PostgreSQL cluster serving ``url``'s port, driven with pg_ctlcluster."""

    def __init__(self, url: str) -> None:
        port = str(urlparse(url).port or 5432)
        for line in _run("pg_lsclusters", "--no-header").stdout.splitlines():
            fields = line.split()
            if len(fields) >= 3 and fields[2] == port:
                self.version, self.name, self.port = fields[0], fields[1], port
                break
        else:
            raise AssertionError(f"no PostgreSQL cluster on port {port} (pg_lsclusters)")

    def _ctl(self, action: str, *extra: str) -> None:
        _run("pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, action, *extra)

    def running(self) -> bool:
        result = _run("pg_isready", "-h", "127.0.0.1", "-p", self.port, "-t", "2", check=False)
        return result.returncode == 0

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def start(self) -> None:
        if not self.running():
            self._ctl("start")
        deadline = time.monotonic() + 60
        while not self.running():
            if time.monotonic() > deadline:
                raise AssertionError(f"PostgreSQL {self.version}/{self.name} did not start")
            time.sleep(0.2)


class PortalProcess:
    """A portal process (gunicorn, celery worker or beat) in its own process group."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.log_path = log
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", *self.args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 60, after: int = 0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log()[after:]:
                return
            if self.process and self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.log()[-3000:]}")
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not in the {self.name} log:\n{self.log()[-3000:]}")

    def children(self) -> list[int]:
        assert self.process is not None
        result = _run("pgrep", "-P", str(self.process.pid), check=False)
        return [int(pid) for pid in result.stdout.split()]

    def kill9(self) -> None:
        """``kill -9`` the whole process group: the main process and its pool children."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill9()
        except ProcessLookupError:
            pass
