"""Shared fixtures: the two demo storefronts, clients bound to their hosts, and test markers."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

from tests.factories import PASSWORD, UserFactory, demo_storefront

RETAIL_HOST = "imeiserver.localhost"
RESELLER_HOST = "doctorsim.localhost"

CLOCK_SHIFT_ENV = "TEST_CLOCK_SHIFT_DAYS"
_clock_shift_key = pytest.StashKey["time_machine.travel"]()


def pytest_configure(config):
    """With TEST_CLOCK_SHIFT_DAYS=n the whole session runs n days from now (the clock ticking),
    so a test that only passes near the day it was written fails today, not in a year. The
    travel starts here, before test modules are imported and before the test database or any
    fixture exists, so module-level anchors and every row a fixture writes are shifted too.
    Only this process travels: browser tests (Chromium) and real Celery workers keep the
    machine's clock, so the shifted run in CI leaves them out."""
    raw = os.environ.get(CLOCK_SHIFT_ENV, "").strip()
    if not raw:
        return
    try:
        days = int(raw)
    except ValueError:
        raise pytest.UsageError(f"{CLOCK_SHIFT_ENV} must be a whole number of days") from None
    traveller = time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=days), tick=True)
    traveller.start()
    config.stash[_clock_shift_key] = traveller


def pytest_unconfigure(config):
    traveller = config.stash.get(_clock_shift_key, None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config):
    if _clock_shift_key in config.stash:
        now = dt.datetime.now(dt.UTC)
        return f"{CLOCK_SHIFT_ENV}={os.environ[CLOCK_SHIFT_ENV]}: the clock reads {now:%Y-%m-%d %H:%M} UTC"
    return None


def pytest_collection_modifyitems(config, items):
    on_postgres = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    on_redis = os.environ.get("CELERY_BROKER_URL", "").startswith(("redis://", "rediss://"))
    shifted = _clock_shift_key in config.stash
    for item in items:
        if shifted and ("browser" in item.keywords or "redis" in item.keywords):
            # Chromium and a worker subprocess keep the machine's clock: they would disagree.
            item.add_marker(
                pytest.mark.skip(reason=f"{CLOCK_SHIFT_ENV} moves only this process's clock")
            )
            continue
        if "redis" in item.keywords and not (on_redis and on_postgres):
            # A worker in another process shares the test database: PostgreSQL, not SQLite.
            item.add_marker(
                pytest.mark.skip(
                    reason="runs a real Celery worker: needs CELERY_BROKER_URL=redis://… and "
                    "DATABASE_URL=postgres://… (CI sets both)"
                )
            )
            continue
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL row locks: set DATABASE_URL (CI does)")
            )
        if "browser" in item.keywords and not chromium:
            item.add_marker(pytest.mark.skip(reason="Debian's chromium is not on PATH"))


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing with PBKDF2's real cost makes every created account take ~0.5 s; tests that are
    about passwords still go through Django's hasher interface."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache_namespace(settings):
    """Each test gets its own cache key prefix, so rate-limit counters never leak between tests
    (on Redis in CI as on the database cache)."""
    caches = {alias: dict(conf) for alias, conf in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = caches


@pytest.fixture(autouse=True)
def notifications_sent_in_process(monkeypatch):
    """E-mails go through the notification log: a row, then a Celery task after commit. No
    worker runs in the tests, so that task (or the one for many written together) runs in the
    test process (Celery's ``apply``), the real task and service included; ``mail.outbox`` sees
    the mail once the commit callbacks run (``django_capture_on_commit_callbacks(execute=True)``)."""
    from accounts import tasks

    for task in (tasks.notification_send, tasks.notifications_send):
        monkeypatch.setattr(
            task,
            "apply_async",
            lambda args=None, kwargs=None, task=task, **options: task.apply(args, kwargs),
        )


@pytest.fixture
def retail(db):
    """The retail demo storefront (USD balance, no cancellation window)."""
    return demo_storefront("imeiserver")


@pytest.fixture
def reseller(db):
    """The reseller demo storefront (EUR credits, 10-minute cancellation, business hours)."""
    return demo_storefront("doctorsim")


@pytest.fixture
def retail_client():
    return Client(HTTP_HOST=RETAIL_HOST)


@pytest.fixture
def reseller_client():
    return Client(HTTP_HOST=RESELLER_HOST)


@pytest.fixture
def retail_customer(retail):
    return UserFactory(storefront=retail, email="customer@example.com")


@pytest.fixture
def reseller_customer(reseller):
    return UserFactory(storefront=reseller, email="customer@example.com")


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture(scope="session", autouse=True)
def allow_sync_orm_beside_playwright():
    # Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
    # "inside" it unless told the test thread is not async code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
