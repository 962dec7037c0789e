"""The headless packages (cluster, model, view, render, sim) must import without Textual.

They run in the watch threads, the embedded cluster and benchmarks, where a UI toolkit is dead
weight; a stray `import textual` would also make them untestable without a terminal.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

HEADLESS_PACKAGES = ("ktui.cluster", "ktui.model", "ktui.view", "ktui.render", "ktui.sim")

PROBE = textwrap.dedent(
    """\
    import importlib, json, pkgutil, sys

    imported = []
    for package_name in {packages!r}:
        package = importlib.import_module(package_name)
        imported.append(package_name)
        for module in pkgutil.walk_packages(package.__path__, prefix=package_name + "."):
            importlib.import_module(module.name)
            imported.append(module.name)
    textual = sorted(n for n in sys.modules if n == "textual" or n.startswith("textual."))
    print(json.dumps({{"imported": imported, "textual": textual}}))
    """
)


def test_headless_packages_do_not_import_textual() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE.format(packages=HEADLESS_PACKAGES)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, f"importing failed:\n{completed.stderr}"
    report = json.loads(completed.stdout)
    assert set(HEADLESS_PACKAGES) <= set(report["imported"])
    assert "ktui.cluster.connection" in report["imported"]
    assert report["textual"] == [], (
        f"textual was imported by a headless module: {report['textual'][:5]}"
    )


def test_the_probe_would_notice_textual() -> None:
    """The check above is only meaningful if importing a Textual module shows up this way."""
    completed = subprocess.run(
        [sys.executable, "-c", "import textual.app, sys; print('textual' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert completed.stdout.strip() == "True"
