"""The namespaces a cluster has, asked for directly (not through a cache)."""

from __future__ import annotations

from typing import Any, Final

from ktui.cluster.objects import as_dict, name_of
from ktui.cluster.transport import RequestTimeout, get_json

__all__ = ["NAMESPACES_PATH", "list_namespace_names"]

NAMESPACES_PATH: Final = "/api/v1/namespaces"


def list_namespace_names(api_client: Any, *, timeout: RequestTimeout = (2.0, 3.0)) -> list[str]:
    """The names of every namespace, in the server's order (one GET of /api/v1/namespaces).

    Raises what the transport raises (`ApiException` when it is forbidden, urllib3/OS errors
    when the server is unreachable) and ValueError for a body that is not JSON."""
    listed = as_dict(get_json(api_client, NAMESPACES_PATH, timeout=timeout))
    names: list[str] = []
    for item in listed.get("items") or ():
        name = name_of(as_dict(item))
        if name:
            names.append(name)
    return names
