"""A webhook receiver on loopback, and the subscriptions the reliability tests deliver to."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from estates.webhooks import webhook_subscription_create
from tests.factories import api_client_with_key


class Receiver:
    """Answers ``fail_first`` requests with 500 (or ``fail_status``), then 200; records every request."""

    def __init__(self, fail_first: int = 0, fail_status: int = 500):
        self.fail_first, self.fail_status = fail_first, fail_status
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append({"headers": dict(self.headers), "body": body})
                    failing = len(receiver.requests) <= receiver.fail_first
                self.send_response(receiver.fail_status if failing else 200)
                if failing and 300 <= receiver.fail_status < 400:
                    self.send_header("Location", receiver.url + "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/touchstone"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def subscription(project, receiver):
    client, _key = api_client_with_key(name="sales-hooks", project_codes=[project.code])
    return webhook_subscription_create(client=client, url=receiver.url, event_types=["complaint.filed", "complaint.closed"],
                                       secret="s3cret-for-tests")


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
