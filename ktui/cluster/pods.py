"""`kubectl delete pod` (v1.32), with kubectl's request, output line and error text.

`kubectl delete pod NAME` sends one DELETE with the DeleteOptions body
{"propagationPolicy":"Background"}: no grace period,
so the API server applies the pod's own `terminationGracePeriodSeconds` (the pod gets a
deletionTimestamp; the kubelet stops its containers, then the pod disappears). `--grace-period=0
--force` adds "gracePeriodSeconds": 0: the object is removed at once, without waiting for the
kubelet to confirm that the containers stopped.

kubectl prints `pod "NAME" deleted` (`pod "NAME" force deleted` with a grace period of 0) and, on
an error answer, `Error from server (Forbidden): pods "NAME" is forbidden: ...` (its
`StandardErrorMessage`): `PodError.message` is that line.
"""

from __future__ import annotations

import json
from typing import Any, Final
from urllib.parse import quote

from kubernetes.client.exceptions import ApiException

from ktui.cluster.errors import KtuiError, describe_api_error, error_body_text
from ktui.cluster.transport import open_request, read_body

__all__ = ["PodError", "delete_options", "delete_pod", "kubectl_error_message"]


class PodError(KtuiError):
    """A pod action the API server refused (or that could not reach it).

    `message` is the line kubectl prints on stderr; `status` the HTTP status of an error answer
    and `reason` its Status `reason` (e.g. "Forbidden", "NotFound"), else None.
    """

    def __init__(self, message: str, *, status: int | None = None, reason: str | None = None):
        super().__init__(message)
        self.status = status
        self.reason = reason


def delete_options(grace_period_seconds: int | None) -> dict[str, Any]:
    """The DeleteOptions body kubectl v1.32 sends (`--cascade=background`, its default)."""
    options: dict[str, Any] = {}
    if grace_period_seconds is not None:
        options["gracePeriodSeconds"] = grace_period_seconds
    options["propagationPolicy"] = "Background"
    return options


# apimachinery's NewGenericServerResponse: the reason and text client-go makes up for an error
# answer whose body is not a Status.
_GENERIC: Final[dict[int, tuple[str, str]]] = {
    400: ("BadRequest", "the server rejected our request for an unknown reason"),
    401: ("Unauthorized", "the server has asked for the client to provide credentials"),
    404: ("NotFound", "the server could not find the requested resource"),
    405: ("MethodNotAllowed", "the server does not allow this method on the requested resource"),
    409: ("Conflict", "the server reported a conflict"),
    422: ("Invalid", "the server rejected our request due to an error in our request"),
    429: (
        "TooManyRequests",
        "the server has received too many requests and has asked us to try again later",
    ),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
    504: (
        "Timeout",
        "the server was unable to return a response in the time allotted, but may still be "
        "processing the request",
    ),
}


def kubectl_error_message(
    status: int,
    body: str,
    *,
    verb: str,
    resource: str,
    name: str,
    content_type: str | None = None,
) -> tuple[str, str | None]:
    """(the line kubectl prints for an error answer, the Status reason) for `verb` (e.g.
    "delete") on `resource` ("pods") `name`."""
    decoded: Any = None
    try:
        decoded = json.loads(body) if body.strip() else None
    except ValueError:
        decoded = None
    if isinstance(decoded, dict) and decoded.get("kind") == "Status":
        message = str(decoded.get("message") or "")
        reason = str(decoded.get("reason") or "") or None
    else:
        text = error_body_text(body, content_type) if not isinstance(decoded, dict) else ""
        reason, message = _GENERIC.get(status, ("", ""))
        if status == 403:
            reason, message = "Forbidden", text
        elif not reason and status >= 500:
            reason, message = (
                "InternalError",
                (
                    f"an error on the server ({json.dumps(text)}) has prevented the request from "
                    "succeeding"
                ),
            )
        elif not reason:
            reason = "Unknown"
            message = (
                f"the server responded with the status code {status} but did not return more "
                "information"
            )
        message = f"{message} ({verb} {resource} {name})"
    if reason == "Unauthorized":
        return f"error: You must be logged in to the server ({message})", reason
    if reason:
        return f"Error from server ({reason}): {message}", reason
    return f"Error from server: {message}", None


def delete_pod(
    api_client: Any,
    namespace: str,
    name: str,
    *,
    grace_period_seconds: int | None = None,
    timeout: float | None = 30.0,
) -> str:
    """`kubectl delete pod NAME` (`grace_period_seconds=None`: the pod's own grace period) or
    `kubectl delete pod NAME --grace-period=0 --force` (`grace_period_seconds=0`). Returns
    kubectl's output line, `pod "NAME" deleted` / `pod "NAME" force deleted`; raises PodError
    with kubectl's error line. Does not wait for the pod to go (kubectl's `--wait=false`)."""
    path = f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(name, safe='')}"
    try:
        response = open_request(
            api_client,
            "DELETE",
            path,
            body=delete_options(grace_period_seconds),
            timeout=timeout,
        )
        read_body(response)
    except ApiException as exc:
        status = int(exc.status or 0)
        body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else exc.body
        headers = getattr(exc, "headers", None)
        content_type = headers.get("Content-Type") if headers is not None else None
        message, reason = kubectl_error_message(
            status,
            body if isinstance(body, str) else "",
            verb="delete",
            resource="pods",
            name=name,
            content_type=content_type if isinstance(content_type, str) else None,
        )
        raise PodError(message, status=status, reason=reason) from None
    except Exception as exc:
        raise PodError(describe_api_error(exc)) from exc
    operation = "force deleted" if grace_period_seconds == 0 else "deleted"
    return f'pod "{name}" {operation}'
