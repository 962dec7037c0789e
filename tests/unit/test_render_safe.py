"""ktui.render.safe: control and bidi characters from the cluster are shown, never sent.

The escaper is checked on known hostile strings; then every renderer of `ktui.render` that takes
cluster data is fed objects whose strings are random mixes of hostile code points, and what a
widget would draw (its output through the gate, or a table cell escaped as `LiveTable` does) is
rendered to segments by a real Rich console: no segment may hold a control character (other
than the line breaks Rich itself emits) or a bidi control.
"""

from __future__ import annotations

import copy
import io
import random
import unicodedata
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import pods_fixtures as fx
import pytest
from rich.console import Console, Group, RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from ktui.cluster.rollout import RolloutStatus
from ktui.cluster.state import CachePhase, CacheState
from ktui.render import cells, containers, describe, events, header, panes, pod, rollout, timeline
from ktui.render.safe import (
    ESCAPE_STYLE,
    Sanitized,
    escape_text,
    gate,
    is_hostile,
    safe_text,
    sanitize_segments,
    visible,
)
from ktui.view.events import event_rows
from ktui.view.pod import container_groups

NOW = fx.NOW
BIDI = [chr(c) for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))]
HOSTILE_POINTS = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)] + BIDI
ATTACKS = [
    "\x1b]2;TITLE\x1b\\",  # OSC: set the window title, ST-terminated
    "\x1b]0;pwned\x07",  # OSC, BEL-terminated
    "\x1b[2J\x1b[H",  # clear the screen, cursor home
    "\x1b[31mred\x1b[0m",  # SGR
    "\x9b31m",  # 8-bit CSI
    "\x9d0;t\x9c",  # 8-bit OSC ... ST
    "\x1bP+q\x1b\\",  # DCS
    "\u202etxt.exe",  # right-to-left override
    "a\rb\x08c\x7f",  # CR, BS, DEL
]


def forbidden(text: str) -> list[str]:
    """The characters of a segment's text that must never reach the terminal."""
    return [
        ch
        for ch in text
        if (unicodedata.category(ch) == "Cc" and ch != "\n") or ch in BIDI or ch in "\u2028\u2029"
    ]


def hostile(rng: random.Random, length: int = 12) -> str:
    """A random string: letters, markup, wide characters, hostile code points, one attack."""
    alphabet = [*"abc-_.:/ [b]", "[/]", "世", "é", *HOSTILE_POINTS, *HOSTILE_POINTS]
    text = "".join(rng.choice(alphabet) for _ in range(length))
    return text + rng.choice(ATTACKS)


def render_segments(renderable: RenderableType, width: int = 100) -> list[Segment]:
    console = Console(
        file=io.StringIO(), width=width, force_terminal=True, color_system="truecolor"
    )
    return list(console.render(renderable, console.options))


def assert_clean(segments: Iterable[Segment], *, escaped: bool = True) -> str:
    segments = list(segments)
    drawn = "".join(segment.text for segment in segments if not segment.control)
    bad = forbidden(drawn)
    assert not bad, f"raw {bad!r} in {drawn!r}"
    if escaped:
        assert "^[" in drawn or "\\x9" in drawn or "\\u202e" in drawn, drawn
    return drawn


# ----------------------------------------------------------------------------- the escaper


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("nginx\x1b]2;TITLE\x1b\\", "nginx^[]2;TITLE^[\\"),
        ("\x1b[31mx\x1b]0;pwned\x07", "^[[31mx^[]0;pwned^G"),
        ("\x1b[2J", "^[[2J"),
        ("\x9b31m\x9d\x85", "\\x9b31m\\x9d\\x85"),
        ("abc\u202eexe.txt", "abc\\u202eexe.txt"),
        ("\u2066x\u2069\u200e\u200f\u061c", "\\u2066x\\u2069\\u200e\\u200f\\u061c"),
        ("\x00\x08\x7f\r\t\n", "^@^H^?^M^I^J"),
        ("\u2028\u2029", "\\u2028\\u2029"),
    ],
)
def test_visible_escapes_each_hostile_character(raw: str, shown: str) -> None:
    assert visible(raw) == shown
    assert is_hostile(raw)
    assert not forbidden(visible(raw))


