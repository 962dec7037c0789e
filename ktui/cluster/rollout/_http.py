"""One JSON request through the `kubernetes` client's ApiClient, used only as a transport.

The ApiClient supplies the server URL, TLS settings and credentials; bodies go out as plain
JSON and answers come back as plain dicts (no model objects). Any failure becomes a
RolloutError whose message is the API server's Status `message` (or a one-line description of
a transport failure), never anything containing a credential.
"""

from __future__ import annotations

import json
from typing import Any

from ktui.cluster.errors import describe_api_error, one_line
from ktui.cluster.objects import JsonDict
from ktui.cluster.rollout.workload import RolloutError

__all__ = ["request_json"]


def _status_error(status: int, raw: bytes, reason_phrase: str | None) -> RolloutError:
    message = ""
    reason: str | None = None
    try:
        decoded = json.loads(raw.decode("utf-8", "replace")) if raw else None
    except ValueError:
        decoded = None
    if isinstance(decoded, dict):
        if isinstance(decoded.get("message"), str):
            message = decoded["message"]
        if isinstance(decoded.get("reason"), str):
            reason = decoded["reason"]
    if not message:
        snippet = one_line(raw.decode("utf-8", "replace"), 120) if raw else ""
        message = snippet or f"{reason_phrase or 'HTTP error'} ({status})"
    return RolloutError(message, status=status, reason=reason)


def request_json(
    api_client: Any,
    method: str,
    path: str,
    *,
    body: Any = None,
    content_type: str = "application/json",
    timeout: float | None = 30.0,
) -> JsonDict:
    """Send one request to `path` (e.g. "/apis/apps/v1/namespaces/ns/deployments/web") and
    return the decoded JSON answer; RolloutError on any non-2xx answer or transport failure."""
    header_params: dict[str, str] = {"Accept": "application/json"}
    if body is not None:
        header_params["Content-Type"] = content_type
    try:
        serialized = api_client.param_serialize(
            method=method,
            resource_path=path,
            header_params=header_params,
            body=body,
            auth_settings=["BearerToken"],
        )
        http_method, url, headers, request_body, post_params = serialized
        response = api_client.call_api(
            http_method,
            url,
            header_params=headers,
            body=request_body,
            post_params=post_params,
            _request_timeout=timeout,
        )
        raw = response.read() or b""
        status = int(response.status)
    except RolloutError:
        raise
    except Exception as exc:
        raise RolloutError(describe_api_error(exc)) from exc
    if not 200 <= status <= 299:
        raise _status_error(status, raw, getattr(response, "reason", None))
    try:
        decoded = json.loads(raw.decode("utf-8")) if raw else {}
    except ValueError as exc:
        raise RolloutError(f"malformed response from the API server: {exc}") from exc
    return decoded if isinstance(decoded, dict) else {}
