"""A local DHRU Fusion server that replays recorded replies and records what it was sent."""

from __future__ import annotations

import base64
import json
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

REPLIES = Path(__file__).parent / "replies"


def reply_text(name: str) -> str:
    return (REPLIES / name).read_text()


@dataclass
class Reply:
    body: str = ""
    status: int = 200
    content_type: str = "application/json"
    delay: float = 0.0
    drop: bool = False  # close the connection without answering


class DhruReplayServer:
    """Answers each POST with the next queued Reply (the last one repeats) and records the form."""

    def __init__(self):
        self.replies: list[Reply] = []
        self.requests: list[dict] = []
        self.headers: list[dict] = []  # each request's HTTP headers, names in lower case
        self.paths: list[str] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                replay.requests.append({k: v[0] for k, v in form.items()})
                replay.headers.append({k.lower(): v for k, v in self.headers.items()})
                replay.paths.append(self.path)
                reply = replay.replies.pop(0) if len(replay.replies) > 1 else replay.replies[0]
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                body = reply.body.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout tests)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def reply(self, name_or_body: str, **kw) -> DhruReplayServer:
        """Queue a reply: a file name in replies/ or a body. Content type from the extension."""
        if (REPLIES / name_or_body).is_file():
            body = reply_text(name_or_body)
            if name_or_body.endswith(".html") or name_or_body.endswith(".txt"):
                kw.setdefault("content_type", "text/html; charset=UTF-8")
        else:
            body = name_or_body
        self.replies.append(Reply(body=body, **kw))
        return self

    @property
    def last(self) -> dict:
        return self.requests[-1]


def decode_parameters(value: str) -> dict:
    """What the client sent as ``parameters``: XML or base64 of JSON."""
    if value.lstrip().startswith("<"):
        return {child.tag: child.text or "" for child in ET.fromstring(value)}
    return json.loads(base64.b64decode(value))


@pytest.fixture
def dhru_server():
    server = DhruReplayServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