def test_clean_strings_pass_unchanged_and_uncopied() -> None:
    text = "web-5d4f8 nginx:1.27 ünïcode 世界 [b]not markup[/b] \\x1b"
    assert visible(text) is text
    assert not is_hostile(text)
    rich_text = Text(text, style="red")
    assert escape_text(rich_text) is rich_text


def test_newlines_kept_only_when_asked() -> None:
    assert visible("a\nb\x1b", keep_newlines=True) == "a\nb^["
    assert visible("a\nb") == "a^Jb"
    assert not is_hostile("a\nb", keep_newlines=True)


def test_safe_text_draws_escapes_reversed_and_keeps_what_text_drops() -> None:
    # Text("a\x07b") would silently drop the BEL; safe_text shows it.
    text = safe_text("a\x07b\x1bc", "red")
    assert text.plain == "a^Gb^[c"
    segments = render_segments(text)
    styles = {seg.text: seg.style for seg in segments if seg.text in ("^G", "^[")}
    assert styles and all(s is not None and s.reverse for s in styles.values())
    assert safe_text("plain", "red") == Text("plain", style="red")


def test_escape_text_moves_spans_along() -> None:
    text = Text("ab\x1bcd\x9bef")
    text.stylize("bold", 3, 5)  # "cd"
    text.stylize("underline", 6, 8)  # "ef"
    escaped = escape_text(text)
    assert escaped.plain == "ab^[cd\\x9bef"
    bold = next(s for s in escaped.spans if s.style == "bold")
    underline = next(s for s in escaped.spans if s.style == "underline")
    assert escaped.plain[bold.start : bold.end] == "cd"
    assert escaped.plain[underline.start : underline.end] == "ef"
    assert any(s.style == ESCAPE_STYLE for s in escaped.spans)


def test_sanitize_segments_escapes_text_keeps_controls_and_styles() -> None:
    red = Style(color="red")
    segments = sanitize_segments([Segment("a\x1b[2Jb", red), Segment("\n"), Segment("ok")])
    assert "".join(s.text for s in segments) == "a^[[2Jb\nok"
    escape = next(s for s in segments if s.text == "^[")
    assert escape.style == red + ESCAPE_STYLE
    one_line = sanitize_segments([Segment("a\nb")], keep_newlines=False)
    assert "".join(s.text for s in one_line) == "a^Jb"


def test_sanitized_wraps_any_renderable() -> None:
    table = Table("NAME", "IMAGE")
    table.add_row("web\x1b]2;x\x07", Text("nginx\u202e"))
    renderables: list[RenderableType] = [
        table,
        Group(Text("x\x1b[2J"), "y\x9b"),
        Syntax("key: \x1b[31mvalue\n", "yaml"),
        "markup [b]no\x1b",
    ]
    for renderable in renderables:
        assert_clean(render_segments(Sanitized(renderable)))


def test_sanitized_tables_are_measured_after_escaping() -> None:
    # The escape is counted in the column width: the border still closes the row.
    table = Table("NAME")
    table.add_row("a\x1b\x1b\x1b\x1b")
    lines = Console(width=40).render_lines(Sanitized(table), pad=False)
    widths = {sum(len(s.text) for s in line) for line in lines}
    assert len(widths) == 1


def test_gate_returns_text_for_text_and_plain_text_for_str() -> None:
    assert isinstance(gate(Text("x\x1b")), Text)
    shown = gate("[b]x[/b]\x1b")
    assert isinstance(shown, Text) and shown.plain == "[b]x[/b]^["
    assert isinstance(gate(Group()), Sanitized)


# ------------------------------------------------------- every renderer, random hostile data

STRUCTURAL = {
    "apiVersion",
    "kind",
    "phase",
    "status",
    "type",
    "uid",
    "restartPolicy",
    "qosClass",
    "protocol",
    "fieldPath",
    "controller",
}


def poison(value: Any, rng: random.Random, key: str = "") -> Any:
    """`value` with every string that comes from users of the cluster made hostile (timestamps
    and the enum-like fields the views switch on stay valid); label and annotation keys too."""
    if isinstance(value, dict):
        poisoned = {k: poison(v, rng, k) for k, v in value.items()}
        if key in ("labels", "annotations", "nodeSelector"):
            poisoned = {f"{k}{hostile(rng, 3)}": v for k, v in poisoned.items()}
        return poisoned
    if isinstance(value, list):
        return [poison(v, rng, key) for v in value]
    if isinstance(value, str) and key not in STRUCTURAL and not key.endswith(("Time", "At")):
        if key.endswith("Timestamp") or key == "eventTime":
            return value
        return value + hostile(rng)
    return value


