"""Realistic Pod objects, as a real API server returns them, for memory benchmarks and tests.

`realistic_pod(i)` is the JSON object (a dict) of the i-th pod of a fleet of Deployments: what a
production pod looks like, not the minimal pods of `ktui.sim.load`. Each one has an init
container, a native sidecar (an init container with `restartPolicy: Always`) and two regular
containers; env (values, secretKeyRef, configMapKeyRef, fieldRef), envFrom, ports, resources,
liveness / readiness / startup probes, volume mounts; volumes including the projected
service-account token (`kube-api-access-xxxxx`), a ConfigMap, a Secret and an emptyDir; the
Helm-style labels and annotations (with a `kubectl.kubernetes.io/last-applied-configuration`
on some), `managedFields` of the controller manager and of the kubelet, and a Running status
with its five conditions and every container's status.

Deterministic: the same `i` (and options) gives the same object. Pods of the same Deployment
share their template (images, env, probes) as pods of one ReplicaSet do; names, uids, IPs,
nodes, start times and container ids are the pod's own.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["realistic_pod", "realistic_pod_json", "realistic_pods"]

Obj = dict[str, Any]

_BASE = datetime(2026, 11, 1, 8, 0, 0, tzinfo=UTC)
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _suffix(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "".join(chars)


def _uid(*parts: object) -> str:
    return str(uuid.UUID(bytes=hashlib.md5(repr(parts).encode()).digest()))


def _probe(kind: str, port: int, path: str, delay: int) -> Obj:
    action: Obj
    if kind == "http":
        action = {"httpGet": {"path": path, "port": port, "scheme": "HTTP"}}
    elif kind == "tcp":
        action = {"tcpSocket": {"port": port}}
    else:
        action = {"exec": {"command": ["/bin/sh", "-c", f"test -f {path}"]}}
    return {
        **action,
        "initialDelaySeconds": delay,
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }


def _env(app: str, namespace: str) -> list[Obj]:
    return [
        {"name": "APP_NAME", "value": app},
        {"name": "APP_ENV", "value": "production"},
        {"name": "LOG_LEVEL", "value": "info"},
        {"name": "LOG_FORMAT", "value": "json"},
        {"name": "HTTP_PORT", "value": "8080"},
        {"name": "METRICS_PORT", "value": "9090"},
        {
            "name": "OTEL_EXPORTER_OTLP_ENDPOINT",
            "value": "http://otel-collector.observability:4317",
        },
        {"name": "OTEL_SERVICE_NAME", "value": app},
        {"name": "JAVA_TOOL_OPTIONS", "value": "-XX:MaxRAMPercentage=75 -XX:+UseG1GC"},
        {"name": "DATABASE_URL", "value": f"postgres://{app}@postgres.{namespace}:5432/{app}"},
        {
            "name": "DATABASE_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": f"{app}-db", "key": "password"}},
        },
        {
            "name": "FEATURE_FLAGS",
            "valueFrom": {"configMapKeyRef": {"name": f"{app}-flags", "key": "flags"}},
        },
        {
            "name": "POD_NAME",
            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
        },
        {
            "name": "POD_NAMESPACE",
            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}},
        },
        {
            "name": "POD_IP",
            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}},
        },
    ]


def _mounts(token_volume: str, extra: list[Obj]) -> list[Obj]:
    return [
        *extra,
        {
            "name": token_volume,
            "readOnly": True,
            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
        },
    ]


def _container_defaults() -> Obj:
    return {
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
    }


def _template(app: str, namespace: str, version: str, token_volume: str) -> Obj:
    """The pod spec of one Deployment (shared by its pods, but for the token volume name)."""
    registry = "registry.example.com/platform"
    security = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": 10001,
    }
    init = {
        "name": "migrate",
        "image": f"{registry}/{app}-migrations:{version}",
        "command": ["/app/migrate"],
        "args": ["--wait-for-db", "--timeout=120s", "up"],
        "env": _env(app, namespace)[:11],
        "resources": {
            "limits": {"cpu": "500m", "memory": "256Mi"},
            "requests": {"cpu": "100m", "memory": "128Mi"},
        },
        "volumeMounts": _mounts(token_volume, []),
        "securityContext": security,
        **_container_defaults(),
    }
    sidecar = {
        "name": "istio-proxy",
        "image": "docker.io/istio/proxyv2:1.24.2",
        "args": ["proxy", "sidecar", "--domain", f"{namespace}.svc.cluster.local"],
        "ports": [{"name": "http-envoy-prom", "containerPort": 15090, "protocol": "TCP"}],
        "env": [
            {"name": "PILOT_CERT_PROVIDER", "value": "istiod"},
            {"name": "CA_ADDR", "value": "istiod.istio-system.svc:15012"},
            {
                "name": "POD_NAME",
                "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
            },
            {"name": "ISTIO_META_APP_CONTAINERS", "value": f"{app},log-shipper"},
        ],
        "resources": {
            "limits": {"cpu": "2", "memory": "1Gi"},
            "requests": {"cpu": "100m", "memory": "128Mi"},
        },
        "readinessProbe": _probe("http", 15021, "/healthz/ready", 1),
        "startupProbe": _probe("http", 15021, "/healthz/ready", 0),
        "volumeMounts": _mounts(
            token_volume,
            [
                {"name": "istio-envoy", "mountPath": "/etc/istio/proxy"},
                {"name": "istio-data", "mountPath": "/var/lib/istio/data"},
            ],
        ),
        "restartPolicy": "Always",
        "securityContext": security,
        **_container_defaults(),
    }
    main = {
        "name": app,
        "image": f"{registry}/{app}:{version}",
        "ports": [
            {"name": "http", "containerPort": 8080, "protocol": "TCP"},
            {"name": "metrics", "containerPort": 9090, "protocol": "TCP"},
        ],
        "envFrom": [{"configMapRef": {"name": f"{app}-config"}}],
        "env": _env(app, namespace),
        "resources": {
            "limits": {"cpu": "1", "memory": "512Mi"},
            "requests": {"cpu": "250m", "memory": "256Mi"},
        },
        "livenessProbe": _probe("http", 8080, "/healthz", 10),
        "readinessProbe": _probe("http", 8080, "/ready", 5),
        "startupProbe": _probe("tcp", 8080, "", 0),
        "volumeMounts": _mounts(
            token_volume,
            [
                {"name": "config", "readOnly": True, "mountPath": "/etc/app"},
                {"name": "tls", "readOnly": True, "mountPath": "/etc/tls"},
                {"name": "tmp", "mountPath": "/tmp"},
            ],
        ),
        "securityContext": security,
        **_container_defaults(),
    }
    shipper = {
        "name": "log-shipper",
        "image": "docker.io/fluent/fluent-bit:3.2.4",
        "args": ["--config=/fluent-bit/etc/fluent-bit.yaml"],
        "resources": {
            "limits": {"memory": "128Mi"},
            "requests": {"cpu": "20m", "memory": "64Mi"},
        },
        "livenessProbe": _probe("exec", 0, "/tmp/healthy", 5),
        "volumeMounts": _mounts(token_volume, [{"name": "tmp", "mountPath": "/var/log/app"}]),
        **_container_defaults(),
    }
    volumes = [
        {"name": "config", "configMap": {"name": f"{app}-config", "defaultMode": 420}},
        {"name": "tls", "secret": {"secretName": f"{app}-tls", "defaultMode": 420}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
        {"name": "istio-envoy", "emptyDir": {"medium": "Memory"}},
        {"name": "istio-data", "emptyDir": {}},
        {
            "name": token_volume,
            "projected": {
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {
                        "configMap": {
                            "name": "kube-root-ca.crt",
                            "items": [{"key": "ca.crt", "path": "ca.crt"}],
                        }
                    },
                    {
                        "downwardAPI": {
                            "items": [
                                {
                                    "path": "namespace",
                                    "fieldRef": {
                                        "apiVersion": "v1",
                                        "fieldPath": "metadata.namespace",
                                    },
                                }
                            ]
                        }
                    },
                ],
                "defaultMode": 420,
            },
        },
    ]
    return {
        "volumes": volumes,
        "initContainers": [init, sidecar],
        "containers": [main, shipper],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "serviceAccountName": app,
        "serviceAccount": app,
        "securityContext": {"fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "affinity": {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "podAffinityTerm": {
                            "labelSelector": {
                                "matchLabels": {"app.kubernetes.io/name": app},
                            },
                            "topologyKey": "kubernetes.io/hostname",
                        },
                    }
                ]
            }
        },
        "schedulerName": "default-scheduler",
        "tolerations": [
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
            {
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
        ],
        "priority": 0,
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
    }


def _fields(paths: list[str]) -> Obj:
    """A fieldsV1 tree ("f:metadata" -> "f:labels" -> ...) for dotted paths."""
    tree: Obj = {}
    for path in paths:
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
    return tree


def _managed_fields(app: str, created: str, started: str, containers: list[str]) -> list[Obj]:
    spec_paths = [
        "f:metadata.f:generateName",
        "f:metadata.f:labels.f:app.kubernetes.io/name",
        "f:metadata.f:labels.f:app.kubernetes.io/instance",
        "f:metadata.f:labels.f:app.kubernetes.io/version",
        "f:metadata.f:labels.f:pod-template-hash",
        'f:metadata.f:ownerReferences.k:{"uid":"owner"}',
        "f:spec.f:dnsPolicy",
        "f:spec.f:enableServiceLinks",
        "f:spec.f:restartPolicy",
        "f:spec.f:schedulerName",
        "f:spec.f:securityContext.f:fsGroup",
        "f:spec.f:serviceAccount",
        "f:spec.f:serviceAccountName",
        "f:spec.f:terminationGracePeriodSeconds",
        'f:spec.f:volumes.k:{"name":"config"}.f:configMap.f:defaultMode',
        'f:spec.f:volumes.k:{"name":"tls"}.f:secret.f:secretName',
        'f:spec.f:volumes.k:{"name":"tmp"}.f:emptyDir.f:sizeLimit',
    ]
    for name in containers:
        base = f'f:spec.f:containers.k:{{"name":"{name}"}}'
        spec_paths += [
            f"{base}.f:image",
            f"{base}.f:imagePullPolicy",
            f"{base}.f:name",
            f"{base}.f:resources.f:limits.f:memory",
            f"{base}.f:resources.f:requests.f:cpu",
            f"{base}.f:terminationMessagePath",
            f"{base}.f:terminationMessagePolicy",
            f'{base}.f:volumeMounts.k:{{"mountPath":"/tmp"}}.f:name',
            f'{base}.f:env.k:{{"name":"APP_NAME"}}.f:value',
            f'{base}.f:env.k:{{"name":"LOG_LEVEL"}}.f:value',
        ]
    status_paths = [
        'f:status.f:conditions.k:{"type":"ContainersReady"}.f:lastTransitionTime',
        'f:status.f:conditions.k:{"type":"ContainersReady"}.f:status',
        'f:status.f:conditions.k:{"type":"Initialized"}.f:status',
        'f:status.f:conditions.k:{"type":"PodReadyToStartContainers"}.f:status',
        'f:status.f:conditions.k:{"type":"Ready"}.f:lastTransitionTime',
        'f:status.f:conditions.k:{"type":"Ready"}.f:status',
        "f:status.f:containerStatuses",
        "f:status.f:hostIP",
        "f:status.f:hostIPs",
        "f:status.f:initContainerStatuses",
        "f:status.f:phase",
        "f:status.f:podIP",
        'f:status.f:podIPs.k:{"ip":"ip"}.f:ip',
        "f:status.f:startTime",
    ]
    return [
        {
            "manager": "kube-controller-manager",
            "operation": "Update",
            "apiVersion": "v1",
            "time": created,
            "fieldsType": "FieldsV1",
            "fieldsV1": _fields(spec_paths),
        },
        {
            "manager": "kubelet",
            "operation": "Update",
            "apiVersion": "v1",
            "time": started,
            "fieldsType": "FieldsV1",
            "fieldsV1": _fields(status_paths),
            "subresource": "status",
        },
    ]


def _running(name: str, image: str, started: str, container_id: str, **extra: Any) -> Obj:
    return {
        "name": name,
        "state": {"running": {"startedAt": started}},
        "lastState": {},
        "ready": True,
        "restartCount": 0,
        "image": image,
        "imageID": image.split(":")[0] + "@sha256:" + hashlib.sha256(image.encode()).hexdigest(),
        "containerID": f"containerd://{container_id}",
        "started": True,
        **extra,
    }


_PER_POD = (
    "name",
    "uid",
    "rv",
    "created",
    "started",
    "init_done",
    "ready",
    "token",
    "node",
    "ip",
    "host_ip",
    "id0",
    "id1",
    "id2",
    "id3",
)
"""The values each pod has of its own; the rest of its JSON is its Deployment's."""
_SENTINEL = re.compile(r"@@([a-z_0-9]+)@@")


