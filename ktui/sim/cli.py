"""`ktui sim`: the embedded cluster as a standalone API server, for kubectl and other tools.

    ktui sim --port 6443 --write-kubeconfig /tmp/sim.kubeconfig
    kubectl --kubeconfig /tmp/sim.kubeconfig get pods -A

Load for benchmarks: `--pods 10000 --events-per-second 1000` adds 10,000 running pods in
namespace `load` and changes 1,000 of them per second.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from types import FrameType

from ktui.cluster.errors import KtuiError
from ktui.gc_pacer import GcPacer
from ktui.sim.cluster import EmbeddedCluster
from ktui.sim.demo import RolloutDriver, load_scenario
from ktui.sim.load import Churn, create_load_pods


def run_sim(
    port: int,
    kubeconfig_path: str | None,
    *,
    pods: int = 0,
    events_per_second: int = 0,
    scenario: bool = True,
    rollouts: bool = True,
) -> int:
    _check_port(port)
    cluster = EmbeddedCluster(port=port)
    try:
        # The API server alone first: a busy port fails before any load is written.
        cluster.server.start()
    except OSError as exc:
        # SimServer's own message already names the address.
        message = f"cannot listen on 127.0.0.1:{port}: {exc.strerror}" if exc.strerror else exc
        raise KtuiError(str(message)) from None
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    driver = churn = None
    try:
        # Before the controllers start, so that they find each load ReplicaSet already complete.
        load_pods = create_load_pods(cluster.client, pods)
        cluster.start()
        if scenario:
            load_scenario(cluster)
            if rollouts:
                driver = RolloutDriver(cluster).start()
        churn = Churn(cluster.client, load_pods, events_per_second).start()
        if kubeconfig_path:
            cluster.write_kubeconfig(kubeconfig_path)
        print(f"ktui sim: serving on {cluster.url}", flush=True)
        if kubeconfig_path:
            print(f"ktui sim: kubeconfig written to {kubeconfig_path}", flush=True)
        if pods:
            print(
                f"ktui sim: {len(load_pods)} load pods in namespace 'load' "
                f"(server resident memory {resident_mib():.0f} MiB)",
                flush=True,
            )
        print("ktui sim: press Ctrl-C to stop", flush=True)
        # The store holds every object for the life of the process, as ktui's cache does:
        # the same pacer keeps full collections from walking it (seconds at 100,000 pods,
        # with every request waiting meanwhile).
        GcPacer().run_until(stop)
    finally:
        for part in (churn, driver):
            if part is not None:
                part.stop()
        cluster.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("ktui sim: stopped", file=sys.stderr)
    return 0


def resident_mib() -> float:
    """This process's resident set size (what serving `--pods N` costs, for the bench)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # not Linux: the peak, which is what ru_maxrss keeps (KiB on Linux/BSD)
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def _check_port(port: int) -> None:
    """Fail at once on a port that is taken: the server retries a bind for seconds (it is
    meant to get its own port back after a restart)."""
    if port == 0:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise KtuiError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
