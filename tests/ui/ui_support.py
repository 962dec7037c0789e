"""Small builders of workload objects for UI tests (written to the embedded store)."""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from textual import events
from textual.keys import _character_to_key, _get_unicode_name_from_key

Obj = dict[str, Any]


def deployment(name: str, replicas: int = 2, image: str = "nginx:1.27") -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
        },
    }


def owner_ref(owner: Obj) -> dict[str, Any]:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def replicaset(owner: Obj, template_hash: str, revision: int) -> Obj:
    name = owner["metadata"]["name"]
    template = {
        **owner["spec"]["template"],
        "metadata": {"labels": {"app": name, "pod-template-hash": template_hash}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{name}-{template_hash}",
            "namespace": "default",
            "labels": {"app": name, "pod-template-hash": template_hash},
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
            "ownerReferences": [owner_ref(owner)],
        },
        "spec": {
            "replicas": owner["spec"]["replicas"],
            "selector": {"matchLabels": {"app": name, "pod-template-hash": template_hash}},
            "template": template,
        },
    }


def pod(owner: Obj, suffix: str, **spec_extra: Any) -> Obj:
    labels = dict(owner["spec"]["template"]["metadata"]["labels"])
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{owner['metadata']['name']}-{suffix}",
            "namespace": "default",
            "labels": labels,
            "ownerReferences": [owner_ref(owner)],
        },
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}], **spec_extra},
    }


def running_status(ready: bool = True) -> Obj:
    return {
        "phase": "Running",
        "conditions": [
            {"type": "Ready", "status": "True" if ready else "False"},
            {"type": "ContainersReady", "status": "True" if ready else "False"},
        ],
        "containerStatuses": [
            {
                "name": "app",
                "image": "nginx:1.27",
                "ready": ready,
                "restartCount": 0,
                "started": True,
                "state": {"running": {"startedAt": "2026-11-24T11:59:00Z"}},
            }
        ],
    }


FROZEN_NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)


async def wait_for(
    pilot: Any, condition: Callable[[], Any], what: str, deadline_s: float = 10.0
) -> None:
    """Poll `condition` between event-loop turns until it holds, or fail saying what was awaited."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while True:
        if condition():
            return
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for: {what}")
        await pilot.pause(0.05)


async def caught_up(pilot: Any, screen: Any) -> None:
    """Wait until `screen` has handled every message already posted to it, such as the
    `ClusterChanged` for a batch the app's model has taken: the app applies a batch to its model
    and then posts it to the main screen, so the model can be ahead of the panes. A callback
    queued now runs after those messages (one queue, in order)."""
    done: list[bool] = []
    screen.call_later(done.append, True)
    await wait_for(pilot, lambda: done, "the screen took the messages posted to it")


def loaded(app: Any, screen_type: type) -> bool:
    """The app shows a YAML or describe screen (`screen_type`) that has its object from the
    server (they read the whole object with one GET when they open)."""
    screen = app.screen
    return isinstance(screen, screen_type) and getattr(screen, "full", None) is not None


def send_at_once(app: Any, *keys: str) -> None:
    """Post `keys` to the app in one go, as a terminal delivers keys typed fast, sent by tmux,
    or pasted without bracketed paste (Pilot's `press` waits for idle between keys)."""
    driver = app._driver
    assert driver is not None
    for key in keys:
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        try:
            char: str | None = unicodedata.lookup(_get_unicode_name_from_key(key))
        except KeyError:
            char = key if len(key) == 1 else None
        event = events.Key(key, char)
        event.set_sender(app)
        driver.send_message(event)
