"""Regenerate screenshots/*.png from the real app running on the embedded demo cluster.

    pip install -e '.[screenshots]'      # cairosvg, to turn Textual's SVG into PNG
    python scripts/screenshots.py        # needs the DejaVu Sans Mono font (fonts-dejavu-core)

Each picture is the app as a user sees it: `make_app` on the demo cluster, driven by key presses.
Every scene is taken at two terminal sizes: 200x50 (`NAME.png`) and 80x24 (`NAME-80x24.png`).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ktui.cluster.connection import connect, probe_server
from ktui.settings import Settings
from ktui.sim.demo import running_demo
from ktui.sim.lifecycle import Timings
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable

OUT = Path(__file__).resolve().parent.parent / "screenshots"
SIZES = {"": (200, 50), "-80x24": (80, 24)}
"""File-name suffix -> terminal size (columns, rows) of each set of screenshots."""
PIXELS_PER_COLUMN = 10
# cairo has no per-glyph font fallback: a monospace font with the box-drawing and check-mark
# glyphs ktui uses keeps every column where the terminal puts it.
FONT = "DejaVu Sans Mono"


def check_tools() -> None:
    try:
        import cairosvg  # noqa: F401
    except ImportError:
        sys.exit("screenshots: cairosvg is missing: pip install -e '.[screenshots]'")
    if shutil.which("fc-list") is None:
        sys.exit("screenshots: fontconfig is missing: apt-get install fontconfig")
    fonts = subprocess.run(["fc-list"], capture_output=True, text=True).stdout
    if FONT not in fonts:
        sys.exit(f"screenshots: the {FONT} font is missing: apt-get install fonts-dejavu-core")


async def wait_for(pilot: Any, condition: Callable[[], Any], what: str, limit: float = 60) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not condition():
        if loop.time() > end:
            raise SystemExit(f"screenshots: timed out waiting for {what}")
        await pilot.pause(0.2)


def table(app: KtuiApp, selector: str) -> LiveTable:
    return app.screen.query_one(selector, LiveTable)


def row_key(t: LiveTable, name: str) -> str:
    for key in t.ordered_keys():
        row = t.row(key) or ()
        first = row[0] if row else ""
        if getattr(first, "plain", first) == name:
            return key
    raise SystemExit(f"screenshots: no row named {name}")


async def shoot(app: KtuiApp, name: str) -> None:
    import cairosvg

    svg = OUT / f"{name}.svg"
    app.save_screenshot(filename=svg.name, path=str(OUT))
    svg.write_text(svg.read_text().replace("Fira Code", FONT))
    # The same scale at both sizes, so that text reads the same size in the README.
    width = app.size.width * PIXELS_PER_COLUMN
    cairosvg.svg2png(url=str(svg), write_to=str(OUT / f"{name}.png"), output_width=width)
    svg.unlink()
    print(f"screenshots: {name}.png")


async def scenes(app: KtuiApp, pilot: Any, suffix: str) -> None:
    workloads = table(app, "#workloads")
    await wait_for(pilot, lambda: workloads.total_count >= 7, "the demo workloads")
    # Let the demo reach its interesting states: crash loop, image pull back-off, init done.
    await wait_for(
        pilot,
        lambda: "CrashLoopBackOff" in _pod_statuses(app),
        "a crash loop",
    )
    workloads.move_cursor_to_key(row_key(workloads, "web"))
    await wait_for(pilot, lambda: table(app, "#pods").total_count >= 3, "web's pods")
    await pilot.pause(1)
    await shoot(app, "main" + suffix)

    # Enough restarts that the lifecycle timeline shows a crash loop's runs, not one or two.
    await wait_for(pilot, lambda: _worker_restarts(app) >= 3, "three restarts of the worker")
    workloads.move_cursor_to_key(row_key(workloads, "payments-worker"))
    await pilot.pause(0.5)
    pods = table(app, "#pods")
    pods.focus()
    await pilot.press("enter")
    await pilot.pause(1)
    await shoot(app, "pod-detail-crashloop" + suffix)
    await pilot.press("escape")

    workloads.focus()
    workloads.move_cursor_to_key(row_key(workloads, "api"))
    await pilot.pause(0.5)
    table(app, "#pods").focus()
    await pilot.press("enter")
    await pilot.pause(1)
    await shoot(app, "pod-detail-sidecar" + suffix)
    await pilot.press("l")
    await pilot.pause(3)
    await shoot(app, "logs" + suffix)
    await pilot.press("escape")
    await pilot.pause(0.5)
    await pilot.press("escape")

    workloads.focus()
    workloads.move_cursor_to_key(row_key(workloads, "web"))
    await pilot.press("h")
    await pilot.pause(1.5)
    await shoot(app, "rollout-history" + suffix)
    await pilot.press("escape")

    # A rollout that cannot progress: checkout's new pods cannot pull their (mistyped) image.
    workloads.focus()
    workloads.move_cursor_to_key(row_key(workloads, "checkout"))
    await pilot.press("h")
    await pilot.pause(1.5)
    await shoot(app, "rollout-stuck" + suffix)
    await pilot.press("escape")

    # Every pod, whatever owns it (bare pods, a SparkApplication's driver), then the triage.
    await pilot.press("colon", *"pods", "enter")
    await pilot.pause(1)
    await shoot(app, "pods-view" + suffix)
    await pilot.press("colon", *"all", "enter")
    await pilot.press("exclamation_mark")
    # Every kind of trouble the demo has: the crash loop, the image pulls, gpu-trainer (a
    # pending pod counts after two minutes) and the stuck checkout Deployment.
    await wait_for(pilot, lambda: _all_troubles_listed(app), "every demo problem", limit=180)
    await pilot.pause(1)
    await shoot(app, "problems" + suffix)
    await pilot.press("escape")

    await pilot.press("question_mark")
    await pilot.pause(0.5)
    await shoot(app, "keys" + suffix)


def _worker_restarts(app: KtuiApp) -> int:
    """The payments-worker pod's restartCount while it waits in CrashLoopBackOff, else 0."""
    from ktui.view.pod import pod_status_reason

    for pod in app.model.objects.objects("Pod").values():
        name = str((pod.get("metadata") or {}).get("name", ""))
        if name.startswith("payments-worker-") and pod_status_reason(pod) == "CrashLoopBackOff":
            statuses = (pod.get("status") or {}).get("containerStatuses") or [{}]
            return int(statuses[0].get("restartCount") or 0)
    return 0


def _all_troubles_listed(app: KtuiApp) -> bool:
    found = app.model.triage.problems(app.clock())
    labels = {(p.severity.label, p.kind) for p in found}
    return {
        ("crash loop", "Pod"),
        ("image pull", "Pod"),
        ("pending", "Pod"),
        ("rollout stuck", "Deployment"),
    } <= labels


def _pod_statuses(app: KtuiApp) -> list[str]:
    from ktui.view.pod import pod_status_reason

    return [pod_status_reason(p) for p in app.model.objects.objects("Pod").values()]


async def main() -> None:
    check_tools()
    OUT.mkdir(exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_demo(timings=Timings(scale=0.5)) as cluster,
    ):
        path = str(Path(tmp) / "kubeconfig")
        cluster.write_kubeconfig(path)
        settings = Settings(kubeconfig=path, all_namespaces=True, demo=True)
        for suffix, size in SIZES.items():
            connection = connect(settings)
            probe_server(connection)
            app = make_app(settings, connection=connection)
            async with app.run_test(size=size) as pilot:
                run: Callable[[KtuiApp, Any, str], Awaitable[None]] = scenes
                await run(app, pilot, suffix)
            connection.close()


if __name__ == "__main__":
    asyncio.run(main())
