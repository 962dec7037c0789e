"""Runs the embedded controllers, like kube-controller-manager, against a SimClient.

    manager = ControllerManager(LocalClient(store))          # or any SimClient (e.g. over HTTP)
    manager.start()          # informers listed and watching, workers running
    ...
    manager.stop()           # prompt: closes the watches, ends the workers

    with ControllerManager(client, clock=fake_clock) as manager:
        fake_clock.advance(60); manager.wake()     # re-check delayed work after moving a clock

The clock (epoch seconds) stamps conditions / startTime / schedule times and drives the
controller-clock delays: progress deadlines, minReadySeconds, activeDeadlineSeconds, cron
schedules, the pod GC quarantine. Error back-offs (and the Job pod-failure back-off) run in real
time so a stopped fake clock never stalls a retry.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from ktui.sim.client import SimClient
from ktui.sim.controllers.base import (
    Controller,
    ControllerContext,
    EventRecorder,
    InformerFactory,
)
from ktui.sim.controllers.cronjob import CronJobController
from ktui.sim.controllers.daemonset import DaemonSetController
from ktui.sim.controllers.deployment import DeploymentController
from ktui.sim.controllers.job import DEFAULT_BACKOFF, MAX_BACKOFF, JobController
from ktui.sim.controllers.podgc import QUARANTINE_SECONDS, TERMINATED_THRESHOLD, PodGCController
from ktui.sim.controllers.replicaset import ReplicaSetController
from ktui.sim.controllers.statefulset import StatefulSetController

log = logging.getLogger(__name__)

ALL_CONTROLLERS = (
    "deployment",
    "replicaset",
    "statefulset",
    "daemonset",
    "job",
    "cronjob",
    "podgc",
)


class ControllerManager:
    def __init__(
        self,
        client: SimClient,
        clock: Callable[[], float] = time.time,
        *,
        controllers: Iterable[str] = ALL_CONTROLLERS,
        events: bool = True,
        resync_period: float | None = 600.0,
        daemonset_binds_pods: bool = False,
        job_backoff: float = DEFAULT_BACKOFF,
        job_backoff_max: float = MAX_BACKOFF,
        pod_gc_quarantine: float = QUARANTINE_SECONDS,
        terminated_pod_threshold: int = TERMINATED_THRESHOLD,
        poll_interval: float = 0.2,
        sync_timeout: float = 30.0,
    ) -> None:
        """controllers: names from ALL_CONTROLLERS to run. resync_period: real seconds between
        full resyncs (None: never). daemonset_binds_pods: the DaemonSet controller binds its pods
        to their node itself (v1.20 leaves that to the scheduler)."""
        wanted = list(controllers)
        unknown = [name for name in wanted if name not in ALL_CONTROLLERS]
        if unknown:
            raise ValueError(f"unknown controllers: {', '.join(unknown)}")
        self.client = client
        self.clock = clock
        self.resync_period = resync_period
        self.sync_timeout = sync_timeout
        self.informers = InformerFactory(client)
        self.recorder = EventRecorder(client, clock, enabled=events)
        ctx = ControllerContext(
            client=client,
            informers=self.informers,
            recorder=self.recorder,
            clock=clock,
            poll_interval=poll_interval,
        )
        factories: dict[str, Callable[[], Controller]] = {
            "deployment": lambda: DeploymentController(ctx),
            "replicaset": lambda: ReplicaSetController(ctx),
            "statefulset": lambda: StatefulSetController(ctx),
            "daemonset": lambda: DaemonSetController(ctx, bind_pods=daemonset_binds_pods),
            "job": lambda: JobController(ctx, job_backoff, job_backoff_max),
            "cronjob": lambda: CronJobController(ctx),
            "podgc": lambda: PodGCController(ctx, pod_gc_quarantine, terminated_pod_threshold),
        }
        self.controllers: dict[str, Controller] = {name: factories[name]() for name in wanted}
        self._stop = threading.Event()
        self._resync_thread: threading.Thread | None = None
        self._started = False

    def start(self) -> None:
        """Register, list + watch, then run the workers (raises if the caches never fill)."""
        if self._started:
            return
        self._started = True
        for controller in self.controllers.values():
            controller.register()
        self.informers.start()
        if not self.informers.wait_for_sync(self.sync_timeout):
            self.stop()
            raise RuntimeError("controller caches did not sync")
        self.recorder.start()
        for controller in self.controllers.values():
            controller.start()
        if self.resync_period:
            self._resync_thread = threading.Thread(
                target=self._resync_loop, name="controller-resync", daemon=True
            )
            self._resync_thread.start()

    def _resync_loop(self) -> None:
        assert self.resync_period
        while not self._stop.wait(self.resync_period):
            for controller in self.controllers.values():
                try:
                    controller.resync()
                except Exception:
                    log.exception("%s resync failed", controller.name)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop everything; returns once the threads ended (or `timeout` passed)."""
        self._stop.set()
        for controller in self.controllers.values():
            controller.stop()
        self.informers.stop()
        self.recorder.stop(timeout=0.5)
        deadline = time.monotonic() + timeout
        for controller in self.controllers.values():
            controller.join(max(0.0, deadline - time.monotonic()))
        self.informers.join(max(0.0, deadline - time.monotonic()))
        if self._resync_thread is not None:
            self._resync_thread.join(max(0.0, deadline - time.monotonic()))

    def wake(self) -> None:
        """Re-check delayed work now (after moving a fake clock)."""
        for controller in self.controllers.values():
            controller.queue.wake()

    def idle(self) -> bool:
        """No controller has work queued or in progress (delayed work does not count)."""
        return all(c.queue.idle() for c in self.controllers.values())

    def __getitem__(self, name: str) -> Controller:
        return self.controllers[name]

    def __enter__(self) -> ControllerManager:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
