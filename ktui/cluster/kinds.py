"""The one kind registry: every kind ktui caches, how it is addressed on the API server, and
how people name it (short names and command aliases, the plural label, its child kind, whether it
has rollouts). Tables elsewhere (command words, header badges, rollout kinds, pane columns) are
derived from these entries, so adding a kind is one entry here plus its row function."""

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
    short: str = ""
    """The short name shown in tight places (header badges): "deploy", "rs", "pod"."""
    aliases: tuple[str, ...] = ()
    """Words that name this kind in commands (`:deploy`, `:sts`), besides its lowercase kind
    and plural, which always work."""
    label: str = ""
    """The plural label a pane title uses: "Deployments"."""
    child_kind: str | None = None
    """The kind the workloads pane shows below it (ReplicaSet, ControllerRevision, Job)."""
    workload: bool = False
    """Shown in the workloads pane."""
    rollout: bool = False
    """Has `rollout status|history|undo|restart` (Deployment, StatefulSet, DaemonSet)."""
    scalable: bool = False
    """Has a `/scale` subresource (`kubectl scale`): Deployment, StatefulSet, ReplicaSet."""

    @property
    def names(self) -> tuple[str, ...]:
        """Every word that names this kind, lowercase: the kind, its plural, its aliases."""
        return tuple(dict.fromkeys((self.kind.lower(), self.plural, *self.aliases)))

    def api_version(self, version: str) -> str:
        """The `apiVersion` string of an object of this kind served as `version`."""
        return f"{self.group}/{version}" if self.group else version

    def collection_path(self, version: str, namespace: str | None) -> str:
        """The URL path of this kind's collection: all namespaces when `namespace` is None."""
        base = f"/apis/{self.group}/{version}" if self.group else f"/api/{version}"
        if self.namespaced and namespace is not None:
            return f"{base}/namespaces/{quote(namespace, safe='')}/{self.plural}"
        return f"{base}/{self.plural}"


DEPLOYMENT = KindSpec(
    "Deployment",
    "apps",
    ("v1",),
    "deployments",
    namespaced=True,
    short="deploy",
    aliases=("deploy", "dp"),
    label="Deployments",
    child_kind="ReplicaSet",
    workload=True,
    rollout=True,
    scalable=True,
)
REPLICA_SET = KindSpec(
    "ReplicaSet",
    "apps",
    ("v1",),
    "replicasets",
    namespaced=True,
    short="rs",
    aliases=("rs",),
    label="ReplicaSets",
    scalable=True,
)
STATEFUL_SET = KindSpec(
    "StatefulSet",
    "apps",
    ("v1",),
    "statefulsets",
    namespaced=True,
    short="sts",
    aliases=("sts",),
    label="StatefulSets",
    child_kind="ControllerRevision",
    workload=True,
    rollout=True,
    scalable=True,
)
DAEMON_SET = KindSpec(
    "DaemonSet",
    "apps",
    ("v1",),
    "daemonsets",
    namespaced=True,
    short="ds",
    aliases=("ds",),
    label="DaemonSets",
    child_kind="ControllerRevision",
    workload=True,
    rollout=True,
)
CONTROLLER_REVISION = KindSpec(
    "ControllerRevision",
    "apps",
    ("v1",),
    "controllerrevisions",
    namespaced=True,
    short="rev",
    label="ControllerRevisions",
)
JOB = KindSpec(
    "Job", "batch", ("v1",), "jobs", namespaced=True, short="job", label="Jobs", workload=True
)
# batch/v1 CronJob is served from Kubernetes 1.21 on; 1.20 and older serve only v1beta1.
CRON_JOB = KindSpec(
    "CronJob",
    "batch",
    ("v1", "v1beta1"),
    "cronjobs",
    namespaced=True,
    short="cj",
    aliases=("cj",),
    label="CronJobs",
    child_kind="Job",
    workload=True,
)
POD = KindSpec(
    "Pod", "", ("v1",), "pods", namespaced=True, short="pod", aliases=("po",), label="Pods"
)
EVENT = KindSpec(
    "Event", "", ("v1",), "events", namespaced=True, short="ev", aliases=("ev",), label="Events"
)
NODE = KindSpec(
    "Node", "", ("v1",), "nodes", namespaced=False, short="node", aliases=("no",), label="Nodes"
)

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

WORKLOAD_KINDS: tuple[str, ...] = tuple(spec.kind for spec in ALL_KINDS if spec.workload)
"""The kinds of the workloads pane, in registry order."""
ROLLOUT_KINDS: tuple[str, ...] = tuple(spec.kind for spec in ALL_KINDS if spec.rollout)
CHILD_KINDS: tuple[str, ...] = tuple(
    dict.fromkeys(spec.child_kind for spec in ALL_KINDS if spec.child_kind)
)
"""The kinds shown below a workload (ReplicaSet, ControllerRevision, Job)."""
REVISION_KINDS: tuple[str, ...] = tuple(
    dict.fromkeys(spec.child_kind for spec in ALL_KINDS if spec.rollout and spec.child_kind)
)
"""The kinds that hold a rollout kind's revisions: ReplicaSet, ControllerRevision."""

_BY_WORD: dict[str, KindSpec] = {word: spec for spec in ALL_KINDS for word in spec.names}


def kind_named(word: str) -> KindSpec | None:
    """The kind a command word names ("deploy", "sts", "pods", "Deployment"), or None."""
    return _BY_WORD.get(word.strip().lower())


def short_name(kind: str) -> str:
    """The kind's short name ("deploy"), or the kind itself when it is not registered."""
    spec = KINDS_BY_NAME.get(kind)
    return spec.short if spec is not None and spec.short else kind


def kind_spec(kind: str) -> KindSpec:
    """The spec of a kind by its name (e.g. "Pod"); KeyError with the known names otherwise."""
    try:
        return KINDS_BY_NAME[kind]
    except KeyError:
        known = ", ".join(KINDS_BY_NAME)
        raise KeyError(f"unknown kind {kind!r} (known: {known})") from None
