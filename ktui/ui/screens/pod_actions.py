"""Delete (`ctrl+d`) and kill (`ctrl+k`) a pod, each confirmed: the pods pane and the Pods view
of the main screen, and the pod detail screen.

Delete is `kubectl delete pod NAME` (the pod's own grace period); kill is `kubectl delete pod
NAME --grace-period=0 --force`. The request runs in a thread worker; its result is kubectl's
output line, a refusal kubectl's error line (`ktui.cluster.pods`). Both keys are mutating:
--readonly removes them, and pressed they say so in one line, like the rollout keys.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from textual import work
from textual.binding import Binding, BindingType

from ktui.cluster.errors import KtuiError, describe_api_error
from ktui.cluster.pods import delete_pod
from ktui.model.objects import name_of, namespace_of
from ktui.ui.screens.rollout import ConfirmScreen

if TYPE_CHECKING:
    from ktui.ui.app import KtuiApp

Obj = dict[str, Any]

POD_MUTATING_ACTIONS: Final = frozenset({"delete_pod", "kill_pod"})


def _read_only_binding(key: str, what: str, binding_id: str) -> Binding:
    # Same shape as the rollout keys' twins: live only under --readonly.
    return Binding(key, f"read_only('{what}')", f"{what} (read-only)", show=False, id=binding_id)


def pod_action_bindings(show: bool) -> list[BindingType]:
    """ctrl+d / ctrl+k and their read-only twins (`show`: in the footer)."""
    return [
        Binding("ctrl+d", "delete_pod", "Delete pod", show=show, id="pod.delete"),
        Binding("ctrl+k", "kill_pod", "Kill pod", show=show, id="pod.kill"),
        _read_only_binding("ctrl+d", "delete pod", "readonly.delete_pod"),
        _read_only_binding("ctrl+k", "kill pod", "readonly.kill_pod"),
    ]


def delete_question(pod: Obj) -> tuple[str, str]:
    """(title, body) of the delete confirmation."""
    name = name_of(pod)
    spec = pod.get("spec") or {}
    grace = spec.get("terminationGracePeriodSeconds")
    grace_text = f"{grace}s" if isinstance(grace, int) else "30s"
    return (
        f"Delete pod/{name}?",
        f"Like `kubectl delete pod {name}`: the pod gets its termination grace period "
        f"({grace_text}): its containers are sent SIGTERM, and SIGKILL when it runs out. "
        "A pod owned by a controller (ReplicaSet, StatefulSet, Job...) is replaced by it.",
    )


def kill_question(pod: Obj) -> tuple[str, str]:
    """(title, body) of the kill confirmation: what force means."""
    name = name_of(pod)
    return (
        f"Kill pod/{name} now (force, grace period 0)?",
        f"Like `kubectl delete pod {name} --grace-period=0 --force`: the pod object is removed "
        "from the API at once, without waiting for the kubelet to confirm that its containers "
        "stopped. They may keep running on the node for a while (indefinitely if the node is "
        "unreachable), and a controller may start a replacement alongside them (a StatefulSet: "
        "with the same name).",
    )


class PodActions:
    """Mixed into a Screen; `pod_action_target()` names the pod the keys act on (or None,
    having said why)."""

    if TYPE_CHECKING:

        @property
        def ktui(self) -> KtuiApp: ...

    def pod_action_target(self) -> Obj | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def pod_action_state(self, action: str) -> bool:
        """--readonly removes ctrl+d / ctrl+k (hidden from the footer and `?`); their twins then
        run `read_only`, which says so."""
        if action == "read_only":
            return self.ktui.readonly
        return not (action in POD_MUTATING_ACTIONS and self.ktui.readonly)

    def action_read_only(self, what: str) -> None:
        # As RolloutActions.action_read_only (the main screen has both; the words are the same).
        self.ktui.notify(f"read-only: {what} is disabled", severity="warning", timeout=4)

    def action_delete_pod(self) -> None:
        self._confirm_pod_deletion(None)

    def action_kill_pod(self) -> None:
        self._confirm_pod_deletion(0)

    def _confirm_pod_deletion(self, grace_period_seconds: int | None) -> None:
        pod = self.pod_action_target()
        if pod is None:
            return
        namespace, name = namespace_of(pod), name_of(pod)
        api = self.ktui.connection.api_client
        title, body = (kill_question if grace_period_seconds == 0 else delete_question)(pod)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._run_pod_action(
                    lambda: delete_pod(
                        api, namespace, name, grace_period_seconds=grace_period_seconds
                    )
                )

        self.ktui.push_screen(ConfirmScreen(title, body), confirmed)

    @work(thread=True, group="pod-action", exclusive=False, exit_on_error=False)
    def _run_pod_action(self, call: Callable[[], str]) -> None:
        try:
            result = call()
        except Exception as exc:  # kubectl's error line on screen, never a traceback
            message = exc.message if isinstance(exc, KtuiError) else describe_api_error(exc)
            self.ktui.call_from_thread(self.ktui.notify, message, severity="error")
            return
        self.ktui.call_from_thread(self.ktui.notify, result)
