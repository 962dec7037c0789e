"""The embedded cluster's resource table: what the store serves and how discovery describes it.

`RESOURCES` maps `(group, resource)` to a `ResourceInfo`; `lookup()` finds one by key and
`by_path()` by the URL pieces of a request. `apply_defaults()` fills the fields the real apiserver
defaults on write (pod spec, workload strategies, ...), so that objects read back look like a real
cluster's and controllers can rely on them being present.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ResourceKey = tuple[str, str]

STANDARD_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceInfo:
    group: str
    version: str
    resource: str
    """The plural, as in URLs: "pods", "deployments"."""
    kind: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    """Any of "status", "scale", "log"."""
    categories: tuple[str, ...] = ()
    has_generation: bool = True
    field_selectors: tuple[str, ...] = field(default=())
    """Field labels a fieldSelector may use besides metadata.name and metadata.namespace."""

    @property
    def key(self) -> ResourceKey:
        return (self.group, self.resource)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def qualified(self) -> str:
        """How error messages name the resource: "pods", "deployments.apps"."""
        return f"{self.resource}.{self.group}" if self.group else self.resource

    @property
    def qualified_kind(self) -> str:
        """How Invalid messages name the kind: "Pod", "Deployment.apps"."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    def selectable_fields(self) -> tuple[str, ...]:
        return ("metadata.name", "metadata.namespace", *self.field_selectors)


_WORKLOAD = ("all",)

RESOURCE_LIST: tuple[ResourceInfo, ...] = (
    ResourceInfo(
        "",
        "v1",
        "namespaces",
        "Namespace",
        "namespace",
        namespaced=False,
        short_names=("ns",),
        subresources=("status",),
        has_generation=False,
        field_selectors=("status.phase",),
    ),
    ResourceInfo(
        "",
        "v1",
        "nodes",
        "Node",
        "node",
        namespaced=False,
        short_names=("no",),
        subresources=("status",),
        has_generation=False,
        field_selectors=("spec.unschedulable",),
    ),
    ResourceInfo(
        "",
        "v1",
        "pods",
        "Pod",
        "pod",
        namespaced=True,
        short_names=("po",),
        subresources=("status", "log"),
        categories=_WORKLOAD,
        has_generation=False,
        field_selectors=(
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ),
    ),
    ResourceInfo(
        "",
        "v1",
        "events",
        "Event",
        "event",
        namespaced=True,
        short_names=("ev",),
        has_generation=False,
        field_selectors=(
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ),
    ),
    ResourceInfo(
        "apps",
        "v1",
        "deployments",
        "Deployment",
        "deployment",
        namespaced=True,
        short_names=("deploy",),
        subresources=("status", "scale"),
        categories=_WORKLOAD,
    ),
    ResourceInfo(
        "apps",
        "v1",
        "replicasets",
        "ReplicaSet",
        "replicaset",
        namespaced=True,
        short_names=("rs",),
        subresources=("status", "scale"),
        categories=_WORKLOAD,
        field_selectors=("status.replicas",),
    ),
    ResourceInfo(
        "apps",
        "v1",
        "statefulsets",
        "StatefulSet",
        "statefulset",
        namespaced=True,
        short_names=("sts",),
        subresources=("status", "scale"),
        categories=_WORKLOAD,
    ),
    ResourceInfo(
        "apps",
        "v1",
        "daemonsets",
        "DaemonSet",
        "daemonset",
        namespaced=True,
        short_names=("ds",),
        subresources=("status",),
        categories=_WORKLOAD,
    ),
    ResourceInfo(
        "apps",
        "v1",
        "controllerrevisions",
        "ControllerRevision",
        "controllerrevision",
        namespaced=True,
        has_generation=False,
    ),
    ResourceInfo(
        "batch",
        "v1",
        "jobs",
        "Job",
        "job",
        namespaced=True,
        subresources=("status",),
        categories=_WORKLOAD,
        field_selectors=("status.successful",),
    ),
    ResourceInfo(
        "batch",
        "v1",
        "cronjobs",
        "CronJob",
        "cronjob",
        namespaced=True,
        short_names=("cj",),
        subresources=("status",),
        categories=_WORKLOAD,
    ),
)

RESOURCES: dict[ResourceKey, ResourceInfo] = {info.key: info for info in RESOURCE_LIST}

GROUP_VERSIONS: dict[str, str] = {"": "v1", "apps": "v1", "batch": "v1"}
"""Every served group with its one (preferred) version."""


def lookup(group: str, resource: str) -> ResourceInfo:
    """The resource's info; KeyError for a resource the embedded cluster does not serve."""
    return RESOURCES[(group, resource)]


