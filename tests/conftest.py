"""Shared fixtures: the two demo storefronts, clients bound to their hosts, and test markers."""

from __future__ import annotations

import os
import shutil
import uuid

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

from tests.factories import PASSWORD, UserFactory, demo_storefront

RETAIL_HOST = "imeiserver.localhost"
RESELLER_HOST = "doctorsim.localhost"


def pytest_collection_modifyitems(config, items):
    on_postgres = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    on_redis = os.environ.get("CELERY_BROKER_URL", "").startswith(("redis://", "rediss://"))
    for item in items:
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
