"""The embedded cluster's node agent: the kubelet's part (like kwok), over any SimClient.

    agent = NodeAgent(client, ["node-1", "node-2"], timings=Timings(scale=0.01), seed=1)
    agent.start()          # nodes created (or adopted) and Ready when this returns
    agent.lose_node("node-2"); agent.restore_node("node-2")
    agent.stop()

`NodeAgent(client, node_names, *, clock=time.time, timings=Timings(), rng=None, seed=0,
create_nodes=True, node_lifecycle=True, log_store=None, register_logs=True, node_capacity=None,
kubelet_version="v1.30.0", status_writers=2, leases=True)`:

- owns the named nodes: creates them when absent (`create_nodes`), or adopts existing ones
  (keeping their addresses and pod CIDR), and keeps them Ready with a heartbeat every
  `timings.heartbeat` seconds (the Ready condition's lastHeartbeatTime, plus a
  coordination.k8s.io/v1 Lease in kube-node-lease when the server serves Leases);
- drives every pod bound to those nodes through the lifecycle of `ktui.sim.lifecycle` (read its
  docstring for the phases, conditions, restarts, back-offs and the `sim.ktui.dev/behavior`
  annotations), writing pod status through the status subresource (optimistic concurrency on
  the pod's resourceVersion, re-read on conflict), deleting terminated pods with grace 0, and
  posting core/v1 Events (aggregated and rate limited, source.component=kubelet, host=node);
- serves pods/log: `agent.log_source` is a `ktui.sim.logs.PodLogSource`; on start it becomes
  `log_store.log_source` (by default the store of a `LocalClient`; pass `register_logs=False`
  to leave the store alone). Over a real apiserver logs are not served (the apiserver would
  proxy to a kubelet port that does not exist);
- `lose_node(name)` silences a node's kubelet (no heartbeats, its pods freeze);
  `restore_node(name)` brings it back. With `node_lifecycle=True` (the embedded cluster, which
  has no kube-controller-manager) the agent also plays the node lifecycle controller: after
  `timings.node_monitor_grace` the node's conditions turn Unknown (NodeStatusUnknown), it gets
  the node.kubernetes.io/unreachable NoSchedule + NoExecute taints, its pods' Ready condition
  turns False, and after `timings.pod_eviction_timeout` (or a pod's tolerationSeconds for the
  unreachable taint) pods are marked `status.reason=NodeLost` and deleted gracefully — with no
  kubelet to finish the deletion they stay, shown by kubectl as `Unknown`, until the node comes
  back. Against a real control plane pass `node_lifecycle=False`: kube-controller-manager does
  that part there.

Everything runs on a few threads whatever the number of pods: one loop with a heap of due
times, one pod watch, `status_writers` status writers (writes coalesced per pod), one node
writer and the event posters. `stop()` returns promptly.
"""

from ktui.sim.lifecycle import Timings
from ktui.sim.nodeagent.agent import NodeAgent
from ktui.sim.nodeagent.events import EventRecorder

__all__ = ["EventRecorder", "NodeAgent", "Timings"]
