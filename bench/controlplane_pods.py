"""Start the real control plane (kube-apiserver v1.20.2, as the e2e tier does) and fill it with
N bare pods, for checking ktui by hand against it (issue 11's "Done when").

    .venv/bin/python bench/controlplane_pods.py [--pods 10000] [--namespaces 10] [--workdir DIR]

Prints the kubeconfig's path (context `admin`) once every pod exists, then keeps the control
plane up until stdin closes or Ctrl-C. The pods have no ownerReferences (like `kubectl run`);
there is no kubelet, so the scheduler binds them to the fake nodes and they stay Pending.
They are created with concurrent POSTs (a thread pool over keep-alive connections), since one
`kubectl create` per pod would take many minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

from apiserver_load import KeepAliveClient
from controlplane import ControlPlane, ensure_built


def bare_pod(name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": {"run": name}},
        "spec": {"containers": [{"name": "app", "image": "busybox:1.36"}]},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--namespaces", type=int, default=10)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    reason = ensure_built()
    if reason is not None:
        print(f"control plane not available: {reason}", file=sys.stderr)
        return 1
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="ktui-cp-"))
    started = time.monotonic()
    with ControlPlane.start(workdir) as cp:
        print(f"control plane up in {time.monotonic() - started:.1f}s", flush=True)
        namespaces = [f"bare-{index}" for index in range(args.namespaces)]
        for namespace in namespaces:
            cp.request(
                "POST",
                "/api/v1/namespaces",
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
            )
        local = threading.local()  # one keep-alive connection per pool thread

        def create(index: int) -> int:
            if not hasattr(local, "client"):
                local.client = KeepAliveClient(cp)
            namespace = namespaces[index % len(namespaces)]
            path = f"/api/v1/namespaces/{namespace}/pods"
            return int(local.client.send("POST", path, bare_pod(f"bare-{index:05d}", namespace))[0])

        started = time.monotonic()
        with ThreadPoolExecutor(args.threads) as pool:
            statuses = list(pool.map(create, range(args.pods)))
        failed = [s for s in statuses if s != 201]
        print(
            f"{len(statuses) - len(failed)} pods created in {time.monotonic() - started:.1f}s"
            + (f", {len(failed)} failed (HTTP {sorted(set(failed))})" if failed else ""),
            flush=True,
        )
        print(f"kubeconfig: {cp.kubeconfig_path} (context admin)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            sys.stdin.read()
    return 0


if __name__ == "__main__":
    sys.exit(main())
