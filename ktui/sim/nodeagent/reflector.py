"""List + watch one resource through a SimClient, for the node agent and the scheduler.

`Reflector(client, group, resource, handler, ...)` runs on its own thread: it lists, calls
`handler(type, obj)` with ADDED for every object (MODIFIED for ones it already reported and
DELETED for ones that vanished since, after a re-list), then follows a watch from the list's
resourceVersion, re-watching from the last version seen when a watch ends and re-listing on 410
Expired. Transport errors are retried after `retry_interval` seconds. `synced` is set after the
first list has been handed over.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from ktui.sim.client import SimClient
from ktui.sim.store import StoreError

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], None]


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))


class Reflector:
    def __init__(
        self,
        client: SimClient,
        group: str,
        resource: str,
        handler: Handler,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        retry_interval: float = 1.0,
        name: str | None = None,
    ) -> None:
        self._client = client
        self.group = group
        self.resource = resource
        self._handler = handler
        self._namespace = namespace
        self._label_selector = label_selector
        self._field_selector = field_selector
        self._retry = retry_interval
        self._name = name or f"reflector-{group or 'core'}-{resource}"
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._watch: Any = None
        self._thread: threading.Thread | None = None
        self._known: dict[tuple[str, str], dict[str, Any]] = {}
        self.synced = threading.Event()
        self.resource_version = ""

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        with self._lock:
            watch = self._watch
        if watch is not None:
            watch.close()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _deliver(self, type_: str, obj: dict[str, Any]) -> None:
        try:
            self._handler(type_, obj)
        except Exception:
            log.exception("%s: handler failed on %s", self._name, type_)

    def _relist(self) -> None:
        items, rv = self._client.list(
            self.group, self.resource, self._namespace, self._label_selector, self._field_selector
        )
        current = {_key(obj): obj for obj in items}
        for key in list(self._known):
            if key not in current:
                self._deliver("DELETED", self._known.pop(key))
        for key, obj in current.items():
            old = self._known.get(key)
            same = old is not None and (old.get("metadata") or {}).get("uid") == (
                obj.get("metadata") or {}
            ).get("uid")
            if old is not None and not same:
                self._deliver("DELETED", old)
            self._deliver("MODIFIED" if same else "ADDED", obj)
        self._known = current
        self.resource_version = rv
        self.synced.set()

    def _run(self) -> None:
        need_list = True
        while not self._stop.is_set():
            try:
                if need_list:
                    self._relist()
                    need_list = False
                watch = self._client.watch(
                    self.group,
                    self.resource,
                    self._namespace,
                    self.resource_version or None,
                    self._label_selector,
                    self._field_selector,
                )
                with self._lock:
                    self._watch = watch
                if self._stop.is_set():
                    watch.close()
                    return
                delivered = 0
                try:
                    for event in watch:
                        delivered += 1
                        obj = event.object
                        rv = (obj.get("metadata") or {}).get("resourceVersion")
                        if rv:
                            self.resource_version = str(rv)
                        key = _key(obj)
                        if event.type == "DELETED":
                            self._known.pop(key, None)
                        else:
                            self._known[key] = obj
                        self._deliver(event.type, obj)
                finally:
                    watch.close()
                    with self._lock:
                        self._watch = None
                if not delivered:
                    # A watch that ends at once again and again must not spin.
                    self._stop.wait(min(self._retry, 0.2))
            except StoreError as exc:
                if exc.code == 410:
                    need_list = True
                    continue
                log.debug("%s: %s; retrying", self._name, exc.message)
                self._stop.wait(self._retry)
            except Exception:
                log.exception("%s failed; retrying", self._name)
                self._stop.wait(self._retry)
