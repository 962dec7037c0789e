"""`SimClient` over HTTP: the node agent and scheduler talking to any apiserver (the embedded
one, or a real kube-apiserver such as the e2e tier's v1.20.2).

    client = HttpClient(api_client)                 # a kubernetes.client.ApiClient
    pod = client.get("", "pods", "default", "web-1")
    with client.watch("", "pods", resource_version=rv) as events:
        for event in events: ...                    # WatchEvent(type, object, group, resource)

Requests go through ktui's one HTTP transport (`ktui.cluster.transport`, on the ApiClient's
own `param_serialize` and connection pool, so authentication and TLS settings are the
kubeconfig's) with raw JSON bodies; nothing is turned into model objects.
Paths are built from the group and resource: core `/api/v1/...`, others
`/apis/<group>/<version>/...`, the version found by discovery (falling back to a table: apps/v1,
batch/v1, coordination.k8s.io/v1 ...), so that e.g. cronjobs resolve to batch/v1beta1 on a 1.20
server. Non-2xx answers raise `StoreError` with the Status' code / reason / message / details;
an unreachable server raises `StoreError(503, "ServiceUnavailable", ...)`. Watch streams are
read line by line; an in-stream ERROR event (410 Expired...) raises StoreError, a broken
connection just ends the iteration. `managedFields` are dropped on arrival.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import urllib3
from kubernetes.client.exceptions import ApiException

from ktui.cluster.transport import RequestTimeout, open_request
from ktui.sim.store import Obj, StoreError, WatchEvent

log = logging.getLogger(__name__)

DEFAULT_VERSIONS: dict[str, str] = {
    "": "v1",
    "apps": "v1",
    "batch": "v1",
    "coordination.k8s.io": "v1",
    "events.k8s.io": "v1",
    "policy": "v1",
    "autoscaling": "v1",
    "networking.k8s.io": "v1",
    "rbac.authorization.k8s.io": "v1",
}
"""Versions used when discovery cannot be asked."""

_PATCH_CONTENT_TYPES = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
}
_LIST_CHUNK = 500


def _drop_managed_fields(obj: Any) -> Any:
    if isinstance(obj, dict):
        meta = obj.get("metadata")
        if isinstance(meta, dict):
            meta.pop("managedFields", None)
    return obj


def _error_from(status: int, reason: str, body: bytes) -> StoreError:
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and parsed.get("kind") == "Status":
        return StoreError(
            int(parsed.get("code") or status),
            str(parsed.get("reason") or reason or "Unknown"),
            str(parsed.get("message") or reason),
            parsed.get("details") or None,
        )
    text = body.decode("utf-8", "replace").strip()[:500]
    return StoreError(status, reason or "Unknown", text or f"HTTP {status} {reason}")


def _unreachable(exc: BaseException) -> StoreError:
    return StoreError(503, "ServiceUnavailable", f"cannot reach the API server: {exc}")


class HttpWatch:
    """One watch stream: iterate for WatchEvents; close() from any thread ends it."""

    def __init__(self, response: urllib3.HTTPResponse, group: str, resource: str) -> None:
        self._response = response
        self._group = group
        self._resource = resource
        self._closed = False
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[WatchEvent]:
        buffer = bytearray()
        try:
            for segment in self._response.stream(amt=None, decode_content=True):
                buffer.extend(segment)
                while True:
                    newline = buffer.find(b"\n")
                    if newline < 0:
                        break
                    line = bytes(buffer[:newline]).strip()
                    del buffer[: newline + 1]
                    if line:
                        event = self._event(line)
                        if event is not None:
                            yield event
        except StoreError:
            raise
        except Exception as exc:  # a cut connection or a shutdown from close(): the end
            if not self._closed:
                log.debug("watch on %s/%s ended: %s", self._group, self._resource, exc)
        finally:
            self._release()

    def _event(self, line: bytes) -> WatchEvent | None:
        try:
            raw = json.loads(line)
        except ValueError:
            log.debug("ignoring a line that is not JSON in a watch stream")
            return None
        kind = raw.get("type")
        obj = raw.get("object") or {}
        if kind == "ERROR":
            raise StoreError(
                int(obj.get("code") or 500),
                str(obj.get("reason") or "InternalError"),
                str(obj.get("message") or "watch error"),
                obj.get("details") or None,
            )
        if kind not in ("ADDED", "MODIFIED", "DELETED"):
            return None
        return WatchEvent(str(kind), _drop_managed_fields(obj), self._group, self._resource)

    def _release(self) -> None:
        with self._lock:
            self._closed = True
        with contextlib.suppress(Exception):
            self._response.close()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        # shutdown() wakes a reader blocked in recv; the reader closes the response itself.
        with contextlib.suppress(Exception):
            self._response.shutdown()
        with contextlib.suppress(Exception):
            self._response.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> HttpWatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class HttpClient:
    """A SimClient on a kubernetes ApiClient. See the module docstring."""

    def __init__(
        self,
        api_client: Any,
        *,
        request_timeout: float = 30.0,
        watch_timeout_seconds: int = 300,
        versions: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        self.api_client = api_client
        self.request_timeout = request_timeout
        self.watch_timeout_seconds = watch_timeout_seconds
        self._versions: dict[tuple[str, str], str] = dict(versions or {})
        self._missing: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    # --- discovery --------------------------------------------------------------------------

    def version_of(self, group: str, resource: str) -> str:
        """The version the server serves `resource` of `group` at (discovery, cached)."""
        if not group:
            return "v1"
        key = (group, resource)
        with self._lock:
            found = self._versions.get(key)
            missing = key in self._missing
        if found is not None:
            return found
        if missing:
            raise StoreError(404, "NotFound", "the server could not find the requested resource")
        try:
            version = self._discover(group, resource)
        except StoreError as exc:
            if exc.code == 404:
                version = None
            else:
                log.debug("discovery of %s/%s failed: %s", group, resource, exc.message)
                return DEFAULT_VERSIONS.get(group, "v1")
        with self._lock:
            if version is None:
                self._missing.add(key)
            else:
                self._versions[key] = version
        if version is None:
            raise StoreError(404, "NotFound", "the server could not find the requested resource")
        return version

    def _discover(self, group: str, resource: str) -> str | None:
        doc = self._request("GET", f"/apis/{group}")
        versions = [str(v.get("version")) for v in doc.get("versions") or () if v.get("version")]
        preferred = (doc.get("preferredVersion") or {}).get("version")
        if preferred in versions:
            versions.remove(preferred)
            versions.insert(0, preferred)
        for version in versions:
            listing = self._request("GET", f"/apis/{group}/{version}")
            names = {str(r.get("name")) for r in listing.get("resources") or ()}
            if resource in names:
                return version
        return None

    def serves(self, group: str, resource: str) -> bool:
        """Whether the server has this resource at all."""
        try:
            self.version_of(group, resource)
        except StoreError:
            return False
        return True

    def path(
        self,
        group: str,
        resource: str,
        namespace: str | None = None,
        name: str | None = None,
        subresource: str | None = None,
    ) -> str:
        version = self.version_of(group, resource)
        base = f"/api/{version}" if not group else f"/apis/{group}/{version}"
        if namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{resource}"
        if name is not None:
            base += f"/{quote(name, safe='')}"
            if subresource:
                base += f"/{subresource}"
        return base

    # --- transport --------------------------------------------------------------------------

    def _open(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]] = (),
        body: Any = None,
        content_type: str | None = None,
        timeout: RequestTimeout = None,
    ) -> urllib3.HTTPResponse:
        try:
            return open_request(
                self.api_client,
                method,
                path,
                query,
                body=body,
                content_type=content_type or "application/json",
                timeout=timeout if timeout is not None else self.request_timeout,
            )
        except ApiException as exc:
            body_text = exc.body if isinstance(exc.body, str) else ""
            raise _error_from(
                int(exc.status), str(exc.reason or ""), body_text.encode("utf-8")
            ) from None
        except StoreError:
            raise
        except Exception as exc:
            raise _unreachable(exc) from None

    def _request(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]] = (),
        body: Any = None,
        content_type: str | None = None,
    ) -> Any:
        response = self._open(method, path, query, body, content_type)
        try:
            data = response.read()
        except Exception as exc:
            response.close()
            raise _unreachable(exc) from None
        response.release_conn()
        if not data:
            return {}
        try:
            return _drop_managed_fields(json.loads(data))
        except ValueError:
            raise StoreError(
                500, "InternalError", "the server sent a body that is not JSON"
            ) from None

    # --- SimClient --------------------------------------------------------------------------

    def get(self, group: str, resource: str, namespace: str | None, name: str) -> Obj:
        result: Obj = self._request("GET", self.path(group, resource, namespace, name))
        return result

    def list(
        self,
        group: str,
        resource: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[list[Obj], str]:
        path = self.path(group, resource, namespace)
        items: list[Obj] = []
        continue_token = ""
        version = self.version_of(group, resource)
        api_version = f"{group}/{version}" if group else version
        while True:
            query = [("limit", str(_LIST_CHUNK))]
            if label_selector:
                query.append(("labelSelector", label_selector))
            if field_selector:
                query.append(("fieldSelector", field_selector))
            if continue_token:
                query.append(("continue", continue_token))
            page = self._request("GET", path, query)
            kind = str(page.get("kind") or "").removesuffix("List")
            for item in page.get("items") or ():
                # List items carry no kind / apiVersion on the wire; the store's do.
                item.setdefault("apiVersion", api_version)
                if kind:
                    item.setdefault("kind", kind)
                items.append(_drop_managed_fields(item))
            meta = page.get("metadata") or {}
            continue_token = str(meta.get("continue") or "")
            if not continue_token:
                return items, str(meta.get("resourceVersion") or "")

    def create(self, group: str, resource: str, obj: Mapping[str, Any]) -> Obj:
        namespace = (obj.get("metadata") or {}).get("namespace")
        result: Obj = self._request("POST", self.path(group, resource, namespace), body=dict(obj))
        return result

    def update(self, group: str, resource: str, obj: Mapping[str, Any]) -> Obj:
        meta = obj.get("metadata") or {}
        path = self.path(group, resource, meta.get("namespace"), str(meta.get("name", "")))
        result: Obj = self._request("PUT", path, body=dict(obj))
        return result

    def update_status(self, group: str, resource: str, obj: Mapping[str, Any]) -> Obj:
        meta = obj.get("metadata") or {}
        path = self.path(
            group, resource, meta.get("namespace"), str(meta.get("name", "")), "status"
        )
        result: Obj = self._request("PUT", path, body=dict(obj))
        return result

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
        content_type = _PATCH_CONTENT_TYPES.get(patch_type, patch_type)
        path = self.path(group, resource, namespace, name, subresource)
        result: Obj = self._request("PATCH", path, body=body, content_type=content_type)
        return result

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
        options: Obj = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if grace_period_seconds is not None:
            options["gracePeriodSeconds"] = grace_period_seconds
        if propagation_policy:
            options["propagationPolicy"] = propagation_policy
        if preconditions:
            options["preconditions"] = dict(preconditions)
        result: Obj = self._request(
            "DELETE", self.path(group, resource, namespace, name), body=options
        )
        return result

    def bind(self, namespace: str, pod_name: str, node_name: str) -> Obj:
        binding = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": pod_name, "namespace": namespace},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node_name},
        }
        self._request("POST", self.path("", "pods", namespace, pod_name, "binding"), body=binding)
        return self.get("", "pods", namespace, pod_name)

    def watch(
        self,
        group: str,
        resource: str,
        namespace: str | None = None,
        resource_version: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> HttpWatch:
        query = [("watch", "true"), ("timeoutSeconds", str(self.watch_timeout_seconds))]
        if resource_version:
            query.append(("resourceVersion", resource_version))
        if label_selector:
            query.append(("labelSelector", label_selector))
        if field_selector:
            query.append(("fieldSelector", field_selector))
        response = self._open(
            "GET",
            self.path(group, resource, namespace),
            query,
            timeout=(self.request_timeout, self.watch_timeout_seconds + 30.0),
        )
        return HttpWatch(response, group, resource)
