"""The whole embedded cluster in one object: store, API server, controllers, scheduler, kubelets.

    with EmbeddedCluster(nodes=3) as cluster:
        cluster.write_kubeconfig(path)      # kubectl and ktui talk to it over HTTPS
        cluster.client.create(...)          # in-process writes, same semantics

Everything runs on a handful of threads in this process; `stop()` ends them all.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from ktui.sim.client import LocalClient
from ktui.sim.lifecycle import Timings
from ktui.sim.nodeagent import NodeAgent
from ktui.sim.scheduler import Scheduler
from ktui.sim.server import SimServer, tls_files
from ktui.sim.store import Store

log = logging.getLogger(__name__)


def node_names(count: int) -> list[str]:
    return [f"node-{i}" for i in range(1, count + 1)]


class EmbeddedCluster:
    def __init__(
        self,
        *,
        nodes: int = 3,
        port: int = 0,
        timings: Timings | None = None,
        clock: Callable[[], float] = time.time,
        seed: int = 0,
        token: str = "ktui-sim-token",
        node_capacity: dict[str, str] | None = None,
    ) -> None:
        self.store = Store(clock=clock)
        self.client = LocalClient(self.store)
        # `port` is the one kubeconfigs and `url` name: the TLS listener's when there is one
        # (kubectl sends no token over plain HTTP); the plain listener then takes any free port.
        tls = tls_files() is not None
        self.server = SimServer(
            port=0 if tls else port, tls_port=port if tls else 0, token=token, store=self.store
        )
        self.timings = timings or Timings()
        self.clock = clock
        self.seed = seed
        self.node_names = node_names(nodes)
        self._node_capacity = node_capacity
        self.agent: NodeAgent | None = None
        self.scheduler: Scheduler | None = None
        self.controllers: Any = None
        self._started = False

    def start(self) -> EmbeddedCluster:
        from ktui.sim.controllers.manager import ControllerManager

        self.server.start()
        self.agent = NodeAgent(
            self.client,
            self.node_names,
            clock=self.clock,
            timings=self.timings,
            seed=self.seed,
            node_capacity=self._node_capacity,
        )
        self.agent.start()
        self.scheduler = Scheduler(self.client, clock=self.clock)
        self.scheduler.start()
        self.controllers = ControllerManager(self.client, clock=self.clock)
        self.controllers.start()
        self._started = True
        return self

    def stop(self) -> None:
        for part in (self.controllers, self.scheduler, self.agent):
            if part is None:
                continue
            try:
                part.stop()
            except Exception:  # stopping must go on for the other parts
                log.exception("stopping %s failed", type(part).__name__)
        self.server.stop()
        self._started = False

    def __enter__(self) -> EmbeddedCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.server.https_url or self.server.url

    def write_kubeconfig(
        self, path: str, context: str = "ktui-demo", namespace: str | None = None
    ) -> str:
        return self.server.write_kubeconfig(path, context=context, namespace=namespace)
