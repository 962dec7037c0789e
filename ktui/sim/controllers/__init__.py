"""The embedded cluster's controllers: ports of kube-controller-manager v1.20's deployment,
replicaset, statefulset, daemonset, job, cronjob (v2) and pod GC controllers, running in-process
against a `SimClient`. Start them all with `ControllerManager(client).start()`."""

from ktui.sim.controllers.manager import ALL_CONTROLLERS, ControllerManager

__all__ = ["ALL_CONTROLLERS", "ControllerManager"]
