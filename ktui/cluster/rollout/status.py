"""`kubectl rollout status` as a pure function of the workload object.

Mirrors kubectl v1.32's StatusViewers (pkg/polymorphichelpers/rollout_status.go) branch for
branch, so the UI can recompute the status on every watch event of the object and show exactly
what `kubectl rollout status` would print at that moment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ktui.cluster.gofmt import go_quote
from ktui.cluster.objects import as_dict, int_field, metadata, name_of, optional_int
from ktui.cluster.rollout.revisions import annotation_revision
from ktui.cluster.rollout.workload import DAEMON_SET, DEPLOYMENT, STATEFUL_SET, kind_of

__all__ = ["RolloutStatus", "is_rollout_complete", "rollout_status"]

_TIMED_OUT_REASON = "ProgressDeadlineExceeded"


@dataclass(frozen=True)
class RolloutStatus:
    """What `kubectl rollout status` says about one workload, plus numbers for progress bars.

    `message` is kubectl's text (newline included, "" when kubectl returns an error instead);
    `done` is kubectl's "stop watching" flag; `error` is the error kubectl would end with (it
    prints it as "error: <error>"); `failed` is True when the rollout itself failed (the
    Deployment exceeded its progress deadline) as opposed to status being unavailable, e.g. for
    the OnDelete strategy, where `done` is True and `error` is set but `failed` is False.
    """

    kind: str
    name: str
    message: str
    done: bool
    failed: bool
    error: str | None
    observed: bool
    """The controller has seen the latest spec (the generation checks kubectl makes)."""
    desired: int | None
    """Deployment/StatefulSet spec.replicas (None if unset); DaemonSet desiredNumberScheduled."""
    updated: int
    ready: int
    available: int
    old: int
    """Pods of older revisions still present (for a Deployment: replicas - updatedReplicas)."""


def rollout_status(
    obj: Mapping[str, Any], revision: int | None = None, *, kind: str | None = None
) -> RolloutStatus:
    """kubectl's StatusViewer.Status(obj, revision) for a Deployment, StatefulSet or DaemonSet.

    `kind` is needed only for objects without a `kind` field (items of a list response).
    `revision` (Deployments only, as in kubectl) makes a different running revision an error.
    """
    workload = kind_of(obj, kind)
    if workload.kind == DEPLOYMENT:
        return _deployment_status(obj, revision or 0)
    if workload.kind == DAEMON_SET:
        return _daemon_set_status(obj)
    return _stateful_set_status(obj)


def is_rollout_complete(obj: Mapping[str, Any], *, kind: str | None = None) -> bool:
    """True when `kubectl rollout status` would report success for `obj` right now."""
    status = rollout_status(obj, kind=kind)
    return status.done and status.error is None


def _deployment_status(obj: Mapping[str, Any], revision: int) -> RolloutStatus:
    name = name_of(obj)
    spec = as_dict(obj.get("spec"))
    status = as_dict(obj.get("status"))
    replicas = optional_int(spec.get("replicas"))
    status_replicas = int_field(status.get("replicas"))
    updated = int_field(status.get("updatedReplicas"))
    available = int_field(status.get("availableReplicas"))
    observed = int_field(metadata(obj).get("generation")) <= int_field(
        status.get("observedGeneration")
    )

    def result(
        message: str, done: bool, error: str | None = None, failed: bool = False
    ) -> RolloutStatus:
        return RolloutStatus(
            kind=DEPLOYMENT,
            name=name,
            message=message,
            done=done,
            failed=failed,
            error=error,
            observed=observed,
            desired=replicas,
            updated=updated,
            ready=int_field(status.get("readyReplicas")),
            available=available,
            old=max(0, status_replicas - updated),
        )

    if revision > 0:
        try:
            running = annotation_revision(obj)
        except ValueError as exc:
            return result(
                "", False, f"cannot get the revision of deployment {go_quote(name)}: {exc}"
            )
        if revision != running:
            return result(
                "",
                False,
                f"desired revision ({revision}) is different from the running revision ({running})",
            )
    if not observed:
        return result("Waiting for deployment spec update to be observed...\n", False)
    progressing = _condition(status, "Progressing")
    if progressing is not None and progressing.get("reason") == _TIMED_OUT_REASON:
        return result(
            "", False, f"deployment {go_quote(name)} exceeded its progress deadline", failed=True
        )
    quoted = go_quote(name)
    if replicas is not None and updated < replicas:
        return result(
            f"Waiting for deployment {quoted} rollout to finish: {updated} out of {replicas} "
            "new replicas have been updated...\n",
            False,
        )
    if status_replicas > updated:
        return result(
            f"Waiting for deployment {quoted} rollout to finish: {status_replicas - updated} "
            "old replicas are pending termination...\n",
            False,
        )
    if available < updated:
        return result(
            f"Waiting for deployment {quoted} rollout to finish: {available} of {updated} "
            "updated replicas are available...\n",
            False,
        )
    return result(f"deployment {quoted} successfully rolled out\n", True)


def _condition(status: Mapping[str, Any], condition_type: str) -> dict[str, Any] | None:
    for condition in status.get("conditions") or ():
        if isinstance(condition, dict) and condition.get("type") == condition_type:
            return condition
    return None


def _strategy_type(spec: Mapping[str, Any]) -> Any:
    return as_dict(spec.get("updateStrategy")).get("type")


_ONLY_ROLLING_UPDATE = "rollout status is only available for RollingUpdate strategy type"


def _daemon_set_status(obj: Mapping[str, Any]) -> RolloutStatus:
    name = name_of(obj)
    spec = as_dict(obj.get("spec"))
    status = as_dict(obj.get("status"))
    desired = int_field(status.get("desiredNumberScheduled"))
    updated = int_field(status.get("updatedNumberScheduled"))
    available = int_field(status.get("numberAvailable"))
    observed = int_field(metadata(obj).get("generation")) <= int_field(
        status.get("observedGeneration")
    )

    def result(message: str, done: bool, error: str | None = None) -> RolloutStatus:
        return RolloutStatus(
            kind=DAEMON_SET,
            name=name,
            message=message,
            done=done,
            failed=False,
            error=error,
            observed=observed,
            desired=desired,
            updated=updated,
            ready=int_field(status.get("numberReady")),
            available=available,
            old=max(0, int_field(status.get("currentNumberScheduled")) - updated),
        )

    if _strategy_type(spec) != "RollingUpdate":
        return result("", True, _ONLY_ROLLING_UPDATE)
    if not observed:
        return result("Waiting for daemon set spec update to be observed...\n", False)
    quoted = go_quote(name)
    if updated < desired:
        return result(
            f"Waiting for daemon set {quoted} rollout to finish: {updated} out of {desired} "
            "new pods have been updated...\n",
            False,
        )
    if available < desired:
        return result(
            f"Waiting for daemon set {quoted} rollout to finish: {available} of {desired} "
            "updated pods are available...\n",
            False,
        )
    return result(f"daemon set {quoted} successfully rolled out\n", True)


def _stateful_set_status(obj: Mapping[str, Any]) -> RolloutStatus:
    name = name_of(obj)
    spec = as_dict(obj.get("spec"))
    status = as_dict(obj.get("status"))
    replicas = optional_int(spec.get("replicas"))
    updated = int_field(status.get("updatedReplicas"))
    ready = int_field(status.get("readyReplicas"))
    observed_generation = int_field(status.get("observedGeneration"))
    observed = (
        observed_generation != 0
        and int_field(metadata(obj).get("generation")) <= observed_generation
    )

    def result(message: str, done: bool, error: str | None = None) -> RolloutStatus:
        return RolloutStatus(
            kind=STATEFUL_SET,
            name=name,
            message=message,
            done=done,
            failed=False,
            error=error,
            observed=observed,
            desired=replicas,
            updated=updated,
            ready=ready,
            available=int_field(status.get("availableReplicas")),
            old=max(0, int_field(status.get("replicas")) - updated),
        )

    strategy = as_dict(spec.get("updateStrategy"))
    if strategy.get("type") != "RollingUpdate":
        return result("", True, _ONLY_ROLLING_UPDATE)
    if not observed:
        return result("Waiting for statefulset spec update to be observed...\n", False)
    if replicas is not None and ready < replicas:
        return result(f"Waiting for {replicas - ready} pods to be ready...\n", False)
    rolling_update = strategy.get("rollingUpdate")
    if isinstance(rolling_update, dict):
        partition = optional_int(rolling_update.get("partition"))
        if replicas is not None and partition is not None and updated < replicas - partition:
            return result(
                f"Waiting for partitioned roll out to finish: {updated} out of "
                f"{replicas - partition} new pods have been updated...\n",
                False,
            )
        return result(
            f"partitioned roll out complete: {updated} new pods have been updated...\n", True
        )
    update_revision = str(status.get("updateRevision") or "")
    current_revision = str(status.get("currentRevision") or "")
    if update_revision != current_revision:
        return result(
            f"waiting for statefulset rolling update to complete {updated} pods at revision "
            f"{update_revision}...\n",
            False,
        )
    return result(
        f"statefulset rolling update complete {int_field(status.get('currentReplicas'))} pods "
        f"at revision {current_revision}...\n",
        True,
    )
