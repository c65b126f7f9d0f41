"""The hub's webhooks verify with the official Standard Webhooks library (`standardwebhooks`,
pinned): a receiver on loopback gets Front's events caused by writes through `/actions/rpc` and
the hub's own account events, and checks every message with `Webhook(secret).verify`. After a
secret rotation, both the old and the new secret verify during the grace period; a changed body
or another endpoint's secret does not.

Nothing here asserts a timing: waits are bounded and fail saying what arrived."""

import http.server
import json
import threading
import time
import uuid
from dataclasses import dataclass

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

WAIT_SECONDS = 60


@dataclass(frozen=True)
class Message:
    """One POST as the receiver got it: the raw body and the headers."""

    body: bytes
    headers: dict

    def parsed(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """A webhook receiver on a random loopback port that keeps every message and answers 204."""

    def __init__(self):
        self.messages: list = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver._lock:
                    receiver.messages.append(Message(body, dict(self.headers.items())))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def received(self) -> list:
        with self._lock:
            return list(self.messages)

    def wait_for(self, what: str, found, since: int = 0) -> Message:
        """The first message from index `since` on whose parsed body satisfies `found`."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            for message in self.received()[since:]:
                if found(message.parsed()):
                    return message
            time.sleep(0.1)
        seen = [message.parsed().get("type") for message in self.received()]
        raise AssertionError(f"no {what} within {WAIT_SECONDS} s; received: {seen}")

    def close(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


def api(hub, method: str, path: str, **kwargs) -> httpx.Response:
    return httpx.request(method, f"{hub.base_url}{path}", auth=(hub.api_key, ""), timeout=30, **kwargs)


def rpc(hub, action: str, **input) -> dict:
    response = api(
        hub, "POST", "/actions/rpc",
        headers={"x-account-id": hub.account_id},
        json={"action": action, **input},
    )
    assert response.is_success, f"{action}: {response.status_code} {response.text}"
    return response.json()


def is_front(event_type: str, tag_id: str):
    return lambda body: body["type"] == event_type and body["data"]["event"]["target"]["data"]["id"] == tag_id


def is_account(event_type: str, account_id: str):
    return lambda body: body["type"] == event_type and body["data"]["account"]["id"] == account_id


def test_messages_verify_with_the_reference_library(hub, receiver):
    created = api(hub, "POST", "/webhooks", json={"url": receiver.url, "events": ["front.*", "account.*"]})
    assert created.status_code == 201, created.text
    endpoint = created.json()
    secret = endpoint["secret"]
    assert secret.startswith("whsec_")
    try:
        conversation = rpc(hub, "front_list_conversations", query={"limit": 1})["data"][0]["id"]
        tag = rpc(hub, "front_create_tag", body={"name": f"webhooks {uuid.uuid4().hex[:8]}"})["data"]["id"]
        tagging = {"path": {"conversation_id": conversation}, "body": {"tag_ids": [tag]}}
        rpc(hub, "front_add_conversation_tag", **tagging)
        rpc(hub, "front_remove_conversation_tag", **tagging)
        linked = hub.link_account(owner=f"webhooks-{uuid.uuid4().hex[:8]}")
        removed = api(hub, "DELETE", f"/accounts/{linked}")
        assert removed.is_success, removed.text

        tagged = receiver.wait_for("front.tag", is_front("front.tag", tag)).parsed()
        assert tagged["data"]["event"]["type"] == "tag", tagged
        assert tagged["data"]["event"]["conversation"]["id"] == conversation, tagged
        receiver.wait_for("front.untag", is_front("front.untag", tag))
        account_created = receiver.wait_for("account.created", is_account("account.created", linked)).parsed()
        assert account_created["data"]["account_id"] == linked, account_created
        receiver.wait_for("account.deleted", is_account("account.deleted", linked))

        webhook = Webhook(secret)
        for message in receiver.received():
            verified = webhook.verify(message.body, message.headers)
            assert verified["type"].split(".")[0] in ("front", "account"), verified
            assert message.headers["webhook-id"].startswith("msg_")

        # A changed body, or another endpoint's secret, fails.
        message = receiver.received()[0]
        tampered = message.body.replace(b'"type"', b'"Type"', 1)
        with pytest.raises(WebhookVerificationError):
            webhook.verify(tampered, message.headers)
        other = api(hub, "POST", "/webhooks", json={"url": receiver.url, "events": ["account.deleted"]}).json()
        api(hub, "DELETE", f"/webhooks/{other['id']}")
        with pytest.raises(WebhookVerificationError):
            Webhook(other["secret"]).verify(message.body, message.headers)

        # After a rotation both secrets sign every message until the grace period ends.
        rotated = api(hub, "POST", f"/webhooks/{endpoint['id']}/rotate-secret")
        assert rotated.is_success, rotated.text
        new_secret = rotated.json()["secret"]
        assert new_secret.startswith("whsec_") and new_secret != secret
        before = len(receiver.received())
        rpc(hub, "front_add_conversation_tag", **tagging)
        after_rotation = receiver.wait_for("front.tag after the rotation", is_front("front.tag", tag), since=before)
        assert len(after_rotation.headers["webhook-signature"].split(" ")) == 2, after_rotation.headers
        Webhook(secret).verify(after_rotation.body, after_rotation.headers)
        Webhook(new_secret).verify(after_rotation.body, after_rotation.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(new_secret).verify(after_rotation.body + b" ", after_rotation.headers)
    finally:
        api(hub, "DELETE", f"/webhooks/{endpoint['id']}")
