"""Which API version the server serves each kind at, from its discovery documents.

A group version being served is not enough: Kubernetes 1.20 serves `batch/v1` (for Jobs) but
serves CronJobs only at `batch/v1beta1`. So for each candidate version of a kind (in preference
order) the resource list `/apis/<group>/<version>` is checked for the kind's plural. The core
group is read from `/api/v1`, the other groups' versions from `/apis`.

Documents are fetched once and shared by every cache (under a lock, so ten caches starting at
once cause one fetch of each document); `invalidate()` forgets them (after a 404 that suggests
the server changed).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import urllib3
from kubernetes.client.exceptions import ApiException

from ktui.cluster.kinds import KindSpec
from ktui.cluster.transport import Timeout, get_json

NOT_SERVED_MESSAGE: Final = "not served by this server"

OnOpen = Callable[[urllib3.HTTPResponse], None]


@dataclass(frozen=True, slots=True)
class ServedVersion:
    spec: KindSpec
    version: str | None
    """The version to use; None when the server serves none of the kind's candidate versions."""

    @property
    def served(self) -> bool:
        return self.version is not None


class Discovery:
    def __init__(self, api_client: Any, *, timeout: Timeout = (5.0, 30.0)) -> None:
        self._api_client = api_client
        self._timeout = timeout
        self._lock = threading.Lock()
        self._group_versions: dict[str, tuple[str, ...]] | None = None
        # "<group>/<version>" (or "v1" for core) -> resource names; None: that version is absent.
        self._resources: dict[str, frozenset[str] | None] = {}

    def invalidate(self) -> None:
        with self._lock:
            self._group_versions = None
            self._resources.clear()

    def resolve(self, spec: KindSpec, *, on_open: OnOpen | None = None) -> ServedVersion:
        """The version `spec` is served at (version None: not served).

        Raises what the requests raise (ApiException, urllib3/OS errors) when a discovery
        document cannot be fetched; nothing is cached from a failed fetch.
        """
        with self._lock:
            if spec.group:
                served_versions = self._served_group_versions(on_open).get(spec.group, ())
            else:
                served_versions = spec.versions
            for version in spec.versions:
                if version not in served_versions:
                    continue
                resources = self._resource_names(spec.api_version(version), on_open)
                if resources is not None and spec.plural in resources:
                    return ServedVersion(spec, version)
            return ServedVersion(spec, None)

    def _served_group_versions(self, on_open: OnOpen | None) -> dict[str, tuple[str, ...]]:
        if self._group_versions is None:
            document = get_json(self._api_client, "/apis", timeout=self._timeout, on_open=on_open)
            self._group_versions = parse_group_list(document)
        return self._group_versions

    def _resource_names(self, group_version: str, on_open: OnOpen | None) -> frozenset[str] | None:
        if group_version in self._resources:
            return self._resources[group_version]
        path = f"/apis/{group_version}" if "/" in group_version else f"/api/{group_version}"
        try:
            document = get_json(self._api_client, path, timeout=self._timeout, on_open=on_open)
        except ApiException as exc:
            if exc.status != 404:
                raise
            names: frozenset[str] | None = None
        else:
            names = parse_resource_names(document)
        self._resources[group_version] = names
        return names


def parse_group_list(document: Any) -> dict[str, tuple[str, ...]]:
    """group name -> served versions, from an APIGroupList (`/apis`)."""
    if not isinstance(document, dict) or not isinstance(document.get("groups"), list):
        raise ValueError("malformed discovery document /apis: no groups list")
    groups: dict[str, tuple[str, ...]] = {}
    for group in document["groups"]:
        if not isinstance(group, dict) or not isinstance(group.get("name"), str):
            continue
        versions = [
            entry["version"]
            for entry in group.get("versions") or ()
            if isinstance(entry, dict) and isinstance(entry.get("version"), str)
        ]
        groups[group["name"]] = tuple(versions)
    return groups


def parse_resource_names(document: Any) -> frozenset[str]:
    """The resource names (plurals and subresources) of an APIResourceList."""
    if not isinstance(document, dict) or not isinstance(document.get("resources"), list):
        raise ValueError("malformed discovery document: no resources list")
    return frozenset(
        resource["name"]
        for resource in document["resources"]
        if isinstance(resource, dict) and isinstance(resource.get("name"), str)
    )
