"""The one typed settings object, built by the CLI (and by tests) and handed to the app factory."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    kubeconfig: str | None = None
    """An explicit kubeconfig path (`--kubeconfig`); None means KUBECONFIG, then ~/.kube/config."""
    context: str | None = None
    namespace: str | None = None
    """None means the context's namespace (or "default")."""
    all_namespaces: bool = False
    readonly: bool = False
    demo: bool = False
