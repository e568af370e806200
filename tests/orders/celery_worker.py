"""A real Celery worker in a subprocess, on a Redis broker under a key prefix of its own.

Used by the worker tests and by ``make bench``. The prefix (kombu's ``global_keyprefix``) keeps
its queues apart from a development worker or another test run on the same Redis, and this
process's own producer is pointed at the same prefix while the worker runs (``broker_prefixed``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def redis_broker_url() -> str:
    """The Redis broker of this run (CELERY_BROKER_URL), or "" when there is none."""
    url = os.environ.get("CELERY_BROKER_URL", "")
    return url if url.startswith(("redis://", "rediss://")) else ""


def database_url_for(name: str, url: str | None = None) -> str:
    """DATABASE_URL with another database name (the test database, for the worker)."""
    parts = urlsplit(url or os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def _reset_producer_pools(app) -> None:
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None and amqp._producer_pool is not None:
        amqp._producer_pool.force_close_all()
        amqp._producer_pool = None


@contextmanager
def broker_prefixed(prefix: str, broker_url: str | None = None):
    """Point this process's Celery producer at ``broker_url`` under ``prefix``; on exit restore
    the previous settings and delete every key the run left under the prefix."""
    import redis

    from config.celery import app

    url = broker_url or redis_broker_url()
    saved = (app.conf.broker_url, app.conf.broker_transport_options)
    app.conf.broker_url = url
    app.conf.broker_transport_options = {"global_keyprefix": prefix}
    _reset_producer_pools(app)
    try:
        yield app
    finally:
        _reset_producer_pools(app)
        app.conf.broker_url, app.conf.broker_transport_options = saved
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


def new_prefix(label: str = "worker-test") -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}:"


class CeleryWorker:
    """``celery -A config worker`` with the given environment, logging to ``log_path``."""

    def __init__(
        self,
        *,
        env: dict,
        log_path: Path,
        pool: str = "solo",
        concurrency: int = 1,
        queues: str = "",
        include: str = "",
        loglevel: str = "INFO",
    ):
        self.env = env
        self.log_path = log_path
        self.pool = pool
        self.concurrency = concurrency
        self.queues = queues or settings.WORKER_QUEUES  # every queue unless told
        self.include = include
        self.loglevel = loglevel
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60, wait: bool = True) -> CeleryWorker:
        """Start it; with ``wait``, until it logs that it is ready (needs loglevel INFO)."""
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            f"--pool={self.pool}",
            f"--concurrency={self.concurrency}",
            f"--queues={self.queues}",
            f"--hostname=test-{uuid.uuid4().hex[:8]}@%h",
            f"--loglevel={self.loglevel}",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ]
        if self.include:
            command.append(f"--include={self.include}")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "ab")  # noqa: SIM115 - the worker writes to it until it stops
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed as a whole, and only it
        )
        log.close()
        if not wait:
            return self
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited with {self.process.returncode}:\n{self.log}")
            if " ready." in self.log:
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the worker was not ready within {timeout:g} s:\n{self.log}")

    @property
    def log(self) -> str:
        if not self.log_path.exists():
            return ""
        with open(self.log_path, "rb") as log:
            log.seek(getattr(self, "_log_start", 0))
            return log.read().decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes: no warm shutdown, nothing acknowledged."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL if it does not stop in time."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


def worker_env(*, database_url: str, broker_url: str, transport_options: dict, var_dir: Path):
    """The worker's environment: this one, with the database, broker and a VAR_DIR of its own
    (its development email outbox is there)."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        CELERY_BROKER_TRANSPORT_OPTIONS=json.dumps(transport_options),
        CELERY_TASK_ALWAYS_EAGER="0",
        VAR_DIR=str(var_dir),
        EMAIL_BACKEND="accounts.outbox.DevOutboxBackend",
        PYTHONUNBUFFERED="1",
    )
    return env
