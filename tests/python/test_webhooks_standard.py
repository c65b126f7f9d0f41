"""The hub's webhooks verify with the Standard Webhooks reference library (`standardwebhooks`,
pinned): an account event and a Front event, each signed over the exact body sent; a changed
body or a wrong secret fails."""

import http.server
import queue
import threading

import httpx
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@pytest.fixture
def receiver():
    """A local webhook receiver: yields its URL and a queue of (headers, body) received."""
    received = queue.Queue()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["content-length"]))
            received.put(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", received
    finally:
        server.shutdown()


def test_messages_verify_with_the_reference_library(hub, receiver):
    url, received = receiver
    created = httpx.post(
        f"{hub.base_url}/webhooks",
        auth=(hub.api_key, ""),
        json={"url": url, "events": ["account.created", "front.comment"]},
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    account = hub.link_account()
    headers, body = received.get(timeout=60)
    message = Webhook(secret).verify(body, headers)
    assert message["type"] == "account.created"
    assert message["data"]["account_id"] == account
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)
    other = httpx.post(f"{hub.base_url}/webhooks", auth=(hub.api_key, ""), json={"url": url})
    with pytest.raises(WebhookVerificationError):
        Webhook(other.json()["secret"]).verify(body, headers)

    # A write through the hub comes back as Front's event, signed the same way.
    rpc = f"{hub.base_url}/actions/rpc"
    auth_headers = {"x-account-id": account}
    listed = httpx.post(
        rpc,
        auth=(hub.api_key, ""),
        headers=auth_headers,
        json={"action": "front_list_conversations", "query": {"limit": 1}},
    )
    conversation = listed.json()["data"][0]["id"]
    wrote = httpx.post(
        rpc,
        auth=(hub.api_key, ""),
        headers=auth_headers,
        json={
            "action": "front_add_conversation_comment",
            "path": {"conversation_id": conversation},
            "body": {"body": "From Python"},
        },
    )
    assert wrote.is_success, wrote.text
    while True:
        headers, body = received.get(timeout=60)
        message = Webhook(secret).verify(body, headers)
        if message["type"] == "front.comment":
            break
    assert message["data"]["event"]["type"] == "comment"
    assert message["data"]["event"]["conversation"]["id"] == conversation
