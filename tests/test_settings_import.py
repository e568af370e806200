"""Importing settings creates no folders; the embedded database and broker make theirs when they
are first used, all under VAR_DIR (kombu's exchange tables too, never ./control)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, tmp_path: Path, **env_extra: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SQLITE_PATH"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_ENV="development",
        VAR_DIR=str(tmp_path / "var"),
        PYTHONPATH=str(ROOT),
        **env_extra,
    )
    # Run from an empty folder, so anything written to the working directory shows up there.
    work = tmp_path / "cwd"
    work.mkdir(parents=True)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True, timeout=120
    )


def test_importing_settings_and_setting_up_django_creates_nothing(tmp_path):
    result = run_python("import django; django.setup(); print('set up')", tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "set up" in result.stdout
    assert not (tmp_path / "var").exists()
    assert list((tmp_path / "cwd").iterdir()) == []


def test_the_sqlite_folder_is_made_at_the_first_connection(tmp_path):
    code = "import django; django.setup()\nfrom django.db import connection\nconnection.ensure_connection()"
    result = run_python(code, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "var" / "db.sqlite3").exists()


def test_the_broker_makes_its_folders_under_var_broker_when_first_used(tmp_path):
    code = (
        "import django; django.setup()\n"
        "from config.celery import app\n"
        "with app.connection_for_write() as connection:\n"
        "    connection.default_channel.queue_declare('probe')\n"
        "    connection.default_channel.exchange_declare('probe', type='direct')\n"
        "    connection.default_channel.queue_bind('probe', 'probe', 'probe')\n"
    )
    result = run_python(code, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    broker = tmp_path / "var" / "broker"
    assert sorted(p.name for p in broker.iterdir()) == ["control", "out", "processed"]
    assert (broker / "control" / "probe.exchange").exists()
    assert list((tmp_path / "cwd").iterdir()) == []  # no ./control


def test_bad_port_and_proxy_count_settings_fail_with_a_clear_message(tmp_path):
    port = run_python("import config.settings", tmp_path, SITE_PORT="80a")
    assert port.returncode != 0 and "SITE_PORT must be a port number" in port.stderr
    proxies = run_python("import config.settings", tmp_path / "p", TRUSTED_PROXY_COUNT="-1")
    assert proxies.returncode != 0 and "TRUSTED_PROXY_COUNT must be a number" in proxies.stderr
