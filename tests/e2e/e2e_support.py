"""Helpers for the e2e tests of ktui's caches against the real control plane.

kubectl runs as a subprocess against the harness's kubeconfig (the ground truth ktui's caches
are compared with); `CuttableProxy` sits between a cache and kube-apiserver so a test can cut
the cache off while the apiserver keeps serving everyone else.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest
from controlplane import ControlPlane

from ktui.cluster.cache import CachePhase, ClusterCache, WatchOptions
from ktui.cluster.connection import connect
from ktui.cluster.kinds import KindSpec
from ktui.settings import Settings

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"

T = TypeVar("T")


# --------------------------------------------------------------------------
# kubectl
# --------------------------------------------------------------------------


def kubectl(
    cp: ControlPlane,
    *args: str,
    context: str = "admin",
    stdin: str | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(
        [KUBECTL, "--kubeconfig", str(cp.kubeconfig_path), "--context", context, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if check and r.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed rc={r.returncode}: {r.stderr}")
    return r


def create(cp: ControlPlane, manifest: Mapping[str, Any]) -> dict[str, Any]:
    """`kubectl create -f -` of one object; the created object as the server returned it."""
    out = kubectl(cp, "create", "-f", "-", "-o", "json", stdin=json.dumps(manifest)).stdout
    created: dict[str, Any] = json.loads(out)
    return created


def get_items(cp: ControlPlane, resource: str, namespace: str | None) -> list[dict[str, Any]]:
    """A fresh list from the server (all namespaces when `namespace` is None)."""
    scope = ["-n", namespace] if namespace is not None else ["--all-namespaces"]
    out = kubectl(cp, "get", resource, *scope, "-o", "json").stdout
    items: list[dict[str, Any]] = json.loads(out)["items"]
    return items


def uid_of(obj: Mapping[str, Any]) -> str:
    uid: str = obj["metadata"]["uid"]
    return uid


def versions(objects: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """uid -> resourceVersion."""
    return {o["metadata"]["uid"]: o["metadata"]["resourceVersion"] for o in objects}


def controlled_by(items: Iterable[Mapping[str, Any]], owner_uid: str) -> set[str]:
    """Uids of the objects whose controller ownerReference is `owner_uid` (server's view)."""
    return {
        o["metadata"]["uid"]
        for o in items
        for ref in o["metadata"].get("ownerReferences") or ()
        if ref.get("controller") and ref.get("uid") == owner_uid
    }


# --------------------------------------------------------------------------
# waiting
# --------------------------------------------------------------------------


def wait_for(
    what: str,
    cond: Callable[[], T | None],
    timeout: float = 60.0,
    interval: float = 0.2,
    detail: Callable[[], object] | None = None,
) -> T:
    """Poll `cond()` until it returns something truthy; fail at the deadline.

    The failure names `what`, the last value and `detail()` (e.g. the cache states).
    """
    deadline = time.monotonic() + timeout
    while True:
        last = cond()
        if last:
            return last
        if time.monotonic() > deadline:
            extra = f"; {detail()}" if detail is not None else ""
            pytest.fail(
                f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r}){extra}"
            )
        time.sleep(interval)


# --------------------------------------------------------------------------
# caches
# --------------------------------------------------------------------------


def phases(cluster: ClusterCache) -> dict[str, CachePhase]:
    return {kind: state.phase for kind, state in cluster.states().items()}


def describe_states(cluster: ClusterCache) -> str:
    parts = []
    for kind, state in cluster.states().items():
        cache = cluster.cache(kind)
        parts.append(
            f"{kind}={state.phase.value}(attempt={state.attempt}, lists={cache.list_requests},"
            f" relists={cache.relists}, msg={state.message!r})"
        )
    return "cache states: " + ", ".join(parts)


def in_phase(cluster: ClusterCache, phase: CachePhase, kinds: Iterable[str] | None = None) -> bool:
    wanted = list(kinds) if kinds is not None else cluster.kinds
    current = phases(cluster)
    return all(current[k] == phase for k in wanted)


def cached_versions(cluster: ClusterCache, kind: str, namespace: str | None) -> dict[str, str]:
    """uid -> resourceVersion of the cached objects of `kind` (in `namespace`, if given)."""
    return versions(
        o
        for o in cluster.objects(kind).values()
        if namespace is None or o["metadata"].get("namespace") == namespace
    )


