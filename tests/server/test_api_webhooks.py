"""Webhooks through the API: endpoints are managed per tenant, private and loopback targets are refused
unless the tenant allows them, and a whole interview reaches a real receiver on 127.0.0.1 as signed
Standard Webhooks messages (verified with the `standardwebhooks` package's own verifier), attempts listed."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers 204."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def types(self) -> list[str]:
        return [json.loads(body)["type"] for _, body in self.received]

    def wait_for(self, kind: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while kind not in self.types():
            assert time.monotonic() < deadline, f"no {kind} webhook; got {self.types()}"
            time.sleep(0.05)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.server.shutdown()
    running.server.server_close()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/hooks", "https://127.0.0.1/hooks", "https://10.1.2.3/hooks", "https://[::1]/hooks",
    "https://[::ffff:127.0.0.1]/hooks", "https://169.254.169.254/latest", "https://localhost/hooks",
    "http://hooks.example.com/plain-http", "https://user:pw@hooks.example.com/", "ftp://hooks.example.com/",
])
def test_private_and_unsafe_targets_are_refused(server: Any, url: str) -> None:
    response = server.client.post("/v1/webhooks/endpoints", json={"url": url}, headers=server.key("globex"))
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_webhook_url"


def test_a_whole_interview_reaches_the_receiver_signed(server: Any, receiver: Receiver) -> None:
    client = server.client
    refused = client.post("/v1/webhooks/endpoints", json={"url": receiver.url}, headers=server.key())
    assert refused.status_code == 422
    client.patch("/v1/tenant", json={"allow_private_webhooks": True}, headers=server.admin())
    created = client.post("/v1/webhooks/endpoints", json={"url": receiver.url}, headers=server.key())
    assert created.status_code == 201
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_")
    listed = client.get("/v1/webhooks/endpoints", headers=server.key()).json()["items"]
    assert [e["id"] for e in listed] == [endpoint["id"]] and listed[0]["secret"] is None
    assert client.get("/v1/webhooks/endpoints", headers=server.key("globex")).json()["items"] == []

    interview = server.start_interview()
    candidate = server.consented(interview)
    base = f"/v1/interviews/{interview['interview_id']}/candidate"
    question = client.get(f"{base}/question", headers=candidate).json()
    while question is not None:
        question = client.post(f"{base}/answers", headers=candidate, json={
            "question_id": question["id"], "text": "An answer."}).json()["next_question"]
    client.post(f"{base}/finish", headers=candidate)
    receiver.wait_for("report.ready")
    assert client.delete(f"/v1/interviews/{interview['interview_id']}", headers=server.key()).status_code == 204
    receiver.wait_for("interview.deleted")

    verifier = Webhook(endpoint["secret"])
    for headers, body in receiver.received:
        payload = verifier.verify(body, {k: headers[k] for k in ("webhook-id", "webhook-timestamp",
                                                                 "webhook-signature")})
        assert payload["data"]["interview_id"] == interview["interview_id"]
    assert receiver.types() == ["interview.started", "interview.finished", "report.ready", "interview.deleted"]
    report = json.loads(receiver.received[2][1])["data"]["report"]
    assert report["interview_id"] == interview["interview_id"]

    attempts = client.get("/v1/webhooks/attempts", params={"endpoint_id": endpoint["id"]},
                          headers=server.admin()).json()["items"]
    assert len(attempts) == 4 and {a["outcome"] for a in attempts} == {"succeeded"}
    assert client.get("/v1/webhooks/attempts", headers=server.admin("globex")).json()["items"] == []
    assert client.delete(f"/v1/webhooks/endpoints/{endpoint['id']}", headers=server.key("globex")).status_code == 404
    assert client.delete(f"/v1/webhooks/endpoints/{endpoint['id']}", headers=server.key()).status_code == 204
    audit = [e["action"] for e in client.get("/v1/audit", headers=server.admin()).json()["items"]]
    assert "webhook_endpoint.created" in audit and "webhook_endpoint.deleted" in audit
