"""Helpers for the e2e tests of ktui's caches against the real control plane.

kubectl runs as a subprocess against the harness's kubeconfig (the ground truth ktui's caches
are compared with). To cut a cache off while the apiserver keeps serving everyone else, put
`tests/faultproxy.py`'s `FaultProxy(port, scheme="https")` between them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
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
