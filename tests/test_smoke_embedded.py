"""The embedded path a newcomer takes, every run (CI runs the rest of the suite on PostgreSQL):
a fresh SQLite file, migrate, demo_seed, one request to each demo storefront."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

REQUESTS = """
import django
django.setup()
from django.test import Client
for host, name in (("imeiserver.localhost:8000", "IMEI Server"), ("doctorsim.localhost:8000", "DoctorSIM Pro")):
    response = Client(HTTP_HOST=host).get("/")
    assert response.status_code == 200, (host, response.status_code)
    assert name in response.content.decode(), host
print("both storefronts answered")
"""


def embedded_env(tmp_path: Path, **extra: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        VAR_DIR=str(tmp_path / "var"),
        SQLITE_PATH=str(tmp_path / "var" / "db.sqlite3"),
        DJANGO_ENV="development",
    )
    env.update(extra)
    return env


def run(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.smoke
def test_fresh_sqlite_migrate_seed_and_serve(tmp_path):
    env = embedded_env(tmp_path)
    for args in (
        ["manage.py", "migrate", "--noinput"],
        ["manage.py", "createcachetable"],
        ["manage.py", "demo_seed"],
        ["manage.py", "demo_seed"],
    ):
        result = run(args, env)
        assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "var" / "db.sqlite3").exists()
    result = run(["-c", REQUESTS], env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "both storefronts answered" in result.stdout

    # The demo's money went through the real payment path: the audit is clean...
    audit = run(["manage.py", "ledger_audit"], env)
    assert audit.returncode == 0, audit.stderr
    # Two demo customers and the retail demo's upstream account at the reseller demo.
    assert "ledger audit OK: 3 wallets, 4 payments checked" in audit.stdout
    # ...and exits non-zero once a balance is tampered with behind the ledger's back.
    import sqlite3

    with sqlite3.connect(tmp_path / "var" / "db.sqlite3") as db:
        db.execute("UPDATE billing_wallet SET balance = balance + 1 WHERE id = 1")
    audit = run(["manage.py", "ledger_audit"], env)
    assert audit.returncode != 0
    assert "!= sum of entries" in audit.stderr


@pytest.mark.smoke
def test_demo_seed_refuses_production_settings(tmp_path):
    env = embedded_env(
        tmp_path,
        DJANGO_ENV="production",
        SECRET_KEY="x" * 60,
        FIELD_ENCRYPTION_KEYS="7eXI0Ixn4Xn0d9rHdu0sZzKmOy8fT3q2Tb5h3mQG1wI=",
    )
    result = run(["manage.py", "demo_seed"], env)
    assert result.returncode != 0
    assert "refuses to run under production settings" in result.stderr


@pytest.mark.smoke
def test_production_settings_refuse_a_missing_secret_key(tmp_path):
    env = embedded_env(tmp_path, DJANGO_ENV="production")
    env.pop("SECRET_KEY", None)
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
