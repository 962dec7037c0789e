"""One object, whole, from the API server: what the YAML view and describe show.

The watch caches keep a slim projection of each object (`ktui.view.slim`); a screen that shows
the whole object asks for it with `fetch_object`, one `GET` of the object's path (as `kubectl get
KIND NAME -o json`), from a worker thread. A refusal or a failure is a `FetchError` whose message
is the line kubectl would print (`Error from server (NotFound): pods "web-1" not found`), or a
one-line description of a transport failure; never a credential.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from kubernetes.client.exceptions import ApiException

from ktui.cluster.errors import KtuiError, describe_api_error, is_lost_connection
from ktui.cluster.kinds import KINDS_BY_NAME
from ktui.cluster.objects import JsonDict
from ktui.cluster.pods import kubectl_error_message
from ktui.cluster.transport import open_request, read_body

__all__ = ["FetchError", "fetch_object", "object_path"]

FETCH_TIMEOUT = (5.0, 30.0)
"""(connect, read) seconds of one fetch."""


class FetchError(KtuiError):
    """The object could not be read: `message` is one line for the user; `status` the HTTP
    status of an error answer (403, 404...), None when the server did not answer;
    `lost_connection` when that was for want of a working link (worth asking again), not a
    TLS failure or an answer that is not an object."""

    def __init__(
        self, message: str, *, status: int | None = None, lost_connection: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        self.lost_connection = lost_connection


def object_path(kind: str, api_version: str, namespace: str, name: str) -> str:
    """The URL path of one object: `/api/v1/namespaces/NS/pods/NAME`,
    `/apis/apps/v1/namespaces/NS/deployments/NAME`, `/api/v1/nodes/NAME`.

    `kind` must be one of the kinds ktui caches (`ktui.cluster.kinds`); `api_version` is the
    object's own ("v1", "apps/v1", "batch/v1beta1")."""
    spec = KINDS_BY_NAME.get(kind)
    if spec is None:
        raise FetchError(f"cannot read {kind or 'an object'} {name!r}: not a kind ktui knows")
    version = api_version.rsplit("/", 1)[-1] if api_version else spec.versions[0]
    collection = spec.collection_path(version, namespace if spec.namespaced else None)
    return f"{collection}/{quote(name, safe='')}"


def fetch_object(
    api_client: Any,
    kind: str,
    api_version: str,
    namespace: str,
    name: str,
    *,
    timeout: tuple[float, float] = FETCH_TIMEOUT,
) -> JsonDict:
    """The object as the server has it now (one GET), `kind` and `apiVersion` filled in.

    Raises FetchError with kubectl's error line for an error answer (`Error from server
    (Forbidden): ...`, `Error from server (NotFound): ...`), or a one-line description of a
    transport failure (refused, timed out, TLS). Blocking: call it from a worker thread."""
    path = object_path(kind, api_version, namespace, name)
    plural = KINDS_BY_NAME[kind].plural
    try:
        response = open_request(api_client, "GET", path, timeout=timeout)
        obj = json.loads(read_body(response))
    except ApiException as exc:
        status = int(exc.status or 0)
        body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else exc.body
        if not status:  # the client's own error (TLS): no answer from the server
            raise FetchError(describe_api_error(exc)) from None
        headers = getattr(exc, "headers", None)
        content_type = headers.get("Content-Type") if headers is not None else None
        message, _reason = kubectl_error_message(
            status,
            body if isinstance(body, str) else "",
            verb="get",
            resource=plural,
            name=name,
            content_type=content_type if isinstance(content_type, str) else None,
        )
        raise FetchError(message, status=status) from None
    except ValueError as exc:
        raise FetchError(f"the server's answer for {plural} {name!r} is not JSON") from exc
    except Exception as exc:
        lost = is_lost_connection(exc)
        raise FetchError(describe_api_error(exc), lost_connection=lost) from exc
    if not isinstance(obj, dict):
        raise FetchError(f"the server's answer for {plural} {name!r} is not an object")
    obj.setdefault("kind", kind)
    obj.setdefault("apiVersion", api_version)
    return obj
