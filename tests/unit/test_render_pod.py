"""ktui.render.containers, .pod and .events: what the pod detail and events screens show."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pods_fixtures as fx
from render_support import has_style, plain
from rich.text import Text

from ktui.render.cells import TimeCell
from ktui.render.containers import container_counts, render_containers, state_text
from ktui.render.events import event_cells, event_type_text, events_title
from ktui.render.pod import controller_label, deleted_notice, pod_not_found, pod_title
from ktui.view.events import event_row
from ktui.view.pod import container_groups, pod_row

NOW = fx.NOW


# ---------------------------------------------------------------------- containers


def test_groups_have_headings_and_one_row_per_container() -> None:
    shown = plain(render_containers(container_groups(fx.sidecar_and_init_running()), NOW), 140)
    lines = shown.splitlines()
    headings = [line.split("  ")[0] for line in lines if line and line[0].isupper()]
    assert headings == ["Init containers (1)", "Sidecars (1)", "Containers (1)"]
    assert "restartPolicy: Always init containers, beside the app" in shown
    proxy = next(line for line in lines if " proxy " in line)
    assert proxy.startswith("◆")
    assert "Running 39s" in proxy and "✔" in proxy and "Error (exit 2) 40s ago" in proxy
    migrate = next(line for line in lines if " migrate " in line)
    # The badge marks it done (✔); it is #1 of spec.initContainers.
    assert migrate.startswith("✔  1") and "Terminated: Completed (exit 0)" in migrate
    # A finished init container is never "ready": "-" rather than ✔ or ✖ in READY.
    ready_cell = migrate.split("(exit 0)", 1)[1].split("registry")[0]
    assert "✖" not in ready_cell and "✔" not in ready_cell and " - " in ready_cell


def test_init_containers_are_numbered_as_kubectl_counts_them() -> None:
    # spec.initContainers: proxy (a native sidecar), setup, init-bad. kubectl says Init:2/3:
    # the started sidecar and setup are done, the third one runs. The list numbers init-bad #3
    # and the sidecar #1, their positions in spec order, sidecars included.
    pod = fx._pod(
        "web-7d9f8b6c5d-n1n2n",
        init_containers=[
            fx._container("proxy", fx.SIDECAR, restartPolicy="Always"),
            fx._container("setup", fx.TOOLS),
            fx._container("init-bad", fx.TOOLS),
        ],
        containers=[fx._container("web", fx.APP)],
        status={
            "phase": "Pending",
            "initContainerStatuses": [
                fx.container_status("proxy", fx.SIDECAR, fx.running(9), started=True, ready=True),
                fx.container_status("setup", fx.TOOLS, fx.terminated("Completed", 0, 8, 7)),
                fx.container_status("init-bad", fx.TOOLS, fx.running(5), started=True),
            ],
            "containerStatuses": [
                fx.container_status("web", fx.APP, fx.waiting("PodInitializing"))
            ],
        },
    )
    assert pod_row(pod, NOW).status == "Init:2/3"
    groups = container_groups(pod)
    assert [(c.name, c.init_index) for c in groups.init] == [("setup", 2), ("init-bad", 3)]
    assert [(c.name, c.init_index) for c in groups.sidecars] == [("proxy", 1)]
    assert groups.regular[0].init_index is None
    lines = plain(render_containers(groups, NOW), 160).splitlines()
    assert next(line for line in lines if " init-bad " in line).split()[:2] == ["□", "3"]
    assert next(line for line in lines if " setup " in line).split()[:2] == ["✔", "2"]
    assert next(line for line in lines if " proxy " in line).split()[:2] == ["◆", "1"]


def test_empty_groups_are_left_out_but_containers_always_shown() -> None:
    groups = container_groups(fx.crash_loop_back_off())
    shown = plain(render_containers(groups, NOW), 160)
    assert "Init containers" not in shown and "Sidecars" not in shown
    assert shown.startswith("Containers (1)\n")
    assert "back-off 2m40s restarting failed container=web" in shown  # the waiting message
    renderable = render_containers(groups, NOW)
    assert has_style(renderable, "Containers (1)", "bold underline", width=160)
    assert has_style(renderable, "Waiting: CrashLoopBackOff", "bold red", width=160)
    assert has_style(renderable, "Error (exit 1)", "red", width=160)
    assert has_style(renderable, "back-off", "italic red", width=160)


def test_state_text_ticks_with_now() -> None:
    web = container_groups(fx.sidecar_and_init_running()).regular[0]
    assert state_text(web, NOW).plain == "Running 110s"
    assert state_text(web, NOW + timedelta(seconds=10)).plain == "Running 2m"
    assert has_style(state_text(web, NOW), "Running", "green")
    finished = container_groups(fx.completed_job_pod()).regular[0]
    text = state_text(finished, NOW)
    assert text.plain == "Terminated: Completed (exit 0), ran 115s, 58m ago"
    assert has_style(text, ", ran", "grey62")


def test_container_counts() -> None:
    assert container_counts(container_groups(fx.sidecar_and_init_running())) == (
        "1 init · 1 sidecar · 1 container"
    )
    assert container_counts(container_groups(fx.init_1_of_2())) == (
        "2 init · 0 sidecars · 1 container"
    )


# ---------------------------------------------------------------------- pod title


def test_pod_title_has_status_counts_and_placement() -> None:
    title = pod_title(fx.crash_loop_back_off(), NOW)
    assert title.plain == (
        "Pod web-7d9f8b6c5d-c1l2b  ns shop  CrashLoopBackOff  (Running)  ready 0/1  "
        "restarts 5  age 15m\n"
        "node node-1  IP 10.244.1.50  QoS BestEffort  controlled by ReplicaSet/web-7d9f8b6c5d"
    )
    assert has_style(title, "web-7d9f8b6c5d-c1l2b", "bold cyan", width=200)
    assert has_style(title, "CrashLoopBackOff", "bold red", width=200)
    assert has_style(title, "restarts 5", "yellow", width=200)
    running = pod_title(fx.running_2_of_2(), NOW)
    assert has_style(running, "Running ", "green", width=200)
    # The phase is left out where STATUS already says it.
    assert "Running  ready 2/2" in running.plain and "(Running)" not in running.plain
    assert not has_style(running, "restarts 0", "yellow", width=200)
    # --readonly: said at the end of the first line, as the main screen's header says it.
    readonly = pod_title(fx.running_2_of_2(), NOW, readonly=True)
    first, _ = readonly.plain.split("\n")
    assert first.endswith("  READ-ONLY") and "READ-ONLY" not in running.plain
    assert has_style(readonly, "READ-ONLY", "bold yellow", width=200)


def test_controller_label() -> None:
    assert controller_label(fx.completed_job_pod()) == "Job/backup-28991520"
    orphan: dict[str, Any] = {"metadata": {"ownerReferences": [{"kind": "X", "name": "y"}]}}
    assert controller_label(orphan) == ""
    assert controller_label({}) == ""


def test_deleted_notice_and_not_found() -> None:
    deleted_at = NOW - timedelta(seconds=90)
    notice = deleted_notice(deleted_at, NOW, last_known=True)
    assert notice.plain == (
        "✖ This pod was deleted (11:58:30, 90s ago): showing its last known state."
    )
    gone = deleted_notice(deleted_at, NOW, last_known=False)
    assert gone.plain.endswith("): nothing to show.")
    assert pod_not_found().plain == "Pod not found"
    assert has_style(pod_not_found(), "Pod", "bold red")


# ---------------------------------------------------------------------- events


def event(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "Event",
        "metadata": {"name": "web-1.17f", "namespace": "shop", "uid": "uid-ev"},
        "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "shop"},
        "type": "Normal",
        "reason": "Pulled",
        "message": "Container image\n  already present",
        "source": {"component": "kubelet", "host": "node-1"},
        "count": 1,
        "firstTimestamp": fx.ts(900),
        "lastTimestamp": fx.ts(45),
    }
    base.update(fields)
    return base


def test_event_cells_of_a_normal_event() -> None:
    cells = event_cells(event_row(event(), NOW), with_object=False)
    texts = [cell for cell in cells if isinstance(cell, Text)]
    times = [cell for cell in cells if isinstance(cell, TimeCell)]
    assert [text.plain for text in texts] == [
        "Normal",
        "Pulled",
        "x1",
        "Container image already present",
    ]
    assert [cell.text(NOW).plain for cell in times] == ["45s", "15m"]
    assert isinstance(cells[2], Text) and cells[2].style == "grey50"
    assert has_style(event_type_text(event_row(event(), NOW)), "Normal", "grey62")


def test_event_cells_of_a_repeated_warning_with_its_object() -> None:
    row = event_row(event(type="Warning", reason="BackOff", count=12), NOW)
    cells = event_cells(row, with_object=True)
    assert len(cells) == 7
    first, reason, obj, count = cells[:4]
    assert isinstance(first, Text) and first.plain == "⚠ Warning"
    assert has_style(first, "⚠", "bold red")
    assert isinstance(reason, Text) and reason.style == "bold yellow"
    assert isinstance(obj, Text) and obj.plain == "pod/web-1" and obj.style == "cyan"
    assert isinstance(count, Text) and count.plain == "x12" and count.style == "yellow"
    message = cells[6]
    assert isinstance(message, Text) and message.style == "yellow"


def test_events_title() -> None:
    title = events_title("deployment/web", "shop", deleted=False)
    assert title.plain == "Events deployment/web  ns shop"
    assert has_style(title, "deployment/web", "bold cyan")
    gone = events_title("node/n1", "", deleted=True)
    assert gone.plain == "Events node/n1  (deleted: showing what is left)"
    assert has_style(gone, "(deleted", "bold red")
