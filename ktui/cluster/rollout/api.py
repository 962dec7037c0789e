"""One JSON request of a rollout operation, through the one transport (`ktui.cluster.transport`).

The ApiClient supplies the server URL, TLS settings and credentials; bodies go out as plain
JSON and answers come back as plain dicts (no model objects). Any failure becomes a
RolloutError whose message is the API server's Status `message` (or a one-line description of
a transport failure), never anything containing a credential.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from kubernetes.client.exceptions import ApiException

from ktui.cluster.errors import HTML_BODY, describe_api_error, error_body_text
from ktui.cluster.objects import JsonDict
from ktui.cluster.rollout.workload import RolloutError
from ktui.cluster.transport import open_request, read_body

__all__ = ["request_object"]


def _status_line(status: int, reason_phrase: str | None) -> str:
    """ "502 Bad Gateway": the answer's own reason phrase, else the standard one."""
    phrase = reason_phrase
    if not phrase:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "HTTP error"
    return f"{status} {phrase}"


def _status_error(
    status: int, text: str, reason_phrase: str | None, content_type: str | None = None
) -> RolloutError:
    """The server's Status `message` (what kubectl prints); for any other body the status line
    and a short text, e.g. "502 Bad Gateway (the server answered with an HTML page)"."""
    message = ""
    reason: str | None = None
    try:
        decoded = json.loads(text) if text else None
    except ValueError:
        decoded = None
    if isinstance(decoded, dict):
        if isinstance(decoded.get("message"), str):
            message = decoded["message"]
        if isinstance(decoded.get("reason"), str):
            reason = decoded["reason"]
    if not message:
        line = _status_line(status, reason_phrase)
        body = "" if isinstance(decoded, dict) else error_body_text(text, content_type)
        if not body:
            message = line
        elif body == HTML_BODY:
            message = f"{line} ({body})"
        else:
            message = f"{line}: {body}"
    return RolloutError(message, status=status, reason=reason)


def request_object(
    api_client: Any,
    method: str,
    path: str,
    *,
    body: Any = None,
    content_type: str = "application/json",
    timeout: float | None = 30.0,
) -> JsonDict:
    """Send one request to `path` (e.g. "/apis/apps/v1/namespaces/ns/deployments/web") and
    return the decoded JSON answer ({} unless it is an object); RolloutError on any non-2xx
    answer or transport failure."""
    try:
        response = open_request(
            api_client, method, path, body=body, content_type=content_type, timeout=timeout
        )
        raw = read_body(response)
    except ApiException as exc:
        body_text = exc.body if isinstance(exc.body, str) else ""
        headers = getattr(exc, "headers", None)
        answer_type = headers.get("Content-Type") if headers is not None else None
        raise _status_error(
            int(exc.status),
            body_text,
            exc.reason,
            answer_type if isinstance(answer_type, str) else None,
        ) from None
    except RolloutError:
        raise
    except Exception as exc:
        raise RolloutError(describe_api_error(exc)) from exc
    try:
        decoded = json.loads(raw.decode("utf-8")) if raw else {}
    except ValueError as exc:
        raise RolloutError(f"malformed response from the API server: {exc}") from exc
    return decoded if isinstance(decoded, dict) else {}
