"""The Celery app. Tasks receive ids and find their storefront from the row they load."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("unlock")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _database_connections_tidy(**kwargs) -> None:
    """Around each task, what Django does around each request: close a connection that failed
    or outlived CONN_MAX_AGE, keep a good one. (Celery's own Django fixup would close every
    connection twice per task, a new PostgreSQL connection for each: settings
    CELERY_DB_REUSE_MAX turns that off and leaves the job to this.)"""
    task = kwargs.get("task") or kwargs.get("sender")
    if getattr(getattr(task, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
