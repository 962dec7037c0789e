"""A plain-http server: the app says once that the kubeconfig's credentials are not sent."""

from __future__ import annotations

from pathlib import Path

import yaml
from ui_support import deployment, wait_for

from ktui.cluster.connection import connect
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import make_app
from ktui.ui.live_table import LiveTable


async def test_plain_http_warning_is_shown_once(tmp_path: Path) -> None:
    # The embedded server without TLS and without a token of its own: it answers anyone.
    with SimServer(port=0, token=None, tls=False) as sim:
        sim.store.create("apps", "deployments", deployment("web"))
        path = tmp_path / "kubeconfig"
        path.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "c", "cluster": {"server": sim.url}}],
                    "users": [{"name": "u", "user": {"token": "plain-http-token-123456"}}],
                    "contexts": [
                        {
                            "name": "x",
                            "context": {"cluster": "c", "user": "u", "namespace": "default"},
                        }
                    ],
                    "current-context": "x",
                }
            )
        )
        connection = connect(Settings(kubeconfig=str(path)))
        app = make_app(Settings(), connection=connection)
        async with app.run_test(size=(160, 50)) as pilot:
            workloads = app.screen.query_one("#workloads", LiveTable)
            await wait_for(pilot, lambda: workloads.total_count == 1, "web listed")
            warnings = [str(n.message) for n in app._notifications if n.severity == "warning"]
        connection.close()
    assert warnings == [
        f"server {sim.url} is plain http: credentials are not sent (as kubectl does)"
    ]
