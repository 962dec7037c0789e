"""ktui.render.header: the cluster line and the watch states, from plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from render_support import has_style

from ktui.cluster.state import CachePhase, CacheState
from ktui.render.header import (
    cluster_line,
    header_text,
    out_of_date_since,
    same_problems,
    stale_text,
    watch_details,
    watch_states_text,
    watches_line,
)

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
LIVE = CacheState(CachePhase.LIVE)


def test_all_live_is_one_green_word() -> None:
    text = watch_states_text({"Deployment": LIVE, "Pod": LIVE})
    assert text.plain == "● live"
    assert has_style(text, "live", "green")


def test_no_watches_is_not_connected() -> None:
    text = watch_states_text({})
    assert text.plain == "○ not connected"
    assert has_style(text, "not connected", "bright_black")


def test_kinds_not_live_are_grouped_by_phase_with_short_names() -> None:
    lost = CacheState(CachePhase.RECONNECTING, attempt=2, since=NOW, message="connection reset")
    states = {
        "Deployment": lost,
        "ReplicaSet": lost,
        "ControllerRevision": LIVE,
        "Pod": LIVE,
        "Event": CacheState(CachePhase.FORBIDDEN, message="events is forbidden"),
        "Widget": CacheState(CachePhase.SYNCING),
    }
    text = watch_states_text(states)
    assert text.plain == (
        f"● 2 live ● deploy,rs {CachePhase.RECONNECTING.value} "
        f"● ev {CachePhase.FORBIDDEN.value} ● Widget {CachePhase.SYNCING.value} "
    )
    assert has_style(text, "● 2 live", "green")
    assert has_style(text, "● deploy,rs", "yellow")
    assert has_style(text, "● ev", "bold red")
    assert has_style(text, "● Widget", "dodger_blue1")


def test_details_say_since_when_and_why() -> None:
    since = NOW - timedelta(seconds=75)
    states = {
        "Deployment": CacheState(CachePhase.RECONNECTING, attempt=3, since=since),
        "StatefulSet": CacheState(CachePhase.RECONNECTING, attempt=3, since=since),
        "Pod": LIVE,
        "Event": CacheState(CachePhase.FORBIDDEN, message="events is forbidden"),
        "Node": CacheState(CachePhase.ERROR, message=""),
    }
    # The watches saying the same are named together, said once.
    assert watch_details(states, NOW) == [
        "deploy,sts reconnecting since 75s (attempt 3)",
        "ev: events is forbidden",
    ]
    twice = {"A": CacheState(CachePhase.ERROR, message="x"), "B": LIVE}
    assert watch_details({**twice, "Job": twice["A"], "CronJob": twice["A"]}, NOW) == [
        "A,job,cj: x"
    ]
    assert watch_details({"Pod": LIVE}, NOW) == []
    # A dead server: every watch reconnecting, since the oldest, at the highest attempt.
    later = NOW - timedelta(seconds=3)
    dead = {
        "Deployment": CacheState(CachePhase.RECONNECTING, attempt=2, since=later),
        "Pod": CacheState(CachePhase.RECONNECTING, attempt=3, since=since),
        "Node": CacheState(CachePhase.RECONNECTING, attempt=1, since=later),
    }
    assert watch_details(dead, NOW) == ["all reconnecting since 75s (attempt 3)"]
    assert watch_states_text(dead).plain == f"● all {CachePhase.RECONNECTING.value} "
    rejected = {k: CacheState(CachePhase.ERROR, message="Unauthorized (401)") for k in dead}
    assert watch_details(rejected, NOW) == ["all: Unauthorized (401)"]


def test_a_pane_says_what_its_watches_say_once() -> None:
    refused = CacheState(CachePhase.RECONNECTING, message="cannot reach x: connection refused")
    denied = CacheState(CachePhase.FORBIDDEN, message="deployments.apps is forbidden")
    kinds = ("Deployment", "StatefulSet", "DaemonSet")
    every = {k: refused for k in kinds}
    assert same_problems(every, kinds) == ["cannot reach x: connection refused"]
    mixed = {**every, "Deployment": denied, "DaemonSet": LIVE}
    assert same_problems(mixed, kinds) == [
        "Deployment: deployments.apps is forbidden",
        "StatefulSet: cannot reach x: connection refused",
    ]
    two = {"Deployment": refused, "StatefulSet": refused, "DaemonSet": denied}
    assert same_problems(two, kinds) == [
        "Deployment, StatefulSet: cannot reach x: connection refused",
        "DaemonSet: deployments.apps is forbidden",
    ]
    assert same_problems({"Pod": refused}, ("Pod",)) == ["Pod: cannot reach x: connection refused"]
    assert same_problems({"Pod": LIVE}, ("Pod",)) == []


def test_watches_line_appends_the_details_in_yellow() -> None:
    states = {
        "Pod": LIVE,
        "Event": CacheState(CachePhase.ERROR, message="boom"),
    }
    line = watches_line(states, NOW)
    assert line.plain == f"watches ● 1 live ● ev {CachePhase.ERROR.value}  · ev: boom"
    assert has_style(line, "watches", "bright_black")
    assert has_style(line, " · ev: boom", "yellow")
    assert watches_line({"Pod": LIVE}, NOW).plain == "watches ● live"


def test_cluster_line_names_context_server_and_scope() -> None:
    line = cluster_line("kind-dev", "https://127.0.0.1:6443", "v1.32.0", "shop", readonly=False)
    assert line.plain == ("⎈ ktui  ctx kind-dev  server https://127.0.0.1:6443 (v1.32.0)  ns shop")
    assert has_style(line, "kind-dev", "bold cyan")
    everywhere = cluster_line("kind-dev", "https://h", None, None, readonly=True)
    assert (
        everywhere.plain == "⎈ ktui  ctx kind-dev  server https://h  ns all namespaces  READ-ONLY"
    )
    assert has_style(everywhere, "READ-ONLY", "bold yellow")


def test_header_is_both_lines() -> None:
    text = header_text("ctx", "https://h", None, "default", {"Pod": LIVE}, NOW, readonly=False)
    assert text.plain == "⎈ ktui  ctx ctx  server https://h  ns default\nwatches ● live"
    assert has_style(text, "default", "bold")


def test_each_line_is_cut_not_wrapped() -> None:
    line = cluster_line("a-very-long-context-name", "https://h", None, None, readonly=True)
    assert line.no_wrap and line.overflow == "ellipsis"
    assert watches_line({}, NOW).no_wrap
    line.truncate(30, overflow=line.overflow)
    assert line.plain == "⎈ ktui  ctx a-very-long-conte…"


def test_a_live_but_silent_watch_is_stale_not_live() -> None:
    silent = CacheState(CachePhase.LIVE, stale_since=NOW)
    text = watch_states_text({"Deployment": LIVE, "Pod": silent})
    local = NOW.astimezone().strftime("%H:%M:%S")
    assert text.plain == f"● 1 live ● pod stale since {local} "
    assert has_style(text, "pod stale", "yellow")


def test_out_of_date_since_per_phase() -> None:
    assert LIVE.out_of_date_since is None
    assert CacheState(CachePhase.LIVE, stale_since=NOW).out_of_date_since == NOW
    for phase in (CachePhase.RECONNECTING, CachePhase.FORBIDDEN, CachePhase.ERROR):
        assert CacheState(phase, since=NOW).out_of_date_since == NOW
    assert CacheState(CachePhase.SYNCING, since=NOW).out_of_date_since is None


def test_the_earliest_moment_any_of_the_kinds_went_out_of_date() -> None:
    states = {
        "Deployment": CacheState(CachePhase.LIVE, stale_since=NOW),
        "ReplicaSet": LIVE,
        "Pod": CacheState(CachePhase.RECONNECTING, since=NOW - timedelta(seconds=30)),
    }
    assert out_of_date_since(states, ("Deployment", "ReplicaSet", "Pod")) == NOW - timedelta(
        seconds=30
    )
    assert out_of_date_since(states, ("Deployment", "ReplicaSet")) == NOW
    assert out_of_date_since(states, ("ReplicaSet", "Job")) is None
    assert stale_text(NOW) == f"stale since {NOW.astimezone().strftime('%H:%M:%S')}"


def test_the_retry_key_is_shown_only_while_a_watch_failed() -> None:
    failed = {"Pod": CacheState(CachePhase.FORBIDDEN, since=NOW, message="Forbidden (403)")}
    assert "[^r: retry]" in watches_line(failed, NOW, retry_key="^r").plain
    assert "retry" not in watches_line({"Pod": LIVE}, NOW, retry_key="^r").plain


def test_a_narrow_cluster_line_gives_up_the_server_before_the_scope_and_the_count() -> None:
    def line(width: int | None, context: str = "prod-eu") -> str:
        return cluster_line(
            context,
            "https://api.prod-eu.example.com:6443",
            "v1.30.2",
            None,
            readonly=True,
            problems=7,
            problems_key="!",
            width=width,
        ).plain

    full = line(None)
    assert full == (
        "⎈ ktui  ctx prod-eu  server https://api.prod-eu.example.com:6443 (v1.30.2)"
        "  ns all namespaces  READ-ONLY  ★ 7 problems (!)"
    )
    assert line(len(full)) == full
    # The version, then the scheme, then the end of the address give way.
    no_version = full.replace(" (v1.30.2)", "")
    assert line(len(full) - 1) == no_version
    host_only = no_version.replace("https://", "")
    assert line(len(no_version) - 1) == host_only
    assert line(len(host_only) - 5) == host_only.replace("m:6443", "…")
    for width in range(60, len(full) + 1):
        shown = line(width)
        assert len(shown) <= width
        assert shown.endswith("  ns all namespaces  READ-ONLY  ★ 7 problems (!)")
    # Then the server, the mark, and the end of a long context name; never the rest.
    assert line(60) == "ctx prod-eu  ns all namespaces  READ-ONLY  ★ 7 problems (!)"
    narrow = line(60, context="gke_my-project_europe-west1_prod-cluster")
    assert narrow == "ctx gke_my-…  ns all namespaces  READ-ONLY  ★ 7 problems (!)"
    assert len(narrow) == 60