@contextlib.contextmanager
def running_cache(
    kubeconfig: str | os.PathLike[str],
    context: str,
    namespace: str | None,
    kinds: Iterable[KindSpec | str],
    options: WatchOptions | None = None,
) -> Iterator[ClusterCache]:
    """A started ClusterCache (polling consumer: no batch callback) on its own connection."""
    connection = connect(Settings(kubeconfig=str(kubeconfig), context=context))
    cluster = ClusterCache(connection.api_client, namespace, kinds=kinds, options=options)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop(timeout=10.0)
        connection.close()


class BatchView:
    """A consumer that polls `take_batch()` and applies each batch as a keyed diff (as the UI
    does), so a test can check that what the batches delivered matches the caches."""

    def __init__(self, cluster: ClusterCache) -> None:
        self.cluster = cluster
        self.objects: dict[str, dict[str, dict[str, Any]]] = {}
        self.bad_deletes: list[tuple[str, str]] = []

    def drain(self) -> None:
        while (batch := self.cluster.take_batch()) is not None:
            for kind, uids in batch.deletes.items():
                for uid in uids:
                    if self.objects.get(kind, {}).pop(uid, None) is None:
                        self.bad_deletes.append((kind, uid))
            for kind, objs in batch.upserts.items():
                self.objects.setdefault(kind, {}).update(objs)

    def versions(self, kind: str, namespace: str | None) -> dict[str, str]:
        self.drain()
        return versions(
            o
            for o in self.objects.get(kind, {}).values()
            if namespace is None or o["metadata"].get("namespace") == namespace
        )


# --------------------------------------------------------------------------
# kubeconfig variants and the cuttable proxy
# --------------------------------------------------------------------------


def kubeconfig_with_server(cp: ControlPlane, server: str, dest: Path) -> Path:
    """A copy of the harness kubeconfig (it is JSON) whose cluster points at `server`.

    Written 0600: it holds the same tokens as the original.
    """
    config = json.loads(Path(cp.kubeconfig_path).read_text())
    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = server
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(config, f)
    return dest


class CuttableProxy:
    """A TCP forwarder on 127.0.0.1 to `target_port` that can be cut and healed.

    `cut()` shuts down every forwarded connection and makes new ones fail at once (accepted,
    then closed with a reset) until `heal()`. TLS passes through untouched; the apiserver's
    certificate names 127.0.0.1, so clients verify it as usual.
    """

    def __init__(self, target_port: int) -> None:
        self._target = ("127.0.0.1", target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open = True
        self._closed = False
        self._sockets: set[socket.socket] = set()
        self.accepted = 0
        self.refused = 0
        self._thread = threading.Thread(target=self._accept_loop, name="e2e-proxy", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def cut(self) -> None:
        with self._lock:
            self._open = False
            victims = list(self._sockets)
        for s in victims:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def heal(self) -> None:
        with self._lock:
            self._open = True

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.cut()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> CuttableProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._closed:
                    client.close()
                    return
                if not self._open:
                    self.refused += 1
                    _reset(client)
                    continue
                # Registered before the upstream exists, so a cut() from now on reaches it.
                self._sockets.add(client)
                self.accepted += 1
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self._target, timeout=5)
        except OSError:
            self._forget(client)
            _reset(client)
            return
        upstream.settimeout(None)
        with self._lock:
            if not self._open:
                upstream.close()
                self._sockets.discard(client)
                _reset(client)
                return
            self._sockets.add(upstream)
        done = threading.Barrier(2, action=lambda: self._close_pair(client, upstream))
        for src, dst in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(src, dst, done), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket, done: threading.Barrier) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            # Either side ending ends the pair: wake the other pump, close once both are out.
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(threading.BrokenBarrierError):
                done.wait(timeout=30)

    def _close_pair(self, a: socket.socket, b: socket.socket) -> None:
        self._forget(a)
        self._forget(b)
        a.close()
        b.close()

    def _forget(self, s: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(s)


def _reset(s: socket.socket) -> None:
    """Close with RST (linger 0), the way a dead peer looks to the client."""
    with contextlib.suppress(OSError):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