def _build(group: int, seed: int, last_applied: bool, v: dict[str, str]) -> Obj:
    """The pod object of Deployment `group`, with the per-pod values `v` (see `_PER_POD`)."""
    namespace = f"team-{group % 20:02d}"
    app = f"svc-{group:04d}"
    version = f"1.{group % 7}.{(group * 3) % 11}"
    template_hash = _suffix(group * 7919 + seed, 10)
    rs_name = f"{app}-{template_hash}"
    name = v["name"]
    spec = _template(app, namespace, version, v["token"])
    spec["nodeName"] = v["node"]
    labels = {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/instance": f"{app}-prod",
        "app.kubernetes.io/version": version,
        "app.kubernetes.io/component": "api" if group % 2 else "worker",
        "app.kubernetes.io/part-of": f"team-{group % 20:02d}",
        "security.istio.io/tlsMode": "istio",
        "service.istio.io/canonical-name": app,
        "pod-template-hash": template_hash,
    }
    annotations = {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "9090",
        "prometheus.io/path": "/metrics",
        "checksum/config": hashlib.sha256(f"{app}-config".encode()).hexdigest(),
        "kubectl.kubernetes.io/default-container": app,
        "kubectl.kubernetes.io/restartedAt": _ts(_BASE),
        "istio.io/rev": "default",
    }
    if last_applied:  # a pod created by `kubectl apply` of a bare Pod carries its whole manifest
        annotations["kubectl.kubernetes.io/last-applied-configuration"] = (
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"labels": labels, "name": name, "namespace": namespace},
                    "spec": {"containers": spec["containers"]},
                },
                separators=(",", ":"),
            )
            + "\n"
        )
    init, sidecar = spec["initContainers"]
    main, shipper = spec["containers"]
    start_text, ready_text, init_done = v["started"], v["ready"], v["init_done"]
    conditions: list[Obj] = [
        {"type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": start_text},
        {"type": "Initialized", "status": "True", "lastTransitionTime": init_done},
        {"type": "Ready", "status": "True", "lastTransitionTime": ready_text},
        {"type": "ContainersReady", "status": "True", "lastTransitionTime": ready_text},
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": v["created"]},
    ]
    for condition in conditions:
        condition["lastProbeTime"] = None
    status = {
        "phase": "Running",
        "conditions": conditions,
        "hostIP": v["host_ip"],
        "hostIPs": [{"ip": v["host_ip"]}],
        "podIP": v["ip"],
        "podIPs": [{"ip": v["ip"]}],
        "startTime": start_text,
        "initContainerStatuses": [
            {
                **_running(init["name"], init["image"], start_text, v["id0"]),
                "state": {
                    "terminated": {
                        "exitCode": 0,
                        "reason": "Completed",
                        "startedAt": start_text,
                        "finishedAt": init_done,
                        "containerID": f"containerd://{v['id0']}",
                    }
                },
                "ready": True,
                "started": False,
            },
            _running(sidecar["name"], sidecar["image"], init_done, v["id1"]),
        ],
        "containerStatuses": [
            _running(main["name"], main["image"], ready_text, v["id2"]),
            _running(shipper["name"], shipper["image"], ready_text, v["id3"]),
        ],
        "qosClass": "Burstable",
    }
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "generateName": f"{rs_name}-",
            "namespace": namespace,
            "uid": v["uid"],
            "resourceVersion": v["rv"],
            "creationTimestamp": v["created"],
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": rs_name,
                    "uid": _uid("rs", seed, group),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
            "managedFields": _managed_fields(
                app, v["created"], ready_text, [main["name"], shipper["name"]]
            ),
        },
        "spec": spec,
        "status": status,
    }


