"""The small client interface controllers and the node agent program against.

`SimClient` is what they call; `LocalClient(store)` implements it in-process on a `Store`. An
HTTP implementation for a real apiserver can implement the same Protocol. Objects are plain dicts;
errors raise `ktui.sim.store.StoreError` (code / reason / message of the API Status).

    client = LocalClient(store)
    pod = client.get("", "pods", "default", "web-1")
    items, rv = client.list("apps", "replicasets", "default", label_selector="app=web")
    client.update_status("apps", "deployments", deployment)
    with client.watch("", "pods", resource_version=rv) as events:
        for event in events:          # WatchEvent(type, object, group, resource)
            ...
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from ktui.sim.store import Obj, Store, Watch, WatchEvent


class WatchStream(Protocol):
    """An iterable of events that ends when the watch ends; close() ends it early."""

    def __iter__(self) -> Iterator[WatchEvent]: ...

    def close(self) -> None: ...

    def __enter__(self) -> WatchStream: ...

    def __exit__(self, *exc: object) -> None: ...


class SimClient(Protocol):
    def get(self, group: str, resource: str, namespace: str | None, name: str) -> Obj: ...

    def list(
        self,
        group: str,
        resource: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[list[Obj], str]: ...

    def create(self, group: str, resource: str, obj: Mapping[str, Any]) -> Obj: ...

    def update(self, group: str, resource: str, obj: Mapping[str, Any]) -> Obj: ...

    def update_status(self, group: str, resource: str, obj: Mapping[str, Any]) -> Obj: ...

    def patch(
        self,
        group: str,
        resource: str,
        namespace: str | None,
        name: str,
        patch_type: str,
        body: Any,
        subresource: str | None = None,
    ) -> Obj: ...

    def delete(
        self,
        group: str,
        resource: str,
        namespace: str | None,
        name: str,
        grace_period_seconds: int | None = None,
        propagation_policy: str | None = None,
        preconditions: Mapping[str, Any] | None = None,
    ) -> Obj: ...

    def bind(self, namespace: str, pod_name: str, node_name: str) -> Obj: ...

    def watch(
        self,
        group: str,
        resource: str,
        namespace: str | None = None,
        resource_version: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> WatchStream: ...


class LocalClient:
    """SimClient on an in-process Store (watches are unbounded: an in-process reader never lags
    into being dropped)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, group: str, resource: str, namespace: str | None, name: str) -> Obj:
        return self.store.get(group, resource, namespace, name)

    def list(
        self,
        group: str,
        resource: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[list[Obj], str]:
        return self.store.list(group, resource, namespace, label_selector, field_selector)

    def create(self, group: str, resource: str, obj: Mapping[str, Any]) -> Obj:
        return self.store.create(group, resource, obj)

    def update(self, group: str, resource: str, obj: Mapping[str, Any]) -> Obj:
        return self.store.update(group, resource, obj)

    def update_status(self, group: str, resource: str, obj: Mapping[str, Any]) -> Obj:
        return self.store.update(group, resource, obj, subresource="status")

    def patch(
        self,
        group: str,
        resource: str,
        namespace: str | None,
        name: str,
        patch_type: str,
        body: Any,
        subresource: str | None = None,
    ) -> Obj:
        return self.store.patch(group, resource, namespace, name, patch_type, body, subresource)

    def delete(
        self,
        group: str,
        resource: str,
        namespace: str | None,
        name: str,
        grace_period_seconds: int | None = None,
        propagation_policy: str | None = None,
        preconditions: Mapping[str, Any] | None = None,
    ) -> Obj:
        return self.store.delete(
            group,
            resource,
            namespace,
            name,
            grace_period_seconds,
            propagation_policy,
            preconditions,
        )

    def bind(self, namespace: str, pod_name: str, node_name: str) -> Obj:
        return self.store.bind(namespace, pod_name, node_name)

    def watch(
        self,
        group: str,
        resource: str,
        namespace: str | None = None,
        resource_version: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> Watch:
        return self.store.watch(
            group,
            resource,
            namespace,
            resource_version,
            label_selector,
            field_selector,
            max_queue=None,
        )
