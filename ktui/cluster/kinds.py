"""The resource kinds ktui caches, and how each one is addressed on the API server."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class KindSpec:
    """One resource kind: where it lives and which API versions ktui can read it from."""

    kind: str
    group: str
    """The API group; "" is the core group (served under /api/v1)."""
    versions: tuple[str, ...]
    """Candidate versions in preference order; discovery picks the first one the server serves."""
    plural: str
    namespaced: bool

    def api_version(self, version: str) -> str:
        """The `apiVersion` string of an object of this kind served as `version`."""
        return f"{self.group}/{version}" if self.group else version

    def collection_path(self, version: str, namespace: str | None) -> str:
        """The URL path of this kind's collection: all namespaces when `namespace` is None."""
        base = f"/apis/{self.group}/{version}" if self.group else f"/api/{version}"
        if self.namespaced and namespace is not None:
            return f"{base}/namespaces/{quote(namespace, safe='')}/{self.plural}"
        return f"{base}/{self.plural}"


DEPLOYMENT = KindSpec("Deployment", "apps", ("v1",), "deployments", namespaced=True)
REPLICA_SET = KindSpec("ReplicaSet", "apps", ("v1",), "replicasets", namespaced=True)
STATEFUL_SET = KindSpec("StatefulSet", "apps", ("v1",), "statefulsets", namespaced=True)
DAEMON_SET = KindSpec("DaemonSet", "apps", ("v1",), "daemonsets", namespaced=True)
CONTROLLER_REVISION = KindSpec(
    "ControllerRevision", "apps", ("v1",), "controllerrevisions", namespaced=True
)
JOB = KindSpec("Job", "batch", ("v1",), "jobs", namespaced=True)
# batch/v1 CronJob is served from Kubernetes 1.21 on; 1.20 and older serve only v1beta1.
CRON_JOB = KindSpec("CronJob", "batch", ("v1", "v1beta1"), "cronjobs", namespaced=True)
POD = KindSpec("Pod", "", ("v1",), "pods", namespaced=True)
EVENT = KindSpec("Event", "", ("v1",), "events", namespaced=True)
NODE = KindSpec("Node", "", ("v1",), "nodes", namespaced=False)

ALL_KINDS: tuple[KindSpec, ...] = (
    DEPLOYMENT,
    REPLICA_SET,
    STATEFUL_SET,
    DAEMON_SET,
    CONTROLLER_REVISION,
    JOB,
    CRON_JOB,
    POD,
    EVENT,
    NODE,
)

KINDS_BY_NAME: dict[str, KindSpec] = {spec.kind: spec for spec in ALL_KINDS}


def kind_spec(kind: str) -> KindSpec:
    """The spec of a kind by its name (e.g. "Pod"); KeyError with the known names otherwise."""
    try:
        return KINDS_BY_NAME[kind]
    except KeyError:
        known = ", ".join(KINDS_BY_NAME)
        raise KeyError(f"unknown kind {kind!r} (known: {known})") from None
