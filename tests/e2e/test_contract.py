"""The contract test of the embedded cluster against the real control plane (issue "A real
control plane in CI").

The rollout-and-undo scenario of tests/contract_scenario.py (a 3-replica Deployment, maxSurge 1 /
maxUnavailable 0, `kubectl set image`, then `kubectl rollout undo deployment/web`) runs on
kube-apiserver + kube-controller-manager + kube-scheduler v1.20.2 (ktui's node agent as their
kubelet, so pods become Ready) and on the embedded cluster; their normalised traces must be
equal, and equal to `EXPECTED_TRACE`, which spells the deployment controller's algorithm out.
Where they differ, the embedded cluster is what is wrong.

Normalised (details in contract_scenario's docstring): ReplicaSets are named rs1 / rs2 by first
appearance (no names, hashes, uids or timestamps); `scaling` is the exact joint sequence of the
ReplicaSets' spec.replicas per step (deterministic with maxSurge 1 / maxUnavailable 0);
`replica_sets` keeps each ReplicaSet's spec/readyReplicas states but only the first and last
readyReplicas while spec.replicas stays the same (how readiness of pods starting together is
batched into status writes is timing); `pod_phases` counts live pods (no deletionTimestamp) per
phase per ReplicaSet per step, exact in the rollout and undo steps (one pod starts at a time) and
only first/last in the create step (three pods start together); `revisions`, `history` and
`deployment` are the final annotations, `kubectl rollout history` rows and status.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from contract_scenario import EXPECTED_TRACE, describe_differences, run_rollout_scenario
from controlplane import ControlPlane

from ktui.sim.cluster import EmbeddedCluster
from ktui.sim.lifecycle import Timings

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def real_trace(control_plane: ControlPlane) -> dict[str, Any]:
    return run_rollout_scenario(str(control_plane.kubeconfig_path), "admin", namespace="contract")


def test_real_control_plane_follows_the_expected_trace(real_trace: dict[str, Any]) -> None:
    assert real_trace == EXPECTED_TRACE, describe_differences(real_trace, EXPECTED_TRACE)


def test_embedded_cluster_matches_the_real_control_plane(
    real_trace: dict[str, Any], tmp_path: Path
) -> None:
    with EmbeddedCluster(nodes=3, timings=Timings(scale=0.05)) as cluster:
        kubeconfig = cluster.write_kubeconfig(str(tmp_path / "kubeconfig"), context="embedded")
        embedded = run_rollout_scenario(kubeconfig, "embedded", namespace="contract")
    assert embedded == real_trace, describe_differences(embedded, real_trace)
