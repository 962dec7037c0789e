"""The embedded cluster's resource table: what the store serves and how discovery describes it.

`RESOURCES` maps `(group, resource)` to a `ResourceInfo`; `lookup()` finds one by key and
`by_path()` by the URL pieces of a request. `apply_defaults()` fills the fields the real apiserver
defaults on write (pod spec, workload strategies, ...), so that objects read back look like a real
cluster's and controllers can rely on them being present. Pod specs get v1.20's
pkg/apis/core/v1 defaults (SetDefaults_PodSpec, _Container with the image pull policy from
docker's reference grammar, _Probe, _HTTPGetAction, _Volume and the volume sources, field refs,
host-network ports) wherever they are: in pods and in every workload's pod template, so a
StatefulSet's revision hash covers the same template as on a real cluster. SetDefaults_Pod
(requests from limits, enableServiceLinks) applies to pods only.
"""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass, field
from typing import Any

from ktui.sim.selectors import selector_string

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


DAEMONSET_TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"
"""apps/v1's form of a DaemonSet's spec.templateGeneration (the store maintains it)."""
DEPLOYMENT_ROLLBACK_TO_ANNOTATION = "deprecated.deployment.rollback.to"
"""apps/v1's form of a Deployment's spec.rollbackTo (part of the spec inside the apiserver)."""


# --- defaulting (what the real apiserver fills on write) ----------------------------------------


# Docker's reference grammar (github.com/docker/distribution/reference), which the apiserver's
# image pull policy default parses image names with.
_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]*)"
_PATH_COMPONENT = rf"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*(?::[0-9]+)?"
_IMAGE_NAME = re.compile(rf"^(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*$")
_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_IMAGE_DIGEST = re.compile(r"^(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$")
_RESERVED_IMAGE_ID = re.compile(r"^[a-f0-9]{64}$")


def image_tag(image: str) -> str | None:
    """parsers.ParseImageName's tag: "latest" when the image names neither a tag nor a digest,
    "" with a digest only, None when docker's reference grammar does not parse it."""
    if _RESERVED_IMAGE_ID.match(image):
        return None
    name, at, digest = image.partition("@")
    if at and not _IMAGE_DIGEST.match(digest):
        return None
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = ""
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
        if not _IMAGE_TAG.match(tag):
            return None
    first, _, rest = name.partition("/")
    # ParseNormalizedNamed: everything after the registry must be lowercase.
    has_domain = bool(rest) and ("." in first or ":" in first or first == "localhost")
    path = rest if has_domain else name
    if path != path.lower() or len(name) > 255 or not _IMAGE_NAME.match(name):
        return None
    if not tag and not at:
        return "latest"
    return tag


def _default_str(obj: dict[str, Any], key: str, value: str) -> None:
    """A string field Go defaults when it is empty ("" and missing alike)."""
    if not obj.get(key):
        obj[key] = value


def _default_int(obj: dict[str, Any], key: str, value: int) -> None:
    """An int field Go defaults when it is 0 (0 and missing alike)."""
    if not obj.get(key):
        obj[key] = value


def _default_http_get(handler: Any) -> None:
    http_get = handler.get("httpGet") if isinstance(handler, dict) else None
    if isinstance(http_get, dict):
        _default_str(http_get, "path", "/")
        _default_str(http_get, "scheme", "HTTP")


def _default_probe(probe: Any) -> None:
    """SetDefaults_Probe and SetDefaults_HTTPGetAction."""
    if not isinstance(probe, dict):
        return
    _default_int(probe, "timeoutSeconds", 1)
    _default_int(probe, "periodSeconds", 10)
    _default_int(probe, "successThreshold", 1)
    _default_int(probe, "failureThreshold", 3)
    _default_http_get(probe)


def _default_field_ref(holder: Any) -> None:
    field_ref = holder.get("fieldRef") if isinstance(holder, dict) else None
    if isinstance(field_ref, dict):
        _default_str(field_ref, "apiVersion", "v1")


