"""The request and the error lines of `ktui.cluster.pods` (kubectl v1.32's `delete pod`)."""

from __future__ import annotations

import json

from ktui.cluster.pods import delete_options, kubectl_error_message


def status(code: int, reason: str, message: str) -> str:
    return json.dumps(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "details": {"name": "web-1", "kind": "pods"},
            "code": code,
        }
    )


def test_delete_options_are_kubectls() -> None:
    # `kubectl delete pod` / `--grace-period=0 --force`, as its -v=8 shows the body.
    assert delete_options(None) == {"propagationPolicy": "Background"}
    assert (
        json.dumps(delete_options(0))
        == '{"gracePeriodSeconds": 0, "propagationPolicy": "Background"}'
    )


def test_a_status_answer_is_error_from_server_with_its_reason() -> None:
    forbidden = (
        'pods "web-1" is forbidden: User "viewer" cannot delete resource "pods" in API group "" '
        'in the namespace "team"'
    )
    assert kubectl_error_message(
        403, status(403, "Forbidden", forbidden), verb="delete", resource="pods", name="web-1"
    ) == (f"Error from server (Forbidden): {forbidden}", "Forbidden")
    assert kubectl_error_message(
        404,
        status(404, "NotFound", 'pods "web-1" not found'),
        verb="delete",
        resource="pods",
        name="web-1",
    ) == ('Error from server (NotFound): pods "web-1" not found', "NotFound")
    # A Status without a reason; a 401 (kubectl asks to log in).
    assert kubectl_error_message(
        500, status(500, "", "etcd is down"), verb="delete", resource="pods", name="web-1"
    ) == ("Error from server: etcd is down", None)
    assert kubectl_error_message(
        401, status(401, "Unauthorized", "Unauthorized"), verb="delete", resource="pods", name="x"
    ) == ("error: You must be logged in to the server (Unauthorized)", "Unauthorized")


def test_an_answer_that_is_not_a_status_gets_client_gos_generic_text() -> None:
    def line(code: int, body: str, content_type: str | None = None) -> str:
        return kubectl_error_message(
            code, body, verb="delete", resource="pods", name="web-1", content_type=content_type
        )[0]

    assert line(404, "") == (
        "Error from server (NotFound): the server could not find the requested resource "
        "(delete pods web-1)"
    )
    assert line(502, "<html><body>Bad gateway</body></html>", "text/html") == (
        'Error from server (InternalError): an error on the server ("the server answered with '
        'an HTML page") has prevented the request from succeeding (delete pods web-1)'
    )
    assert line(403, "denied by proxy") == (
        "Error from server (Forbidden): denied by proxy (delete pods web-1)"
    )
    assert line(418, "") == (
        "Error from server (Unknown): the server responded with the status code 418 but did not "
        "return more information (delete pods web-1)"
    )
