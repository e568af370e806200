"""Each kind of background work has its own Celery queue (issue 13): a slow supplier or SMTP
server never holds orders back, and `make run`/compose start a worker for each group."""

import pytest

from config.celery import app


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("orders.tasks.order_dispatch", "dispatch"),
        ("orders.tasks.orders_dispatch_batch", "dispatch"),
        ("orders.tasks.orders_dispatch_sweep", "dispatch"),
        ("orders.tasks.orders_release_due", "dispatch"),
        ("orders.tasks.order_poll", "polling"),
        ("orders.tasks.orders_poll_bulk", "polling"),
        ("orders.tasks.orders_poll_due", "polling"),
        ("accounts.tasks.notification_send", "email"),
        ("accounts.tasks.notifications_send", "email"),
        ("accounts.tasks.notifications_send_stuck", "email"),
        ("api.tasks.webhook_delivery_send", "webhooks"),
        ("billing.tasks.ledger_audit_nightly", "celery"),
        ("refunds.tasks.refunds_due_digest", "celery"),
    ],
)
def test_each_task_goes_to_the_queue_of_its_kind(task, queue):
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_every_routed_queue_has_a_worker_in_make_run_and_compose(settings):
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {"celery"}
    assert routed == set(settings.WORKER_QUEUES.split(","))
    for path in ("scripts/run-dev.sh", "docker-compose.yml"):
        text = (root / path).read_text()
        started = set()
        for line in text.splitlines():
            for flag in ("--queues=", "-Q "):
                if flag in line:
                    started |= set(line.split(flag, 1)[1].split()[0].strip("\"',]").split(","))
        assert routed <= started, (path, routed - started)
