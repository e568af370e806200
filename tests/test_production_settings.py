"""Production refuses weak settings: a short or placeholder SECRET_KEY (a known key lets anyone
forge a quote or a session), a missing or malformed encryption key, loopback for outbound calls.
Each case starts Django in a subprocess with DJANGO_ENV=production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET_KEY = "k" * 20 + "Zq8-vXw2_Lm4nRt6yUp0aSd3fGh5jK7lB9cE1" + "x" * 10
SETUP = "import django; django.setup(); print('settings loaded')"


def placeholder_secret_key() -> str:
    """The SECRET_KEY line of .env.example, as someone copying it would have it."""
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.startswith("SECRET_KEY="):
            return line.split("=", 1)[1]
    raise AssertionError(".env.example has no SECRET_KEY line")


def start(tmp_path, **values: str | None) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "SECRET_KEY",
            "FIELD_ENCRYPTION_KEYS",
            "OUTBOUND_ALLOW_LOOPBACK",
        }
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_ENV="production",
        VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY=GOOD_SECRET_KEY,
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    for name, value in values.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, "-c", SETUP],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_good_production_settings_start(tmp_path):
    result = start(tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "settings loaded" in result.stdout


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"SECRET_KEY": "x"}, "SECRET_KEY is too short (1 characters"),
        (
            {"SECRET_KEY": "a-49-character-key-" + "0" * 30},
            "SECRET_KEY is too short (49 characters",
        ),
        ({"SECRET_KEY": None}, "SECRET_KEY must be set"),
        ({"FIELD_ENCRYPTION_KEYS": None}, "FIELD_ENCRYPTION_KEYS must be set"),
        ({"FIELD_ENCRYPTION_KEYS": ""}, "FIELD_ENCRYPTION_KEYS must be set"),
        ({"FIELD_ENCRYPTION_KEYS": "not-a-fernet-key"}, "key 1 is not a Fernet key"),
        ({"OUTBOUND_ALLOW_LOOPBACK": "true"}, "OUTBOUND_ALLOW_LOOPBACK cannot be on"),
    ],
)
def test_weak_production_settings_refuse_to_start(tmp_path, values, message):
    result = start(tmp_path, **values)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr
    assert "settings loaded" not in result.stdout


def test_the_env_example_placeholder_is_refused(tmp_path):
    placeholder = placeholder_secret_key()
    result = start(tmp_path, SECRET_KEY=placeholder)
    assert result.returncode != 0
    assert "SECRET_KEY is still the .env.example placeholder" in result.stderr


def test_a_rotation_list_with_a_bad_second_key_is_refused(tmp_path):
    keys = f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()[:-4]}"
    result = start(tmp_path, FIELD_ENCRYPTION_KEYS=keys)
    assert result.returncode != 0 and "key 2 is not a Fernet key" in result.stderr


def test_manage_py_check_refuses_too(tmp_path):
    check = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "DJANGO_ENV": "production",
            "SECRET_KEY": "x" * 20,
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "VAR_DIR": str(tmp_path / "var"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode != 0 and "SECRET_KEY is too short (20 characters" in check.stderr