def _default_container(container: dict[str, Any], host_network: bool) -> None:
    """SetDefaults_Container plus what the generated defaulters do for its parts."""
    if not container.get("imagePullPolicy"):
        tag = image_tag(str(container.get("image") or ""))
        container["imagePullPolicy"] = "Always" if tag == "latest" else "IfNotPresent"
    _default_str(container, "terminationMessagePath", "/dev/termination-log")
    _default_str(container, "terminationMessagePolicy", "File")
    resources = container.setdefault("resources", {})
    if isinstance(resources, dict):
        for key in ("limits", "requests"):
            # Empty ResourceLists are omitted from Go's JSON.
            if key in resources and not resources[key]:
                del resources[key]
    for port in container.get("ports") or ():
        if isinstance(port, dict):
            _default_str(port, "protocol", "TCP")
            if host_network and not port.get("hostPort"):
                # With host networking every container port is a host port.
                port["hostPort"] = port.get("containerPort", 0)
    for env in container.get("env") or ():
        if isinstance(env, dict):
            _default_field_ref(env.get("valueFrom"))
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        _default_probe(container.get(probe))
    lifecycle = container.get("lifecycle")
    if isinstance(lifecycle, dict):
        for hook in ("postStart", "preStop"):
            _default_http_get(lifecycle.get(hook))


_DEFAULT_MODE = 420  # 0644
# (source, field, default, is a plain string in Go): strings are defaulted when empty, pointers
# only when missing.
_VOLUME_SOURCE_DEFAULTS: tuple[tuple[str, str, Any, bool], ...] = (
    ("secret", "defaultMode", _DEFAULT_MODE, False),
    ("configMap", "defaultMode", _DEFAULT_MODE, False),
    ("downwardAPI", "defaultMode", _DEFAULT_MODE, False),
    ("projected", "defaultMode", _DEFAULT_MODE, False),
    ("hostPath", "type", "", False),
    ("iscsi", "iscsiInterface", "default", True),
    ("rbd", "pool", "rbd", True),
    ("rbd", "user", "admin", True),
    ("rbd", "keyring", "/etc/ceph/keyring", True),
    ("azureDisk", "cachingMode", "ReadWrite", False),
    ("azureDisk", "kind", "Shared", False),
    ("azureDisk", "fsType", "ext4", False),
    ("azureDisk", "readOnly", False, False),
    ("scaleIO", "storageMode", "ThinProvisioned", True),
    ("scaleIO", "fsType", "xfs", True),
)


def _default_volume(volume: dict[str, Any]) -> None:
    """SetDefaults_Volume and the volume sources' defaults."""
    if not any(key != "name" and value is not None for key, value in volume.items()):
        volume["emptyDir"] = {}
    for source_key, key, value, is_string in _VOLUME_SOURCE_DEFAULTS:
        source = volume.get(source_key)
        if not isinstance(source, dict):
            continue
        if is_string:
            _default_str(source, key, value)
        else:
            source.setdefault(key, value)
    for item in (volume.get("downwardAPI") or {}).get("items") or ():
        _default_field_ref(item)
    for projection in (volume.get("projected") or {}).get("sources") or ():
        if not isinstance(projection, dict):
            continue
        for item in (projection.get("downwardAPI") or {}).get("items") or ():
            _default_field_ref(item)
        token = projection.get("serviceAccountToken")
        if isinstance(token, dict):
            token.setdefault("expirationSeconds", 3600)
    claim = (volume.get("ephemeral") or {}).get("volumeClaimTemplate")
    if isinstance(claim, dict) and isinstance(claim.get("spec"), dict):
        claim["spec"].setdefault("volumeMode", "Filesystem")


def default_pod_spec(spec: dict[str, Any], restart_policy: str = "Always") -> None:
    """SetDefaults_PodSpec and the defaults of its containers and volumes (what a pod template
    inside any workload gets, as well as a pod)."""
    _default_str(spec, "dnsPolicy", "ClusterFirst")
    _default_str(spec, "restartPolicy", restart_policy)
    spec.setdefault("securityContext", {})
    spec.setdefault("terminationGracePeriodSeconds", 30)
    _default_str(spec, "schedulerName", "default-scheduler")
    host_network = spec.get("hostNetwork") is True
    for volume in spec.get("volumes") or ():
        if isinstance(volume, dict):
            _default_volume(volume)
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(key) or ():
            if isinstance(container, dict):
                _default_container(container, host_network and key != "ephemeralContainers")


