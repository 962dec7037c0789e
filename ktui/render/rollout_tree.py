"""The rollout tree as Rich text: the budget drawn against the replica counts, then each revision
with its ReplicaSet / ControllerRevision and its pods (glyph, STATUS, ready x/y, restarts).

Every string that came from the cluster goes through `safe_text`.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text

from ktui.render.cells import SEVERITY_STYLE
from ktui.render.safe import safe_text
from ktui.view.pod import Severity
from ktui.view.rollout_tree import Budget, PodNode, RevisionNode, RolloutTree

MAX_CELLS = 40
"""Wider than this, the budget is told in numbers only."""

POD_GLYPH: Mapping[Severity, str] = {
    Severity.OK: "✔",
    Severity.DONE: "·",
    Severity.PROGRESS: "◌",
    Severity.WARNING: "⚠",
    Severity.ERROR: "✖",
}
TERMINATING_GLYPH = "⊘"


def _how(spec: str, value: int, desired: int, rounding: str) -> str:
    if spec.endswith("%"):
        return f"{value} ({spec} of {desired}, rounded {rounding})"
    return str(value)


def _cells(text: Text, count: int, glyph: str, style: str) -> None:
    if count > 0:
        text.append(glyph * count, style=style)


def _pods_line(budget: Budget) -> Text:
    """Deployment: the ReplicaSets' replicas against replicas + maxSurge."""
    text = Text(no_wrap=True)
    text.append(f"{'pods':<11}", style="bold")
    max_pods = budget.max_pods
    assert max_pods is not None and budget.max_surge is not None
    width = max(max_pods, budget.pods)
    if width <= MAX_CELLS:
        in_desired = min(budget.pods, budget.desired)
        _cells(text, in_desired, "■", "green")
        _cells(text, budget.desired - in_desired, "□", "bright_black")
        if budget.max_surge or budget.pods > budget.desired:
            text.append("┊", style="bright_black")
        surging = max(0, min(budget.pods, max_pods) - budget.desired)
        _cells(text, surging, "■", "yellow")
        _cells(text, budget.max_surge - surging, "□", "yellow")
        _cells(text, budget.pods - max_pods, "■", "bold red")
        text.append(" ")
    style = "bold red" if budget.pods > max_pods else ""
    text.append(f"{budget.pods}", style=style)
    text.append(
        f" of at most {max_pods} = {budget.desired} replicas + maxSurge "
        f"{_how(budget.surge_spec, budget.max_surge, budget.desired, 'up')}",
        style="bright_black",
    )
    return text


def _available_line(budget: Budget, unit: str) -> Text:
    text = Text(no_wrap=True)
    text.append(f"{'available':<11}", style="bold")
    minimum = budget.min_available
    assert minimum is not None and budget.max_unavailable is not None
    if budget.desired <= MAX_CELLS:
        shown = min(budget.available, budget.desired)
        _cells(text, shown, "■", "green")
        # Empty slots the budget allows, then (red) the ones it does not.
        allowed = max(0, budget.desired - max(shown, minimum))
        _cells(text, max(0, minimum - shown), "□", "bold red")
        _cells(text, allowed, "□", "bright_black")
        text.append(" ")
    short = budget.available < minimum
    text.append(f"{budget.available}", style="bold red" if short else "")
    rounding = "up" if budget.kind == "DaemonSet" else "down"
    text.append(
        f" of at least {minimum} = {budget.desired} {unit} - maxUnavailable "
        f"{_how(budget.unavailable_spec, budget.max_unavailable, budget.desired, rounding)}",
        style="bright_black",
    )
    return text