def by_path(group: str, version: str, resource: str) -> ResourceInfo | None:
    info = RESOURCES.get((group, resource))
    if info is None or info.version != version:
        return None
    return info


def verbs_for(info: ResourceInfo) -> list[str]:
    return list(STANDARD_VERBS)


def subresource_verbs(subresource: str) -> list[str]:
    if subresource == "log":
        return ["get"]
    return ["get", "patch", "update"]


# --- defaulting (what the real apiserver fills on write) ----------------------------------------


def _default_container(container: dict[str, Any]) -> None:
    image = str(container.get("image", ""))
    if "imagePullPolicy" not in container:
        last = image.rsplit("/", 1)[-1]
        tagged = ":" in last and not last.endswith(":latest")
        container["imagePullPolicy"] = "IfNotPresent" if (tagged or "@" in image) else "Always"
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    container.setdefault("resources", {})
    for port in container.get("ports") or ():
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")


def default_pod_spec(spec: dict[str, Any], restart_policy: str = "Always") -> None:
    spec.setdefault("restartPolicy", restart_policy)
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or ():
            if isinstance(container, dict):
                _default_container(container)


def _default_template(spec: dict[str, Any]) -> None:
    template = spec.get("template")
    if isinstance(template, dict):
        template.setdefault("metadata", {})
        pod_spec = template.setdefault("spec", {})
        if isinstance(pod_spec, dict):
            default_pod_spec(pod_spec)


def _default_job_spec(spec: dict[str, Any]) -> None:
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    spec.setdefault("parallelism", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    _default_template(spec)


def apply_defaults(info: ResourceInfo, obj: dict[str, Any]) -> None:
    """Fill defaulted fields in place (idempotent)."""
    spec = obj.get("spec")
    if info.key == ("", "pods"):
        if not isinstance(spec, dict):
            spec = obj["spec"] = {}
        default_pod_spec(spec)
        return
    if info.key == ("", "namespaces"):
        ns_spec = obj.setdefault("spec", {})
        if isinstance(ns_spec, dict):
            ns_spec.setdefault("finalizers", ["kubernetes"])
        return
    if not isinstance(spec, dict):
        return
    if info.key == ("apps", "deployments"):
        spec.setdefault("replicas", 1)
        strategy = spec.setdefault("strategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            rolling.setdefault("maxUnavailable", "25%")
            rolling.setdefault("maxSurge", "25%")
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        _default_template(spec)
    elif info.key == ("apps", "replicasets"):
        spec.setdefault("replicas", 1)
        _default_template(spec)
    elif info.key == ("apps", "statefulsets"):
        spec.setdefault("replicas", 1)
        spec.setdefault("podManagementPolicy", "OrderedReady")
        strategy = spec.setdefault("updateStrategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            strategy.setdefault("rollingUpdate", {}).setdefault("partition", 0)
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault(
            "persistentVolumeClaimRetentionPolicy",
            {"whenDeleted": "Retain", "whenScaled": "Retain"},
        )
        _default_template(spec)
    elif info.key == ("apps", "daemonsets"):
        strategy = spec.setdefault("updateStrategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            rolling.setdefault("maxUnavailable", 1)
            rolling.setdefault("maxSurge", 0)
        spec.setdefault("revisionHistoryLimit", 10)
        _default_template(spec)
    elif info.key == ("batch", "jobs"):
        _default_job_spec(spec)
    elif info.key == ("batch", "cronjobs"):
        spec.setdefault("concurrencyPolicy", "Allow")
        spec.setdefault("suspend", False)
        spec.setdefault("successfulJobsHistoryLimit", 3)
        spec.setdefault("failedJobsHistoryLimit", 1)
        job_template = spec.get("jobTemplate")
        if isinstance(job_template, dict):
            job_template.setdefault("metadata", {})
            job_spec = job_template.get("spec")
            if isinstance(job_spec, dict):
                _default_job_spec(job_spec)


def pod_qos_class(spec: dict[str, Any]) -> str:
    """BestEffort / Burstable / Guaranteed, as the apiserver computes status.qosClass."""
    containers = [c for c in (spec.get("containers") or []) if isinstance(c, dict)]
    containers += [c for c in (spec.get("initContainers") or []) if isinstance(c, dict)]
    any_set = False
    guaranteed = True
    for container in containers:
        resources = container.get("resources") or {}
        requests = resources.get("requests") or {}
        limits = resources.get("limits") or {}
        if requests or limits:
            any_set = True
        for name in ("cpu", "memory"):
            limit = limits.get(name)
            request = requests.get(name, limit)
            if limit is None or request != limit:
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"