def _default_pod(spec: dict[str, Any]) -> None:
    """SetDefaults_Pod: what only a pod gets, not a pod template."""
    for key in ("containers", "initContainers"):
        for container in spec.get(key) or ():
            if not isinstance(container, dict):
                continue
            resources = container.get("resources")
            limits = resources.get("limits") if isinstance(resources, dict) else None
            # An empty limits map makes an empty requests map, which JSON leaves out.
            if isinstance(limits, dict) and limits and isinstance(resources, dict):
                requests = resources.setdefault("requests", {})
                if isinstance(requests, dict):
                    for name, value in limits.items():
                        requests.setdefault(name, value)
    spec.setdefault("enableServiceLinks", True)


def _default_template(spec: dict[str, Any]) -> None:
    template = spec.get("template")
    if isinstance(template, dict):
        template.setdefault("metadata", {})
        pod_spec = template.setdefault("spec", {})
        if isinstance(pod_spec, dict):
            default_pod_spec(pod_spec)


def _default_claim_templates(spec: dict[str, Any]) -> None:
    """SetDefaults_PersistentVolumeClaim(Spec) on a StatefulSet's volumeClaimTemplates."""
    for claim in spec.get("volumeClaimTemplates") or ():
        if not isinstance(claim, dict):
            continue
        claim_spec = claim.setdefault("spec", {})
        if isinstance(claim_spec, dict):
            claim_spec.setdefault("volumeMode", "Filesystem")
        status = claim.setdefault("status", {})
        if isinstance(status, dict):
            _default_str(status, "phase", "Pending")


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
        _default_pod(spec)
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
        _default_claim_templates(spec)
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


# --- server-side printing: the meta.k8s.io/v1 Table columns kubectl shows ------------------------


def _col(
    name: str, type_: str = "string", priority: int = 0, description: str = ""
) -> dict[str, Any]:
    fmt = "name" if name == "Name" else ""
    return {
        "name": name,
        "type": type_,
        "format": fmt,
        "description": description or name,
        "priority": priority,
    }


_NAME = _col("Name", description="Name must be unique within a namespace.")
_AGE = _col(
    "Age",
    description="CreationTimestamp is a timestamp representing the server time when this object"
    " was created.",
)
_WORKLOAD_EXTRA = [
    _col("Containers", priority=1),
    _col("Images", priority=1),
    _col("Selector", priority=1),
]

TABLE_COLUMNS: dict[ResourceKey, list[dict[str, Any]]] = {
    ("", "pods"): [
        _NAME,
        _col(
            "Ready", description="The aggregate readiness state of this pod for accepting traffic."
        ),
        _col("Status", description="The aggregate status of the containers in this pod."),
        _col(
            "Restarts",
            description="The number of times the containers in this pod have been"
            " restarted and when the last container in this pod has restarted.",
        ),
        _AGE,
        _col("IP", priority=1),
        _col("Node", priority=1),
        _col("Nominated Node", priority=1),
        _col("Readiness Gates", priority=1),
    ],
    ("", "namespaces"): [_NAME, _col("Status"), _AGE],
    ("", "nodes"): [
        _NAME,
        _col("Status"),
        _col("Roles"),
        _AGE,
        _col("Version"),
        _col("Internal-IP", priority=1),
        _col("External-IP", priority=1),
        _col("OS-Image", priority=1),
        _col("Kernel-Version", priority=1),
        _col("Container-Runtime", priority=1),
    ],
    ("", "events"): [
        _col("Last Seen"),
        _col("Type"),
        _col("Reason"),
        _col("Object"),
        _col("Subobject", priority=1),
        _col("Source", priority=1),
        _col("Message"),
        _col("First Seen", priority=1),
        _col("Count", priority=1),
        _col("Name", priority=1),
    ],
    ("apps", "deployments"): [
        _NAME,
        _col("Ready"),
        _col("Up-to-date", "integer"),
        _col("Available", "integer"),
        _AGE,
        *_WORKLOAD_EXTRA,
    ],
    ("apps", "replicasets"): [
        _NAME,
        _col("Desired", "integer"),
        _col("Current", "integer"),
        _col("Ready", "integer"),
        _AGE,
        *_WORKLOAD_EXTRA,
    ],
    ("apps", "statefulsets"): [_NAME, _col("Ready"), _AGE, *_WORKLOAD_EXTRA[:2]],
    ("apps", "daemonsets"): [
        _NAME,
        _col("Desired", "integer"),
        _col("Current", "integer"),
        _col("Ready", "integer"),
        _col("Up-to-date", "integer"),
        _col("Available", "integer"),
        _col("Node Selector"),
        _AGE,
        *_WORKLOAD_EXTRA,
    ],
    ("apps", "controllerrevisions"): [
        _NAME,
        _col("Controller"),
        _col("Revision", "integer"),
        _AGE,
    ],
    ("batch", "jobs"): [
        _NAME,
        _col("Status"),
        _col("Completions"),
        _col("Duration"),
        _AGE,
        *_WORKLOAD_EXTRA,
    ],
    ("batch", "cronjobs"): [
        _NAME,
        _col("Schedule"),
        _col("Timezone"),
        _col("Suspend", "boolean"),
        _col("Active", "integer"),
        _col("Last Schedule"),
        _AGE,
        *_WORKLOAD_EXTRA,
    ],
}


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration, as the AGE columns print it."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    s = int(seconds)
    if s < 60 * 2:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d{rest}h" if rest else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = hours // 24
        rest = days % 365
        return f"{days // 365}y{rest}d" if rest else f"{days // 365}y"
    return f"{hours // 24 // 365}y"


