"""Settings, read from the environment.

With nothing set, the site runs on the embedded defaults: SQLite under ``var/``, kombu's
filesystem broker under ``var/broker/``, a database cache, console email with a development
outbox. Importing settings creates no folders: the SQLite backend (``config/sqlite``) and the
broker transport (``config/broker.py``) make theirs when they first connect.
``DJANGO_ENV=production`` turns on the production posture (secure cookies, HSTS, MFA for staff,
no demo tools) and refuses to start without a real ``SECRET_KEY`` or with any of it turned off.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


PRODUCTION = os.environ.get("DJANGO_ENV", "development").strip().lower() == "production"
DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
SECRET_KEY_PLACEHOLDER = "change-me-to-64-random-characters"  # the value in .env.example
DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"
SECRET_KEY_MIN_LENGTH = 50
GENERATE_SECRET_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(64))'"
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            f"SECRET_KEY must be set when DJANGO_ENV=production; generate one with: "
            f"{GENERATE_SECRET_KEY}"
        )
    SECRET_KEY = DEV_SECRET_KEY
elif PRODUCTION and SECRET_KEY.strip() == DEV_SECRET_KEY:
    # Published in this file: it is long enough for the length check and no secret at all.
    raise ImproperlyConfigured(
        "SECRET_KEY is the public development key from config/settings.py; generate a real one "
        f"with: {GENERATE_SECRET_KEY}"
    )
elif PRODUCTION and SECRET_KEY.strip() == SECRET_KEY_PLACEHOLDER:
    # A known key signs sessions, password resets and order quotes: anyone could forge them.
    raise ImproperlyConfigured(
        "SECRET_KEY is still the .env.example placeholder; generate a real one with: "
        f"{GENERATE_SECRET_KEY}"
    )
elif PRODUCTION and len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH:
    raise ImproperlyConfigured(
        f"SECRET_KEY is too short ({len(SECRET_KEY)} characters; production needs at least "
        f"{SECRET_KEY_MIN_LENGTH} random characters); generate one with: {GENERATE_SECRET_KEY}"
    )

# Secrets stored in the database (supplier API keys, bank details) are encrypted with these
# Fernet keys (storefronts/crypto.py): comma-separated, the first encrypts, all decrypt, so a key
# can be rotated (`manage.py secrets_reencrypt`). Development falls back to a fixed key.
GENERATE_FERNET_KEY = (
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)
DEV_FIELD_ENCRYPTION_KEY = base64.urlsafe_b64encode(
    hashlib.sha256(b"unlock-storefront development-only field encryption key").digest()
).decode()
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])
if not FIELD_ENCRYPTION_KEYS:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be set when DJANGO_ENV=production (the key that encrypts "
            f"supplier API keys in the database); generate one with: {GENERATE_FERNET_KEY}"
        )
    FIELD_ENCRYPTION_KEYS = [DEV_FIELD_ENCRYPTION_KEY]
for _position, _key in enumerate(FIELD_ENCRYPTION_KEYS, start=1):
    try:
        Fernet(_key.encode())
    except ValueError:
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEYS: key {_position} is not a Fernet key (32 url-safe base64-"
            f"encoded bytes); generate one with: {GENERATE_FERNET_KEY}"
        ) from None
if PRODUCTION and DEV_FIELD_ENCRYPTION_KEY in FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds the public development key.")

# Outbound requests (supplier APIs, reseller webhooks; storefronts/outbound.py) never go to
# private, link-local or other internal addresses; loopback is allowed only outside production,
# for the demo supply chain on 127.0.0.1.
OUTBOUND_ALLOW_LOOPBACK = env_bool("OUTBOUND_ALLOW_LOOPBACK", not PRODUCTION)
if PRODUCTION and OUTBOUND_ALLOW_LOOPBACK:
    raise ImproperlyConfigured("OUTBOUND_ALLOW_LOOPBACK cannot be on when DJANGO_ENV=production.")

# Hosts are validated by storefronts.middleware against StorefrontDomain rows (unknown -> 400),
# so Django's own list can stay open unless an operator wants a second fence.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"])

# Links made without a request (e-mails sent by tasks, the demo seed) carry this port; empty
# means the scheme's default. `make run PORT=8100` sets it to the port the demo serves on.
SITE_PORT = os.environ.get("SITE_PORT", "" if PRODUCTION else "8000").strip()
if SITE_PORT and not (SITE_PORT.isascii() and SITE_PORT.isdecimal() and 0 < int(SITE_PORT) < 65536):
    raise ImproperlyConfigured(
        f"SITE_PORT must be a port number (1-65535) or empty, not {SITE_PORT!r}"
    )

INSTALLED_APPS = [
    "accounts.apps.StorefrontAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "djmoney",
    "djmoney.contrib.exchange",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "storefronts",
    "accounts",
    "billing",
    "catalog",
    "providers",
    "orders",
    "refunds.apps.RefundsConfig",
    "disputes.apps.DisputesConfig",
    "api",
    "config",
    "ninja",  # its static Swagger UI files for /api/v1/docs (no CDN)
]

MIDDLEWARE = [
    # Outermost: every response, even the unknown-host 400, gets a Content-Security-Policy.
    "storefronts.security_headers.ContentSecurityPolicyMiddleware",
    # Before anything answers for a host: an unknown host is a plain 400, never the HTTPS
    # redirect SecurityMiddleware would send it (to a host we do not serve) nor a static file.
    "storefronts.middleware.StorefrontMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.StorefrontAccountMiddleware",
    # After the account is known: the customer's saved language comes first.
    "accounts.middleware.StorefrontLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "storefronts.middleware.UserErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "storefronts.context_processors.storefront",
                "billing.context_processors.balance",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend, making the folder of its file on first connect.
            "ENGINE": "config.sqlite",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "db.sqlite3")),
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of
                # failing half-way with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (allauth rate limits need a real, shared one) ------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "unlock"),
            "KEY_FUNCTION": "accounts.ratelimit.storefront_cache_key",
        }
    }
    # Sessions are read from Redis and written through to the database (they survive a Redis
    # restart): a web process keeps nothing of its own, and a signed-in request reads no row.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
            "KEY_FUNCTION": "accounts.ratelimit.storefront_cache_key",
        }
    }

# --- Celery --------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "") or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport, all of it under var/broker/ (its exchange tables too, which
    # kombu would otherwise write to ./control), through a subclass that makes these folders
    # when a channel opens.
    CELERY_BROKER_TRANSPORT = "config.broker:FilesystemTransport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "out"),
        "data_folder_out": str(BROKER_DIR / "out"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Redis: extra kombu transport options as JSON, e.g. '{"visibility_timeout": 3600}' (the
    # default: a task taken by a worker that died unseen is given to another after an hour; keep
    # it above the longest retry countdown, 10 minutes, or retries are delivered twice). The
    # worker tests set seconds, and a key prefix of their own.
    CELERY_BROKER_TRANSPORT_OPTIONS = json.loads(
        os.environ.get("CELERY_BROKER_TRANSPORT_OPTIONS", "") or "{}"
    )
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    "ledger-audit-nightly": {
        "task": "billing.tasks.ledger_audit_nightly",
        "schedule": crontab(hour=3, minute=15),
    },
    "refunds-due-digest": {
        "task": "refunds.tasks.refunds_due_digest",
        "schedule": crontab(hour=7, minute=0),
    },
    "disputes-due-digest": {
        "task": "disputes.tasks.disputes_due_digest",
        "schedule": crontab(hour=7, minute=5),
    },
    "orders-release-due": {
        "task": "orders.tasks.orders_release_due",
        "schedule": 60.0,
    },
    "orders-poll-due": {
        "task": "orders.tasks.orders_poll_due",
        "schedule": 30.0,
    },
    "orders-dispatch-sweep": {
        "task": "orders.tasks.orders_dispatch_sweep",
        "schedule": 120.0,
    },
    "providers-balance-check": {
        "task": "providers.tasks.connections_balance_check",
        "schedule": crontab(minute=20),
    },
    "webhooks-enqueue-and-send": {
        "task": "api.tasks.webhooks_enqueue_and_send",
        "schedule": 30.0,
    },
    "exchange-rates-daily": {
        "task": "billing.tasks.exchange_rates_update",
        "schedule": crontab(hour=6, minute=5),
    },
    "notifications-send-stuck": {
        "task": "accounts.tasks.notifications_send_stuck",
        "schedule": 300.0,
    },
}
CELERY_TIMEZONE = "UTC"
# Celery's Django fixup closes the database connection around every task unless this is set;
# config/celery.py closes only failed or expired ones instead (CONN_MAX_AGE), as Django does
# around requests. The number is how many tasks the fixup lets pass before closing anyway.
CELERY_DB_REUSE_MAX = 1000
# A queue per kind of work, so a slow supplier or SMTP server never holds the others back
# (issue 13): placement at suppliers, polling them, e-mail, webhooks; the rest (beat's reports,
# audits, balance checks) on Celery's default queue. Production runs a worker per queue or group
# of queues (README "Production"); `make run` starts one for orders and one for the rest.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "orders.tasks.order_dispatch": {"queue": "dispatch"},
    "orders.tasks.orders_dispatch_batch": {"queue": "dispatch"},
    "orders.tasks.orders_dispatch_sweep": {"queue": "dispatch"},
    "orders.tasks.orders_release_due": {"queue": "dispatch"},
    "orders.tasks.order_upstream_cancel": {"queue": "dispatch"},
    "orders.tasks.order_poll": {"queue": "polling"},
    "orders.tasks.orders_poll_bulk": {"queue": "polling"},
    "orders.tasks.orders_poll_due": {"queue": "polling"},
    "accounts.tasks.*": {"queue": "email"},
    "api.tasks.*": {"queue": "webhooks"},
}
# Every queue above, for a worker that takes them all (`celery worker -Q $WORKER_QUEUES`).
WORKER_QUEUES = "celery,dispatch,polling,email,webhooks"

# --- Accounts (django-allauth) ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "account_overview"
LOGOUT_REDIRECT_URL = "home"

# Accounts belong to one storefront (see DESIGN.md "Tenancy"): allauth logs in by an internal,
# storefront-qualified username that our login form derives from the email typed; emails are
# unique per storefront, which our forms check, not globally.
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = False
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_BY_CODE_ENABLED = False
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# Sign-up answers an email that already has an account at this storefront exactly as a new one
# ("check your inbox") and mails that account's owner instead (accounts/forms.py).
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_MAX_EMAIL_ADDRESSES = 2
ACCOUNT_ADAPTER = "accounts.adapter.StorefrontAccountAdapter"
ACCOUNT_USER_DISPLAY = "accounts.adapter.user_display"
ACCOUNT_FORMS = {
    "login": "accounts.forms.EmailLoginForm",
    "signup": "accounts.forms.StorefrontSignupForm",
    "reset_password": "accounts.forms.StorefrontResetPasswordForm",
    "add_email": "accounts.forms.StorefrontAddEmailForm",
    "change_email": "accounts.forms.StorefrontChangeEmailForm",
}
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = "accounts.tokens.StorefrontPasswordResetTokenGenerator"
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_RATE_LIMITS = {
    # Failed sign-ins: 5 in 5 minutes per IP *and* account (the adapter puts the client IP in
    # allauth's key), never per account alone: someone failing on purpose from elsewhere cannot
    # lock the owner out. Then 10 a minute per IP over all accounts. The per-account rate comes
    # first: allauth stops at the first rate that refuses, so tries at an account already held
    # back no longer count against the IP, and a flood on one account cannot lock out everyone
    # else signing in from the same office or proxy.
    "login_failed": "5/5m/key,10/m/ip",
    # Every sign-in POST per IP (allauth's 30 a minute would let that flood do it): a guard
    # against floods only; password guessing is held back by the limits above.
    "login": "120/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
# The JSON API (/api/v1/): requests a minute per API key (0: no limit); over it, 429 + Retry-After.
API_RATE_LIMIT_PER_MINUTE = int(os.environ.get("API_RATE_LIMIT_PER_MINUTE", "120"))
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Unlock storefront"
# Staff must have TOTP before the admin opens; on in production, off for the demo by default.
STAFF_MFA_REQUIRED = env_bool("STAFF_MFA_REQUIRED", PRODUCTION)
# Login method "username" with email-only sign-up is deliberate (internal usernames); see above.
SILENCED_SYSTEM_CHECKS = ["account.W001"]

# --- Email ---------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "accounts.outbox.DevOutboxBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "no-reply@unlock.localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
DEV_OUTBOX_DIR = VAR_DIR / "outbox"
# Development tools (/dev/outbox/, the demo seeder) exist only outside production.
DEV_TOOLS_ENABLED = DEBUG and not PRODUCTION

# --- Money --------------------------------------------------------------------------------
# Display rates (DS-4, DS-6). The demo backend needs no network; production sets e.g.
# djmoney.contrib.exchange.backends.OpenExchangeRatesBackend and OPEN_EXCHANGE_RATES_APP_ID.
EXCHANGE_BACKEND = os.environ.get("EXCHANGE_BACKEND", "billing.exchange.DemoRatesBackend")
OPEN_EXCHANGE_RATES_APP_ID = os.environ.get("OPEN_EXCHANGE_RATES_APP_ID", "")
FIXER_ACCESS_KEY = os.environ.get("FIXER_ACCESS_KEY", "")
BASE_CURRENCY = "USD"

# --- I18n, static --------------------------------------------------------------------------
# Customer pages speak the languages below (storefronts/languages.py picks one per request among
# those a storefront offers); the Spanish catalogue is locale/es/LC_MESSAGES/django.po, compiled
# to django.mo and committed (README, "Languages"). The admin and the API stay in English.
LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
# Outside production, whitenoise serves straight from the app and project static folders.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG and not PRODUCTION

# --- Dispute evidence (disputes/evidence.py) -------------------------------------------------
# Customers' videos and pictures, with their poster frames, live in a storage of their own:
# private, outside MEDIA_ROOT and the static folders (whitenoise never sees it), read only by
# the disputes views after they check who asks. FileSystemStorage makes its folder on the first
# save, never at import. Production points it at object storage by configuration alone, e.g.
# django-storages' S3 (install django-storages[s3] in the image):
#   EVIDENCE_STORAGE_BACKEND=storages.backends.s3.S3Storage
#   EVIDENCE_STORAGE_OPTIONS='{"bucket_name": "unlock-evidence", "default_acl": "private"}'
EVIDENCE_ROOT = Path(os.environ.get("EVIDENCE_ROOT", "") or VAR_DIR / "evidence")
_evidence_backend = (
    os.environ.get("EVIDENCE_STORAGE_BACKEND", "").strip()
    or "django.core.files.storage.FileSystemStorage"
)
try:
    _evidence_options = json.loads(os.environ.get("EVIDENCE_STORAGE_OPTIONS", "") or "{}")
except ValueError as exc:
    raise ImproperlyConfigured(f"EVIDENCE_STORAGE_OPTIONS is not valid JSON: {exc}") from None
if not isinstance(_evidence_options, dict):
    raise ImproperlyConfigured("EVIDENCE_STORAGE_OPTIONS must be a JSON object")
if _evidence_backend == "django.core.files.storage.FileSystemStorage":
    _evidence_options = {
        "location": str(EVIDENCE_ROOT),
        "file_permissions_mode": 0o600,
        "directory_permissions_mode": 0o700,
        **_evidence_options,
    }
STORAGES["evidence"] = {"BACKEND": _evidence_backend, "OPTIONS": _evidence_options}
# The form fields sent beside the file may add this much to a request over the storefront's cap.
EVIDENCE_FORM_ALLOWANCE_BYTES = 256 * 1024
# Frames decoded to see movement; the rest of a long video is only demuxed (cheap) to its end.
EVIDENCE_PROBE_MAX_FRAMES = 600
# Larger than 8K on a side is refused before decoding.
EVIDENCE_MAX_LONG_SIDE = 7680

# --- Security ------------------------------------------------------------------------------
# Cookies carry no Domain attribute: each storefront host keeps its own session and CSRF cookie.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Reverse proxies in front of the app that each append the client's address to X-Forwarded-For
# (one nginx: 1). With 0, the default, the header is ignored and the socket's peer is the client,
# so nobody can choose the IP stored with an order or counted by rate limits
# (storefronts/client_ip.py).
_proxies = os.environ.get("TRUSTED_PROXY_COUNT", "").strip() or "0"
if not (_proxies.isascii() and _proxies.isdecimal() and int(_proxies) <= 10):
    raise ImproperlyConfigured(
        f"TRUSTED_PROXY_COUNT must be a number from 0 to 10, not {_proxies!r}"
    )
TRUSTED_PROXY_COUNT = int(_proxies)

# Production refuses a weak posture at startup, each with the variable to fix: debug pages, staff
# without MFA, plain http, no HSTS, a known SECRET_KEY (above). DEBUG, MFA and the key have no
# override. The TLS settings have one, by name: DJANGO_TLS_TERMINATED_BY_PROXY=1 says a proxy in
# front terminates TLS and redirects http to https itself, so SECURE_SSL_REDIRECT may be off, but
# only with the proxy's https header named in SECURE_PROXY_SSL_HEADER (without it Django takes
# every request for http). HSTS stays required either way: Django sends it on the requests that
# header marks as https. README "Configuration".
HSTS_MIN_SECONDS = 3600  # an hour: Django's suggested first step; the default is a year
TLS_TERMINATED_BY_PROXY = env_bool("DJANGO_TLS_TERMINATED_BY_PROXY", False)


def proxy_ssl_header(raw: str) -> tuple[str, str] | None:
    """``SECURE_PROXY_SSL_HEADER``: the header a proxy sets to ``https`` on requests that reached
    it over TLS (``X-Forwarded-Proto``, the default in production), or ``off`` to trust none."""
    raw = raw.strip()
    if raw.lower() == "off":
        return None
    name = raw or "X-Forwarded-Proto"
    if not (name.isascii() and name.replace("-", "").isalnum()):
        raise ImproperlyConfigured(
            f"SECURE_PROXY_SSL_HEADER must be a header name such as X-Forwarded-Proto, or off; "
            f"not {raw!r}"
        )
    return ("HTTP_" + name.upper().replace("-", "_"), "https")


if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG is on with DJANGO_ENV=production: debug pages show settings, code and "
            "queries to anyone. Remove DJANGO_DEBUG or set DJANGO_DEBUG=0."
        )
    if not STAFF_MFA_REQUIRED:
        raise ImproperlyConfigured(
            "STAFF_MFA_REQUIRED is off with DJANGO_ENV=production: staff could open the admin "
            "and dispute evidence with a password alone. Remove it or set STAFF_MFA_REQUIRED=1."
        )
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    _proxy_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "")
    SECURE_PROXY_SSL_HEADER = proxy_ssl_header(_proxy_header)
    if TLS_TERMINATED_BY_PROXY and not (_proxy_header.strip() and SECURE_PROXY_SSL_HEADER):
        raise ImproperlyConfigured(
            "DJANGO_TLS_TERMINATED_BY_PROXY=1 needs SECURE_PROXY_SSL_HEADER: the header your "
            "proxy sets to https (and strips from clients), e.g. "
            "SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto."
        )
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    if not SECURE_SSL_REDIRECT and not TLS_TERMINATED_BY_PROXY:
        raise ImproperlyConfigured(
            "SECURE_SSL_REDIRECT is off with DJANGO_ENV=production: pages and sign-in would be "
            "served over plain http. Remove it or set SECURE_SSL_REDIRECT=1; only when a proxy in "
            "front terminates TLS and redirects to https itself, set "
            "DJANGO_TLS_TERMINATED_BY_PROXY=1 with SECURE_PROXY_SSL_HEADER instead."
        )
    # Health checks from the container runtime or a load balancer come over plain http.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    _hsts = os.environ.get("SECURE_HSTS_SECONDS", "").strip() or "31536000"
    if not (_hsts.isascii() and _hsts.isdecimal() and int(_hsts) >= HSTS_MIN_SECONDS):
        raise ImproperlyConfigured(
            f"SECURE_HSTS_SECONDS must be at least {HSTS_MIN_SECONDS} with DJANGO_ENV=production, "
            f"not {_hsts!r}: without HSTS a browser can be talked down to http. Remove it (a year, "
            "31536000) or set a number of seconds; there is no override."
        )
    SECURE_HSTS_SECONDS = int(_hsts)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- Benchmark ---------------------------------------------------------------------------
# `make bench` starts the server with BENCH_BASELINE=1, which mounts a raw-SQL baseline view
# (config/bench.py) to measure order placement against. Off by default; never on in production.
BENCH_BASELINE_ENABLED = env_bool("BENCH_BASELINE", False) and not PRODUCTION

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
