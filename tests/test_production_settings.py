"""Production refuses weak settings: a short, placeholder or development SECRET_KEY (a known key
lets anyone forge a quote or a session), a missing or malformed encryption key, loopback for
outbound calls, debug pages, staff without MFA, plain http or no HSTS (the TLS settings only with
the named proxy override). Each case starts Django in a subprocess with DJANGO_ENV=production."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
# config/settings.py's fallback outside production, public in this repository.
DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"
GOOD_SECRET_KEY = "k" * 20 + "Zq8-vXw2_Lm4nRt6yUp0aSd3fGh5jK7lB9cE1" + "x" * 10
SETUP = "import django; django.setup(); print('settings loaded')"
# The production posture's switches: a test sets only the ones it is about.
POSTURE = (
    "DJANGO_DEBUG",
    "STAFF_MFA_REQUIRED",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER",
    "DJANGO_TLS_TERMINATED_BY_PROXY",
)


def placeholder_secret_key() -> str:
    """The SECRET_KEY line of .env.example, as someone copying it would have it."""
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.startswith("SECRET_KEY="):
            return line.split("=", 1)[1]
    raise AssertionError(".env.example has no SECRET_KEY line")


def start_env(tmp_path, **values: str | None) -> dict[str, str]:
    """This process's environment under production settings with good keys, then ``values``
    (``None`` removes a variable)."""
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
            *POSTURE,
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
    return env


def start(tmp_path, **values: str | None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SETUP],
        cwd=ROOT,
        env=start_env(tmp_path, **values),
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
        # Issue 29, item 9: each of these started a production site before.
        ({"DJANGO_DEBUG": "1"}, "DJANGO_DEBUG is on with DJANGO_ENV=production"),
        ({"STAFF_MFA_REQUIRED": "0"}, "STAFF_MFA_REQUIRED is off with DJANGO_ENV=production"),
        ({"SECURE_SSL_REDIRECT": "0"}, "SECURE_SSL_REDIRECT is off with DJANGO_ENV=production"),
        ({"SECURE_HSTS_SECONDS": "0"}, "SECURE_HSTS_SECONDS must be at least 3600"),
        ({"SECURE_HSTS_SECONDS": "60"}, "SECURE_HSTS_SECONDS must be at least 3600"),
        ({"SECURE_HSTS_SECONDS": "a year"}, "SECURE_HSTS_SECONDS must be at least 3600"),
        ({"SECRET_KEY": DEV_SECRET_KEY}, "SECRET_KEY is the public development key"),
        # The override is for TLS only, and only with the proxy's header named.
        (
            {"SECURE_SSL_REDIRECT": "0", "DJANGO_TLS_TERMINATED_BY_PROXY": "1"},
            "DJANGO_TLS_TERMINATED_BY_PROXY=1 needs SECURE_PROXY_SSL_HEADER",
        ),
        (
            {
                "SECURE_SSL_REDIRECT": "0",
                "DJANGO_TLS_TERMINATED_BY_PROXY": "1",
                "SECURE_PROXY_SSL_HEADER": "off",
            },
            "DJANGO_TLS_TERMINATED_BY_PROXY=1 needs SECURE_PROXY_SSL_HEADER",
        ),
        (
            {
                "SECURE_HSTS_SECONDS": "0",
                "DJANGO_TLS_TERMINATED_BY_PROXY": "1",
                "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
            },
            "SECURE_HSTS_SECONDS must be at least 3600",
        ),
        (
            {"DJANGO_DEBUG": "1", "DJANGO_TLS_TERMINATED_BY_PROXY": "1"},
            "DJANGO_DEBUG is on with DJANGO_ENV=production",
        ),
        (
            {"STAFF_MFA_REQUIRED": "0", "DJANGO_TLS_TERMINATED_BY_PROXY": "1"},
            "STAFF_MFA_REQUIRED is off with DJANGO_ENV=production",
        ),
        ({"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https"}, "must be a header name"),
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


# A request through the whole middleware stack under the settings a case starts with: the status,
# the Location and Strict-Transport-Security headers (healthz needs no storefront host).
REQUEST = """
import django, json, sys
django.setup()
from django.test import Client
headers = json.loads(sys.argv[1])
if headers.pop("known_host", None):  # a storefront's host, without a database to look it up in
    import types
    import storefronts.middleware as middleware
    middleware.storefront_for_host = lambda host: types.SimpleNamespace(pk=1, slug="shop")
response = Client().get("/healthz" if headers.pop("healthz", None) else "/terms/", **headers)
print(json.dumps([response.status_code, response.get("Location"),
                  response.get("Strict-Transport-Security")]))
"""


def answer(tmp_path, headers: dict, **values: str) -> list:
    result = subprocess.run(
        [sys.executable, "-c", REQUEST, json.dumps(headers)],
        cwd=ROOT,
        env=start_env(tmp_path, **values),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_behind_a_tls_proxy_the_redirect_may_be_off_and_https_still_gets_hsts(tmp_path):
    behind_proxy = {
        "SECURE_SSL_REDIRECT": "0",
        "DJANGO_TLS_TERMINATED_BY_PROXY": "1",
        "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    }
    result = start(tmp_path, **behind_proxy)
    assert result.returncode == 0, result.stderr[-2000:]

    # The proxy's https request is known as https: HSTS goes out, no redirect loop.
    status, location, hsts = answer(
        tmp_path, {"HTTP_X_FORWARDED_PROTO": "https", "healthz": 1}, **behind_proxy
    )
    assert (status, location) == (200, None)
    assert hsts == "max-age=31536000; includeSubDomains; preload"


def test_without_the_override_plain_http_is_redirected_but_health_checks_are_not(tmp_path):
    status, location, _ = answer(tmp_path, {"HTTP_HOST": "shop.example.com", "known_host": 1})
    assert status == 301 and location == "https://shop.example.com/terms/"
    # docker-compose's health check asks over plain http inside the container.
    assert answer(tmp_path, {"healthz": 1})[:2] == [200, None]


def test_ci_deploy_check_passes_under_production_settings(tmp_path):
    # .ci/run's last step, with the keys it makes (and without the test run's async escape hatch,
    # which the browser tests set in this process and CI's shell does not have).
    env = start_env(tmp_path, SECRET_KEY=secrets.token_urlsafe(64), DJANGO_ALLOW_ASYNC_UNSAFE=None)
    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr[-2000:]
