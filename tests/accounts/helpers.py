"""Helpers to read links out of the emails the site sent (Django's test outbox)."""

import re

from django.core import mail

LINK_RE = re.compile(r"https?://[^\s\"'<>]+")


def links_in_outbox(fragment: str, to: str | None = None) -> list[str]:
    links = []
    for message in mail.outbox:
        if to and to not in message.to:
            continue
        links += [link for link in LINK_RE.findall(message.body) if fragment in link]
    return links


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]
