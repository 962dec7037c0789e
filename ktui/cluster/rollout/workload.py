"""The workload kinds that have rollouts, as kubectl names them, and the rollout error type.

The table is derived from the kind registry (`ktui.cluster.kinds`): every kind with `rollout`
set, addressed by any of its names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from ktui.cluster import kinds
from ktui.cluster.errors import KtuiError

__all__ = [
    "CHANGE_CAUSE_ANNOTATION",
    "DAEMON_SET",
    "DEPLOYMENT",
    "POD_TEMPLATE_HASH_LABEL",
    "RESTARTED_AT_ANNOTATION",
    "REVISION_ANNOTATION",
    "STATEFUL_SET",
    "RolloutError",
    "WorkloadKind",
    "kind_of",
    "workload_kind",
]

DEPLOYMENT: Final = kinds.DEPLOYMENT.kind
STATEFUL_SET: Final = kinds.STATEFUL_SET.kind
DAEMON_SET: Final = kinds.DAEMON_SET.kind

REVISION_ANNOTATION: Final = "deployment.kubernetes.io/revision"
CHANGE_CAUSE_ANNOTATION: Final = "kubernetes.io/change-cause"
POD_TEMPLATE_HASH_LABEL: Final = "pod-template-hash"
RESTARTED_AT_ANNOTATION: Final = "kubectl.kubernetes.io/restartedAt"


class RolloutError(KtuiError):
    """A rollout operation kubectl would refuse or that the API server rejected.

    `message` is kubectl's error text without the "error: " prefix kubectl prints before it;
    `status` is the HTTP status when the API server answered with an error, else None;
    `reason` is the Status object's `reason` (e.g. "Conflict", "Forbidden") when there was one.
    """

    def __init__(self, message: str, *, status: int | None = None, reason: str | None = None):
        super().__init__(message)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class WorkloadKind:
    """How kubectl names one workload kind in its output and error messages."""

    kind: str
    plural: str
    child_kind: str
    """The kind of the objects that hold its revisions (ReplicaSet or ControllerRevision)."""

    @property
    def printed(self) -> str:
        """The name kubectl's name printer uses: "deployment.apps"."""
        return f"{self.kind.lower()}.apps"

    @property
    def resource(self) -> str:
        """The resource string kubectl's errors use: "deployments.apps"."""
        return f"{self.plural}.apps"

    def object_path(self, namespace: str, name: str) -> str:
        return (
            f"/apis/apps/v1/namespaces/{quote(namespace, safe='')}/{self.plural}/"
            f"{quote(name, safe='')}"
        )


_KINDS: Final = {
    spec.kind: WorkloadKind(spec.kind, spec.plural, spec.child_kind or "")
    for spec in kinds.ALL_KINDS
    if spec.rollout
}


def workload_kind(kind: str) -> WorkloadKind:
    """The workload kind named `kind` ("Deployment", "deploy", "sts", ...); RolloutError else."""
    spec = kinds.kind_named(kind.strip().lower().removesuffix(".apps"))
    if spec is None or spec.kind not in _KINDS:
        only = ", ".join(_KINDS)
        raise RolloutError(f"rollout is not supported for kind {kind!r} (only {only})")
    return _KINDS[spec.kind]


def kind_of(obj: Mapping[str, Any], kind: str | None) -> WorkloadKind:
    """The kind of `obj`: `kind` if given, else the object's own `kind` field.

    Items of a list response carry no `kind`, hence the explicit argument.
    """
    name = kind if kind is not None else obj.get("kind")
    if not isinstance(name, str) or not name:
        raise RolloutError(
            "cannot tell the object's kind: it has no 'kind' field and none was given"
        )
    return workload_kind(name)