def budget_lines(budget: Budget) -> list[Text]:
    head = Text(no_wrap=True)
    head.append(f"{budget.strategy}", style="bold")
    unit = "nodes" if budget.kind == "DaemonSet" else "replicas"
    head.append(f" · {budget.desired} {unit}", style="")
    if budget.partition:
        head.append(f" · partition {budget.partition}", style="magenta")
        head.append(
            f" (ordinals < {budget.partition} keep the current revision)", style="bright_black"
        )
    lines = [head]
    if budget.error:
        lines.append(safe_text(f"budget unavailable: {budget.error}", "red"))
        return lines
    if budget.max_surge is None and budget.max_unavailable is None:
        what = {
            "Recreate": "every old pod is deleted before new ones are created",
            "OnDelete": "pods are replaced only when you delete them",
        }.get(budget.strategy, "no rolling update budget")
        lines.append(Text(what, style="bright_black"))
        return lines
    if budget.kind == "Deployment":
        lines.append(_pods_line(budget))
    elif budget.kind == "DaemonSet" and budget.max_surge is not None:
        surge = Text(no_wrap=True)
        surge.append(f"{'surge':<11}", style="bold")
        over = budget.surging > budget.max_surge
        surge.append(f"{budget.surging}", style="bold red" if over else "")
        surge.append(
            f" nodes running an old and a new pod, at most maxSurge "
            f"{_how(budget.surge_spec, budget.max_surge, budget.desired, 'up')}",
            style="bright_black",
        )
        lines.append(surge)
    lines.append(_available_line(budget, unit))
    return lines


def _revision_line(node: RevisionNode) -> Text:
    text = Text(no_wrap=True)
    if not node.kind:
        text.append("pods of no revision", style="bold yellow")
        text.append(f"  {node.current}", style="")
        return text
    if node.is_current:
        text.append("● ", style="bold green")
    elif node.is_previous:
        text.append("◀ ", style="magenta")
    else:
        text.append("  ")
    text.append(
        f"revision {node.revision if node.revision is not None else '?'}",
        style="bold" if node.is_current or node.is_previous else "",
    )
    text.append(f"  {node.kind} ", style="bright_black")
    text.append_text(safe_text(node.name))
    if node.is_current:
        text.append("  current", style="green")
    elif node.is_previous:
        text.append("  previous", style="magenta")
    if node.desired is not None:
        text.append(f"  desired {node.desired} · current {node.current} · ready {node.ready}")
        text.append(f" · available {node.available or 0}")
    else:
        text.append(f"  pods {node.current} · ready {node.ready}")
    if node.images:
        text.append("  ")
        text.append_text(safe_text(", ".join(node.images), "bright_black"))
    return text


def pod_line(pod: PodNode, last: bool) -> Text:
    text = Text(no_wrap=True)
    text.append("   └─ " if last else "   ├─ ", style="bright_black")
    if pod.deleting:
        text.append(f"{TERMINATING_GLYPH} ", style="bright_black")
    else:
        text.append(f"{POD_GLYPH[pod.severity]} ", style=SEVERITY_STYLE[pod.severity])
    text.append_text(safe_text(pod.name))
    text.append("  ")
    text.append_text(safe_text(pod.status, SEVERITY_STYLE[pod.severity]))
    ready_style = "green" if pod.containers and pod.ready >= pod.containers else "yellow"
    text.append(f"  {pod.ready}/{pod.containers}", style=ready_style)
    if pod.restarts:
        text.append(f"  {pod.restarts} restarts", style="yellow")
    return text


def tree_lines(tree: RolloutTree) -> list[Text]:
    """The whole tree, one Text per line: budget, then revisions (old ones scaled to nothing
    and neither current nor previous summed up on one line)."""
    lines = budget_lines(tree.budget)
    quiet: list[str] = []
    for node in tree.revisions:
        if node.scaled_down and not node.is_current and not node.is_previous and node.kind:
            quiet.append(str(node.revision if node.revision is not None else "?"))
            continue
        lines.append(_revision_line(node))
        for index, pod in enumerate(node.pods):
            lines.append(pod_line(pod, index == len(node.pods) - 1))
    if quiet:
        lines.append(
            Text(
                f"  revision{'s' if len(quiet) > 1 else ''} {', '.join(quiet)}: scaled down",
                style="bright_black",
            )
        )
    if not tree.revisions:
        lines.append(Text("no revisions yet", style="bright_black"))
    return lines


def tree_text(tree: RolloutTree) -> Text:
    return Text("\n").join(tree_lines(tree))


__all__ = ["POD_GLYPH", "budget_lines", "pod_line", "tree_lines", "tree_text"]