def hostile_pods(rng: random.Random) -> list[dict[str, Any]]:
    pods = []
    for raw in fx.all_pods().values():
        obj = copy.deepcopy(raw)
        obj.setdefault("metadata", {}).setdefault("labels", {"app": "web"})
        obj["metadata"].setdefault("annotations", {"note": "x"})
        obj["metadata"]["ownerReferences"] = [
            {"kind": "ReplicaSet", "name": "web-1", "controller": True, "uid": "u"}
        ]
        pods.append(poison(obj, rng))
    return pods


def hostile_events(rng: random.Random, count: int = 6) -> list[dict[str, Any]]:
    found = []
    for n in range(count):
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"e{n}", "namespace": "shop", "uid": f"uid-e{n}"},
            "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "shop"},
            "type": "Warning" if n % 2 else "Normal",
            "reason": "BackOff",
            "message": "Back-off restarting\nfailed container",
            "source": {"component": "kubelet", "host": "node-1"},
            "count": n + 1,
            "lastTimestamp": fx.ts(10 * n),
            "firstTimestamp": fx.ts(100 + n),
        }
        found.append(poison(event, rng))
    return found


def hostile_workload(rng: random.Random, kind: str = "Deployment") -> dict[str, Any]:
    obj = {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "uid": "uid-web",
            "creationTimestamp": fx.ts(600),
            "labels": {"app": "web"},
            "annotations": {"kubernetes.io/change-cause": "\x1b[31mdeploy\x1b]0;pwned\x07"},
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "app", "image": "nginx:1.27", "command": ["sh", "-c", "x"]}
                    ]
                },
            },
        },
        "status": {
            "replicas": 2,
            "conditions": [
                {"type": "Available", "status": "False", "reason": "Min", "message": "down"}
            ],
        },
    }
    return poison(obj, rng)


def cell_text(cell: Any) -> Text:
    """A table cell as `LiveTable` draws it."""
    if isinstance(cell, str):
        return safe_text(cell)
    if isinstance(cell, Text):
        return escape_text(cell)
    return escape_text(cell.text(NOW))


def assert_cells_clean(rows: Iterable[tuple[Any, ...]]) -> None:
    drawn = ""
    for row in rows:
        for cell in row:
            text = cell_text(cell)
            text.no_wrap = True
            segments = render_segments(text, width=400)
            drawn += assert_clean(segments, escaped=False)
            assert "\n" not in text.plain, "a cell is one line"
    assert "^[" in drawn or "\\x9" in drawn or "\\u" in drawn


SEEDS = range(12)


@pytest.mark.parametrize("seed", SEEDS)
def test_pane_cells_never_carry_hostile_characters(seed: int) -> None:
    rng = random.Random(seed)
    pods = hostile_pods(rng)
    assert_cells_clean(panes.pod_cells(p, NOW) for p in pods)
    for kind in ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"):
        workload = hostile_workload(rng, kind)
        assert_cells_clean(
            [panes.workload_cells(workload, {}, NOW, all_namespaces=True)],
        )
    owner = hostile_workload(rng)
    rs = hostile_workload(rng, "ReplicaSet")
    rs["metadata"]["ownerReferences"] = [
        {"kind": "Deployment", "name": "web", "uid": "uid-web", "controller": True}
    ]
    rs["metadata"]["uid"] = "uid-rs"
    assert_cells_clean(panes.replicaset_cells(owner, [rs], NOW).values())
    revision = {**rs, "kind": "ControllerRevision", "revision": 1, "data": rs["spec"]}
    assert_cells_clean(panes.controller_revision_cells(owner, [revision], NOW).values())
    job = hostile_workload(rng, "Job")
    assert_cells_clean(panes.job_cells(owner, [job], NOW).values())
    rows = event_rows(hostile_events(rng), NOW)
    assert_cells_clean(events.event_cells(row, with_object=True) for row in rows)
    assert_cells_clean([(cells.status_text(hostile(rng), fx_severity()), cells.dim(hostile(rng)))])


def fx_severity() -> Any:
    from ktui.view.pod import Severity

    return Severity.WARNING


