"""The snippets of the page on webhooks without a framework run as written, against the test
Redis server."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from relaybox_integrations import WebhookEndpoint, sign_webhook
from tests.support.snippets import assert_runs, run_snippet
from tests.webhooks.conftest import SIGNING_KEY

PAGE = "docs/core/webhooks.rst"
SNIPPETS = {
    ("docs/core/webhooks.rst", "Checking one delivery", "python"): 1,
    ("docs/core/webhooks.rst", "The endpoint", "python"): 1,
    ("docs/core/webhooks.rst", "Deduplication", "python"): 1,
}


def test_the_page_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


@pytest.fixture
def endpoint_snippets(
    monkeypatch: pytest.MonkeyPatch,
    redis_url: str,
    redis_client: Any,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[dict[str, Any]]:
    """The first two snippets, run in one namespace as the page runs them one after the other;
    what they printed is under ``"printed"``."""
    monkeypatch.setenv("RELAYBOX_WEBHOOK_SIGNING_KEY", SIGNING_KEY)
    monkeypatch.setenv("REDIS_URL", redis_url)
    namespace = run_snippet(PAGE, "Checking one delivery", 0)  # asserts itself
    run_snippet(PAGE, "The endpoint", 0, namespace)  # asserts itself
    namespace["printed"] = capsys.readouterr().out
    store = namespace["webhooks"].store
    yield namespace
    store.client.close()


def test_the_endpoint_snippets_run(endpoint_snippets: dict[str, Any]) -> None:
    assert "Relaybox event room:publish at" in endpoint_snippets["printed"]
    assert len(endpoint_snippets["messages"]) == 1  # the second attempt of the id ran nothing


class TaskStandIn:
    """What a task queue's task offers the snippet: ``delay`` enqueues its arguments."""

    def __init__(self) -> None:
        self.queued: list[tuple[Any, ...]] = []

    def delay(self, *arguments: Any) -> None:
        self.queued.append(arguments)


def test_the_task_queue_snippet_enqueues_once_per_event(
    endpoint_snippets: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """It imports the reader's own task module: here a module with a task of that shape."""
    tasks = types.ModuleType("myapp.tasks")
    tasks.index_message = TaskStandIn()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "myapp", types.ModuleType("myapp"))
    monkeypatch.setitem(sys.modules, "myapp.tasks", tasks)
    run_snippet(PAGE, "Deduplication", 0, endpoint_snippets)
    webhooks: WebhookEndpoint = endpoint_snippets["webhooks"]
    delivery = sign_webhook("room:publish", {"roomId": "chat:lobby"}, SIGNING_KEY)
    signature = delivery.headers["X-RelayBox-Webhook-Signature"]
    for _ in range(2):
        assert webhooks.handle("POST", delivery.body, signature).status == 200
    event_id = delivery.payload["id"]
    assert tasks.index_message.queued == [(event_id, {"roomId": "chat:lobby"})]  # type: ignore[attr-defined]
