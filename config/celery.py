"""The Celery app. Tasks receive ids and find their storefront from the row they load."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("unlock")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