RENDERERS: list[tuple[str, Callable[[random.Random], list[RenderableType]]]] = [
    (
        "pod.pod_title",
        lambda rng: [pod.pod_title(p, NOW) for p in hostile_pods(rng)],
    ),
    (
        "events.events_title",
        lambda rng: [events.events_title(hostile(rng), hostile(rng), deleted=True)],
    ),
    (
        "header.header_text",
        lambda rng: [
            header.header_text(
                hostile(rng),
                hostile(rng),
                hostile(rng),
                hostile(rng),
                {
                    "Pod": CacheState(CachePhase.ERROR, message=hostile(rng)),
                    "Deployment": CacheState(CachePhase.RECONNECTING, attempt=2),
                },
                NOW,
                readonly=True,
            )
        ],
    ),
    (
        "containers.render_containers",
        lambda rng: [
            containers.render_containers(container_groups(p), NOW) for p in hostile_pods(rng)
        ],
    ),
    (
        "timeline.render_timeline",
        lambda rng: [
            timeline.render_timeline(timeline.build_timeline(p, NOW), 100, NOW)
            for p in hostile_pods(rng)
        ],
    ),
    (
        "rollout.status_renderable",
        lambda rng: [
            rollout.status_renderable(
                RolloutStatus(
                    kind="Deployment",
                    name=hostile(rng),
                    message=hostile(rng) + "\n",
                    done=False,
                    failed=True,
                    error=hostile(rng),
                    observed=True,
                    desired=3,
                    updated=1,
                    ready=1,
                    available=1,
                    old=2,
                )
            )
        ],
    ),
    (
        "rollout.revision_detail",
        lambda rng: [
            rollout.revision_detail(
                [f"--- current{hostile(rng)}", f"+ image: {hostile(rng)}", "@@ x @@"],
                hostile_workload(rng)["spec"]["template"],
            ),
            rollout.diff_text([f"- {hostile(rng)}", f"+ {hostile(rng)}"]),
        ],
    ),
    (
        "describe.describe",
        lambda rng: [
            describe.describe(obj, obj["kind"], hostile_events(rng), NOW)
            for obj in [
                *hostile_pods(rng)[:6],
                *(hostile_workload(rng, k) for k in ("Deployment", "Job", "CronJob")),
            ]
        ],
    ),
    (
        "describe.yaml_syntax",
        lambda rng: [describe.yaml_syntax(describe.object_yaml(hostile_workload(rng)))],
    ),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("name", "build"), RENDERERS, ids=[name for name, _ in RENDERERS])
def test_renderers_through_the_gate_draw_no_hostile_character(
    name: str, build: Callable[[random.Random], list[RenderableType]], seed: int
) -> None:
    drawn = ""
    for renderable in build(random.Random(seed)):
        drawn += assert_clean(render_segments(gate(renderable)), escaped=False)
    assert "^[" in drawn or "\\x9" in drawn or "\\u" in drawn, name


@pytest.mark.parametrize("seed", SEEDS)
def test_describe_and_yaml_escape_before_layout(seed: int) -> None:
    """Describe and YAML escape their own values (widths are measured on the escapes), even
    without the gate; a value's newline cannot fake a line of its own in describe."""
    rng = random.Random(seed)
    obj = hostile_workload(rng)
    obj["metadata"]["annotations"]["fake"] = "x\nName:  evil"
    text = describe.describe(obj, "Deployment", hostile_events(rng), NOW)
    assert_clean(render_segments(text), escaped=True)
    assert "\nName:  evil" not in text.plain
    assert_clean(render_segments(describe.yaml_syntax(describe.object_yaml(obj))), escaped=True)


def test_yaml_escapes_keys_and_block_scalars() -> None:
    obj = {
        "metadata": {
            "annotations": {
                "k\x1b]0;t\x07": "v",
                "block": "line one\u202e\nline two\x85\n\tend\n",
            }
        }
    }
    drawn = assert_clean(render_segments(describe.yaml_syntax(describe.object_yaml(obj))))
    assert "\\u202e" in drawn


def test_age_ticks_are_not_affected() -> None:
    # A clean TimeCell stays a clean Text: the escaper leaves it (and its style) alone.
    cell = cells.TimeCell(NOW - timedelta(seconds=30), style="grey50")
    assert escape_text(cell.text(NOW)) == cell.text(NOW)
