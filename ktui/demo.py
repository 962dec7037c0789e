"""`ktui --demo`: the demo cluster (ktui.sim.demo), a connection to it, and the app on top.

This is the only place that joins the embedded cluster and the UI, so `ktui.sim` stays free of
the UI. The heavy modules are imported on the call, as in ktui.cli.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ktui.settings import Settings


def run_demo_app(settings: Settings, *, run_app: Callable[[Any], object] | None = None) -> int:
    """Start the embedded cluster, open ktui on it (all namespaces), stop it on exit.

    `run_app(app)` runs the app instead of `app.run()` (tests run it headless)."""
    from ktui.cluster.connection import connect, probe_server
    from ktui.gc_pacer import GcPacer
    from ktui.sim.demo import demo_kubeconfig
    from ktui.ui.app import make_app

    with demo_kubeconfig() as path:
        demo_settings = Settings(
            kubeconfig=path,
            namespace=settings.namespace,
            all_namespaces=settings.namespace is None,
            readonly=settings.readonly,
            demo=True,
        )
        connection = connect(demo_settings)
        probe_server(connection)
        try:
            # The pacer only when the app runs for real (a test's app must not be frozen).
            pacer = GcPacer() if run_app is None else None
            app = make_app(demo_settings, connection=connection, gc_pacer=pacer)
            if run_app is None:
                app.run()
            else:
                run_app(app)
            return int(app.return_code or 0)
        finally:
            connection.close()