def _parse_time(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return float(calendar.timegm(time.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")))
    except ValueError:
        return None


def _since(value: Any, now: float) -> str:
    stamp = _parse_time(value)
    return "<unknown>" if stamp is None else human_duration(now - stamp)


def _containers_images(template_spec: dict[str, Any]) -> tuple[str, str]:
    containers = [c for c in template_spec.get("containers") or () if isinstance(c, dict)]
    return (
        ",".join(str(c.get("name", "")) for c in containers),
        ",".join(str(c.get("image", "")) for c in containers),
    )


def _selector_text(selector: Any) -> str:
    text = selector_string(selector) if isinstance(selector, dict) else ""
    return text or "<none>"


def _template_spec(spec: dict[str, Any]) -> dict[str, Any]:
    template = spec.get("template") or {}
    return template.get("spec") or {} if isinstance(template, dict) else {}


def pod_status_cells(pod: dict[str, Any], now: float) -> tuple[str, str, str]:
    """(READY, STATUS, RESTARTS) with kubectl's printPod rules as of Kubernetes 1.29+, native
    sidecars (init containers with restartPolicy Always) included: each counts in READY's total,
    and once started in READY when ready; after initialization RESTARTS is the sidecars' plus
    the regular containers'."""
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    meta = pod.get("metadata") or {}
    restarts = 0
    last_restart: float | None = None
    sidecar_restarts = 0
    last_sidecar_restart: float | None = None
    total = len(spec.get("containers") or ())
    ready = 0
    reason = status.get("reason") or status.get("phase") or ""

    def finished_at(container_status: dict[str, Any]) -> float | None:
        last = (container_status.get("lastState") or {}).get("terminated") or {}
        return _parse_time(last.get("finishedAt"))

    def note_restart(container_status: dict[str, Any]) -> None:
        nonlocal restarts, last_restart
        restarts += int(container_status.get("restartCount") or 0)
        finished = finished_at(container_status)
        if finished is not None and (last_restart is None or finished > last_restart):
            last_restart = finished

    init_specs = [c for c in (spec.get("initContainers") or ()) if isinstance(c, dict)]
    sidecars = {c.get("name") for c in init_specs if c.get("restartPolicy") == "Always"}
    total += len(sidecars)
    initializing = False
    init_statuses = status.get("initContainerStatuses") or ()
    init_count = len(init_specs)
    for index, container_status in enumerate(init_statuses):
        note_restart(container_status)
        is_sidecar = container_status.get("name") in sidecars
        if is_sidecar:
            sidecar_restarts += int(container_status.get("restartCount") or 0)
            finished = finished_at(container_status)
            if finished is not None and (
                last_sidecar_restart is None or finished > last_sidecar_restart
            ):
                last_sidecar_restart = finished
        state = container_status.get("state") or {}
        terminated = state.get("terminated")
        waiting = state.get("waiting")
        if terminated and terminated.get("exitCode") == 0:
            continue
        if is_sidecar and container_status.get("started") is True:
            # A started sidecar does not block initialization; it counts once ready.
            if container_status.get("ready") is True:
                ready += 1
            continue
        if terminated:
            if terminated.get("reason"):
                reason = "Init:" + str(terminated["reason"])
            elif terminated.get("signal"):
                reason = f"Init:Signal:{terminated['signal']}"
            else:
                reason = f"Init:ExitCode:{terminated.get('exitCode', 0)}"
        elif waiting and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = "Init:" + str(waiting["reason"])
        else:
            reason = f"Init:{index}/{init_count}"
        initializing = True
        break

    conditions = status.get("conditions") or ()
    pod_ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    initialized = next(
        (c.get("status") == "True" for c in conditions if c.get("type") == "Initialized"), False
    )
    if not initializing or initialized:
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        has_running = False
        for container_status in reversed(status.get("containerStatuses") or ()):
            note_restart(container_status)
            state = container_status.get("state") or {}
            waiting = state.get("waiting")
            terminated = state.get("terminated")
            if waiting and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif terminated and terminated.get("reason"):
                reason = str(terminated["reason"])
            elif terminated:
                if terminated.get("signal"):
                    reason = f"Signal:{terminated['signal']}"
                else:
                    reason = f"ExitCode:{terminated.get('exitCode', 0)}"
            elif container_status.get("ready") and state.get("running"):
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if pod_ready else "NotReady"

    if meta.get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"

    restart_text = str(restarts)
    if restarts and last_restart is not None:
        restart_text = f"{restarts} ({human_duration(now - last_restart)} ago)"
    return f"{ready}/{total}", reason, restart_text


def _job_status(job: dict[str, Any]) -> str:
    conditions = (job.get("status") or {}).get("conditions") or ()
    for kind, label in (
        ("Complete", "Complete"),
        ("Failed", "Failed"),
        ("FailureTarget", "FailureTarget"),
        ("SuccessCriteriaMet", "SuccessCriteriaMet"),
        ("Suspended", "Suspended"),
    ):
        if any(c.get("type") == kind and c.get("status") == "True" for c in conditions):
            return label
    if (job.get("metadata") or {}).get("deletionTimestamp"):
        return "Terminating"
    return "Running"


def table_cells(info: ResourceInfo, obj: dict[str, Any], now: float) -> list[Any]:
    """One Table row's cells for `obj`, matching TABLE_COLUMNS[info.key] (or NAME, AGE)."""
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    name = meta.get("name", "")
    age = _since(meta.get("creationTimestamp"), now)
    key = info.key
    if key == ("", "pods"):
        ready, reason, restarts = pod_status_cells(obj, now)
        gates = spec.get("readinessGates") or ()
        gates_text = "<none>"
        if gates:
            conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or ()}
            passed = sum(1 for g in gates if conditions.get(g.get("conditionType")) == "True")
            gates_text = f"{passed}/{len(gates)}"
        return [
            name,
            ready,
            reason,
            restarts,
            age,
            status.get("podIP") or "<none>",
            spec.get("nodeName") or "<none>",
            status.get("nominatedNodeName") or "<none>",
            gates_text,
        ]
    if key == ("", "namespaces"):
        return [name, status.get("phase", ""), age]
    if key == ("", "nodes"):
        node_conditions = status.get("conditions") or ()
        ready_cond = next((c for c in node_conditions if c.get("type") == "Ready"), None)
        state = "Unknown"
        if ready_cond is not None:
            state = "Ready" if ready_cond.get("status") == "True" else "NotReady"
        if spec.get("unschedulable"):
            state += ",SchedulingDisabled"
        labels = meta.get("labels") or {}
        roles = sorted(
            k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/")
        )
        addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or ()}
        node_info = status.get("nodeInfo") or {}
        return [
            name,
            state,
            ",".join(roles) or "<none>",
            age,
            node_info.get("kubeletVersion", ""),
            addresses.get("InternalIP") or "<none>",
            addresses.get("ExternalIP") or "<none>",
            node_info.get("osImage") or "<unknown>",
            node_info.get("kernelVersion") or "<unknown>",
            node_info.get("containerRuntimeVersion") or "<unknown>",
        ]
    if key == ("", "events"):
        involved = obj.get("involvedObject") or {}
        last = obj.get("lastTimestamp") or obj.get("eventTime") or meta.get("creationTimestamp")
        first = obj.get("firstTimestamp") or obj.get("eventTime")
        source = obj.get("source") or {}
        return [
            _since(last, now),
            obj.get("type", ""),
            obj.get("reason", ""),
            f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}",
            involved.get("fieldPath", ""),
            ", ".join(v for v in (source.get("component"), source.get("host")) if v)
            or obj.get("reportingComponent", ""),
            obj.get("message", ""),
            _since(first, now),
            int(obj.get("count") or 1),
            name,
        ]
    template_spec = _template_spec(spec)
    containers, images = _containers_images(template_spec)
    selector = _selector_text(spec.get("selector"))
    if key == ("apps", "deployments"):
        return [
            name,
            f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
            status.get("updatedReplicas", 0),
            status.get("availableReplicas", 0),
            age,
            containers,
            images,
            selector,
        ]
    if key == ("apps", "replicasets"):
        return [
            name,
            spec.get("replicas", 0),
            status.get("replicas", 0),
            status.get("readyReplicas", 0),
            age,
            containers,
            images,
            selector,
        ]
    if key == ("apps", "statefulsets"):
        return [
            name,
            f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
            age,
            containers,
            images,
        ]
    if key == ("apps", "daemonsets"):
        node_selector = template_spec.get("nodeSelector") or {}
        return [
            name,
            status.get("desiredNumberScheduled", 0),
            status.get("currentNumberScheduled", 0),
            status.get("numberReady", 0),
            status.get("updatedNumberScheduled", 0),
            status.get("numberAvailable", 0),
            ",".join(f"{k}={v}" for k, v in sorted(node_selector.items())) or "<none>",
            age,
            containers,
            images,
            selector,
        ]
    if key == ("apps", "controllerrevisions"):
        owner = next((r for r in meta.get("ownerReferences") or () if r.get("controller")), None)
        controller = "<none>"
        if owner is not None:
            group = str(owner.get("apiVersion", "")).split("/")[0]
            kind = str(owner.get("kind", "")).lower()
            qualified = f"{kind}.{group}" if "/" in str(owner.get("apiVersion", "")) else kind
            controller = f"{qualified}/{owner.get('name', '')}"
        return [name, controller, int(obj.get("revision") or 0), age]
    if key == ("batch", "jobs"):
        completions = spec.get("completions")
        succeeded = status.get("succeeded", 0)
        if completions is not None:
            completion_text = f"{succeeded}/{completions}"
        else:
            parallelism = spec.get("parallelism", 0)
            completion_text = (
                f"{succeeded}/1 of {parallelism}" if parallelism > 1 else (f"{succeeded}/1")
            )
        start = _parse_time(status.get("startTime"))
        end = _parse_time(status.get("completionTime"))
        duration = ""
        if start is not None:
            duration = human_duration((end if end is not None else now) - start)
        return [
            name,
            _job_status(obj),
            completion_text,
            duration,
            age,
            containers,
            images,
            selector,
        ]
    if key == ("batch", "cronjobs"):
        job_spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
        containers, images = _containers_images(_template_spec(job_spec))
        last = status.get("lastScheduleTime")
        return [
            name,
            spec.get("schedule", ""),
            spec.get("timeZone") or "<none>",
            bool(spec.get("suspend", False)),
            len(status.get("active") or ()),
            _since(last, now) if last else "<none>",
            age,
            containers,
            images,
            _selector_text(job_spec.get("selector")),
        ]
    return [name, age]


def table_columns(info: ResourceInfo) -> list[dict[str, Any]]:
    return TABLE_COLUMNS.get(info.key, [_NAME, _AGE])