@functools.lru_cache(maxsize=64)
def _pieces(group: int, seed: int, last_applied: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The compact JSON of a pod of Deployment `group`, cut at its per-pod values: (the texts
    between them, the names of the values), for `realistic_pod_json` to join."""
    text = json.dumps(
        _build(group, seed, last_applied, {key: f"@@{key}@@" for key in _PER_POD}),
        separators=(",", ":"),
    )
    parts = _SENTINEL.split(text)
    return tuple(parts[0::2]), tuple(parts[1::2])


def _values(i: int, group: int, nodes: int, seed: int) -> dict[str, str]:
    rs_name = f"svc-{group:04d}-{_suffix(group * 7919 + seed, 10)}"
    created = _BASE + timedelta(seconds=(i * 37) % 2_000_000)
    started = created + timedelta(seconds=2)
    ids = hashlib.sha256(f"{seed}-{i}".encode()).hexdigest()
    ids2 = hashlib.sha256(ids.encode()).hexdigest()
    node = i % nodes
    return {
        "name": f"{rs_name}-{_suffix(i * 104729 + seed, 5)}",
        "uid": _uid("pod", seed, i),
        "rv": str(1_000_000 + i),
        "created": _ts(created),
        "started": _ts(started),
        "init_done": _ts(started + timedelta(seconds=6)),
        "ready": _ts(started + timedelta(seconds=14)),
        "token": f"kube-api-access-{_suffix(i * 31 + seed, 5)}",
        "node": f"ip-10-0-{node // 250}-{node % 250}.ec2.internal",
        "ip": f"10.{100 + (i >> 16) % 100}.{(i >> 8) % 256}.{i % 256}",
        "host_ip": f"10.0.{node // 250}.{node % 250}",
        "id0": ids,
        "id1": ids2,
        "id2": ids[32:] + ids2[:32],
        "id3": ids2[32:] + ids[:32],
    }


def realistic_pod_json(i: int, *, replicas: int = 10, nodes: int = 200, seed: int = 0) -> str:
    """The compact JSON text of `realistic_pod(i, ...)` (fast: a pod's Deployment's text, with
    its own values put in)."""
    group = i // max(1, replicas)
    texts, keys = _pieces(group, seed, i % 4 == 0)
    values = _values(i, group, nodes, seed)
    out = [texts[0]]
    for key, text in zip(keys, texts[1:], strict=True):
        out.append(values[key])
        out.append(text)
    return "".join(out)


def realistic_pod(i: int, *, replicas: int = 10, nodes: int = 200, seed: int = 0) -> Obj:
    """The i-th pod of a fleet of Deployments of `replicas` pods each (pods i // replicas
    belong to the same one, as a list returns them: by namespace, then name), over 20
    namespaces and `nodes` nodes, Running and Ready, as `GET /api/v1/namespaces/NS/pods/NAME`
    returns it (a fresh dict: the caller may change it). One in four carries a
    `kubectl.kubernetes.io/last-applied-configuration` annotation."""
    document: Obj = json.loads(realistic_pod_json(i, replicas=replicas, nodes=nodes, seed=seed))
    return document


def realistic_pods(count: int, *, start: int = 0, **options: Any) -> list[Obj]:
    return [realistic_pod(i, **options) for i in range(start, start + count)]
