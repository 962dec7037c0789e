"""ktui: a keyboard-driven terminal UI for inspecting Kubernetes workloads live."""

__version__ = "0.1.0"
