"""A pod's containers in three groups, drawn by `ktui.render.containers.render_containers`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ktui.render.containers import render_containers
from ktui.ui.widgets.safe import SafeStatic
from ktui.view.pod import ContainerGroups, container_groups

Obj = dict[str, Any]


class ContainerList(SafeStatic, can_focus=True):
    """The container groups of one pod; `show(pod, now)` redraws them.

    Focusable: `tab` from the pod screen's body brings it into view (on a short terminal the
    lifecycle above it fills the body), and the body's scroll keys still work on it."""

    DEFAULT_CSS = """
    ContainerList { height: auto; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self.groups: ContainerGroups | None = None

    def show(self, pod: Obj, now: datetime) -> None:
        self.groups = container_groups(pod)
        self.update(render_containers(self.groups, now))

    def clear(self) -> None:
        """No pod: nothing, as a new widget shows."""
        self.groups = None
        self.update("")
