"""The contract scenario (tests/contract_scenario.py) on the embedded cluster: its controllers,
scheduler and node agent must roll a 3-replica Deployment out (maxSurge 1, maxUnavailable 0) and
back with `kubectl rollout undo` exactly as the v1.20 kube-controller-manager does. The same
scenario runs on the real control plane in tests/e2e/test_contract.py, and both compare with
`EXPECTED_TRACE`; the normalisation (ReplicaSets named by first appearance, exact scaling steps,
first/last readyReplicas per spec value, live pods per phase) is described in
contract_scenario's docstring."""

from __future__ import annotations

from pathlib import Path

from contract_scenario import EXPECTED_TRACE, describe_differences, run_rollout_scenario

from ktui.sim.cluster import EmbeddedCluster
from ktui.sim.lifecycle import Timings


def test_rollout_and_undo_follow_the_controller_contract(tmp_path: Path) -> None:
    with EmbeddedCluster(nodes=3, timings=Timings(scale=0.05)) as cluster:
        kubeconfig = cluster.write_kubeconfig(str(tmp_path / "kubeconfig"), context="embedded")
        trace = run_rollout_scenario(kubeconfig, "embedded", namespace="contract")
    assert trace == EXPECTED_TRACE, describe_differences(trace, EXPECTED_TRACE)
