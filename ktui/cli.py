"""Command line: kubectl-style flags in, `Settings` out, then the app (or the embedded cluster).

Everything heavy (the Textual app, the embedded cluster) is imported only once it is needed, so
`ktui --version` and start-up errors are quick. Every start-up failure is one line on stderr
prefixed `ktui: ` with exit status 1; usage errors exit 2, as argparse does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ktui import __version__
from ktui.settings import Settings

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


class _StartupError(Exception):
    """A start-up problem already phrased for the user."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ktui",
        description="A keyboard-driven terminal UI for inspecting Kubernetes workloads live.",
    )
    parser.add_argument("--version", action="version", version=f"ktui {__version__}")
    parser.add_argument(
        "--kubeconfig",
        metavar="PATH",
        help="kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)",
    )
    parser.add_argument(
        "--context", metavar="NAME", help="kubeconfig context (default: the current context)"
    )
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "-n",
        "--namespace",
        metavar="NS",
        type=_namespace_name,
        help="namespace to show (default: the context's, else 'default')",
    )
    scope.add_argument("-A", "--all-namespaces", action="store_true", help="show every namespace")
    parser.add_argument(
        "--readonly", action="store_true", help="disable every action that changes the cluster"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run on an embedded demo cluster (no Kubernetes cluster needed)",
    )

    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sim = commands.add_parser(
        "sim",
        help="run the embedded cluster as an API server only",
        description="Run the embedded cluster as a Kubernetes-compatible API server on 127.0.0.1.",
    )
    sim.add_argument(
        "--port", type=_port_number, default=0, help="port to listen on (default: any free port)"
    )
    sim.add_argument(
        "--write-kubeconfig",
        metavar="PATH",
        help="write a kubeconfig for the server to PATH (for kubectl or ktui --kubeconfig)",
    )
    sim.add_argument(
        "--pods",
        type=_non_negative,
        default=0,
        metavar="N",
        help="load: also run N extra pods (in namespace 'load', 100 Deployments)",
    )
    sim.add_argument(
        "--events-per-second",
        type=_non_negative,
        default=0,
        metavar="R",
        help="load: change R pods per second (each change is one watch event per watcher)",
    )
    sim.add_argument(
        "--no-scenario", action="store_true", help="start empty, without the demo workloads"
    )
    sim.add_argument(
        "--no-rollouts",
        action="store_true",
        help="do not roll shop/web by itself every few minutes (for scripted kubectl sessions)",
    )
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    return Settings(
        kubeconfig=args.kubeconfig,
        context=args.context or None,
        namespace=args.namespace,
        all_namespaces=args.all_namespaces,
        readonly=args.readonly,
        demo=args.demo,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None and args.demo and (args.kubeconfig or args.context):
        parser.error("--demo runs its own cluster; --kubeconfig and --context do not apply")

    # Imported here, not at module level, so `--version` and `--help` stay instant.
    from ktui.cluster.errors import KtuiError
    from ktui.logs import configure_logging

    configure_logging()

    try:
        if args.command == "sim":
            return _run_sim(
                args.port,
                args.write_kubeconfig,
                pods=args.pods,
                events_per_second=args.events_per_second,
                scenario=not args.no_scenario,
                rollouts=not args.no_rollouts,
            )
        settings = settings_from_args(args)
        if settings.demo:
            return _run_demo(settings)
        return _run_app(settings)
    except (KtuiError, _StartupError) as exc:
        _print_error(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def _run_app(settings: Settings) -> int:
    from ktui.cluster.connection import connect, probe_server

    connection = connect(settings)
    try:
        if connection.transport_warning:
            # Before the probe, so it is also there when the probe fails; the app repeats it.
            _print_error(f"warning: {connection.transport_warning}")
        probe_server(connection)
        make_app = _load(
            "ktui.ui.app", "make_app", "the terminal UI (ktui.ui.app) is not available"
        )
        from ktui.gc_pacer import GcPacer

        app = make_app(settings, connection=connection, gc_pacer=GcPacer())
        app.run()
        return_code = getattr(app, "return_code", 0)
        return return_code if isinstance(return_code, int) else 0
    finally:
        connection.close()


def _run_demo(settings: Settings) -> int:
    run_demo_app = _load("ktui.demo", "run_demo_app", "the demo (ktui.demo) is not available")
    result = run_demo_app(settings)
    return result if isinstance(result, int) else 0


def _run_sim(port: int, kubeconfig_path: str | None, **load: Any) -> int:
    run_sim = _load(
        "ktui.sim.cli", "run_sim", "the embedded cluster (ktui.sim.cli) is not available"
    )
    result = run_sim(port, kubeconfig_path, **load)
    return result if isinstance(result, int) else 0


def _load(module_name: str, attribute: str, unavailable: str) -> Callable[..., Any]:
    """`module_name.attribute`, or a _StartupError when that module is not installed.

    Only the module itself missing is turned into a message; an import error raised from inside
    it is a bug and keeps its traceback.
    """
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name or module_name.startswith(f"{exc.name}."):
            raise _StartupError(unavailable) from None
        raise
    function = getattr(module, attribute, None)
    if not callable(function):
        raise _StartupError(f"{unavailable} ({module_name}.{attribute} is missing)")
    return function  # type: ignore[no-any-return]


def _print_error(message: str) -> None:
    print(f"ktui: {' '.join(message.split())}", file=sys.stderr)


def _namespace_name(value: str) -> str:
    from ktui.names import namespace_name_problem

    problem = namespace_name_problem(value)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return value


def _non_negative(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {value}")
    return number


def _port_number(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0-65535)")
    return port
