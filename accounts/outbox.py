"""Development email: printed to the console and kept under var/outbox/ for /dev/outbox/."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.console import EmailBackend as ConsoleBackend


def outbox_dir() -> Path:
    path = Path(settings.DEV_OUTBOX_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


class DevOutboxBackend(ConsoleBackend):
    def send_messages(self, email_messages):
        sent = super().send_messages(email_messages)
        for message in email_messages or []:
            html = next(
                (
                    body
                    for body, mime in getattr(message, "alternatives", [])
                    if mime == "text/html"
                ),
                "",
            )
            record = {
                "id": uuid.uuid4().hex,
                "sent_at": time.time(),
                "from": message.from_email,
                "to": list(message.to),
                "subject": str(message.subject),
                "body": str(message.body),
                "html": str(html),
            }
            name = f"{time.time_ns()}-{record['id']}.json"
            (outbox_dir() / name).write_text(json.dumps(record))
        return sent


def outbox_messages(limit: int = 100) -> list[dict]:
    files = sorted(outbox_dir().glob("*.json"), reverse=True)[:limit]
    messages = []
    for path in files:
        try:
            messages.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    return messages
