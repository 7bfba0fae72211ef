"""``magscope script check|run FILE``: check a protocol and print its plan, or run it."""

from __future__ import annotations

import argparse
import logging
import signal
import time
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from rich.table import Table

from magscope_core._app import plan_session, prepare_out_dir
from magscope_core._builtin import GetPipelineStats
from magscope_core._config_errors import ConfigurationError
from magscope_core._hub import Hub
from magscope_core._locks import LOCK_COMMAND_TYPES
from magscope_core._logging import configure_logging
from magscope_core._motion import MotionModel, describe_models, motion_models
from magscope_core._proctitle import set_process_title
from magscope_core._protocol_load import Protocol, ProtocolError, load_protocol
from magscope_core._protocol_runner import ProtocolRunner, RunProgress
from magscope_core._protocol_settings import PROTOCOL_NAMESPACE
from magscope_core._registry import CommandConflictError, UnknownCommandError
from magscope_core.cli._commands_cmd import _registry
from magscope_core.cli._common import console, load_everything
from magscope_core.cli._run_cmd import (
    _choose_frontend,
    _install_signal_handlers,
    _key_values,
    _print_summary,
    _restore_signal_handlers,
    _run_frontend,
    _StartupPrinter,
    _summary,
    session_beads,
)
from magscope_core.cli._run_report import (
    CONFIG_ERROR,
    RUN_FAILED,
    config_error_line,
    remote_config_line,
)
from magscope_core.cli._similar_flag import add_similar_argument

__all__ = ["add_parser", "print_plan"]


def add_parser(sub: Any) -> None:
    """Register ``script`` with its ``check`` and ``run`` subcommands."""
    p = sub.add_parser("script", help="check or run a protocol (a Python file of steps)",
                       description="Protocols: see docs/protocols.md.")
    inner = p.add_subparsers(dest="script_command", metavar="ACTION")
    c = inner.add_parser("check", help="check every step and print the plan with its duration")
    c.add_argument("file", type=Path)
    c.set_defaults(func=check)
    r = inner.add_parser("run", help="run a protocol in a new session (in the GUI's Script "
                         "panel when a display exists, else headless)")
    r.add_argument("file", type=Path)
    r.add_argument("--headless", action="store_true",
                   help="no GUI even if a display exists: the session ends with the protocol")
    r.add_argument("--panels", default=None,
                   help="GUI: comma-separated panel ids to load (the Script panel is always "
                   "among them)")
    r.add_argument("--out", type=Path, default=None, metavar="DIR", help="output folder")
    r.add_argument("--camera", default=None, help="camera plugin name")
    r.add_argument("--camera-option", "-O", action="append", default=[], metavar="KEY=VALUE",
                   help="camera option for this run (repeatable)")
    r.add_argument("--tracker", default=None, help="tracker plugin name")
    r.add_argument("--workers", type=int, default=None, help="tracker worker processes")
    r.add_argument("--mode", default=None, help="acquisition mode")
    r.add_argument("--writers", default=None, help="comma-separated writer names")
    r.add_argument("--no-save", action="store_true", help="do not write files")
    r.add_argument("--beads", type=int, default=None, metavar="N",
                   help="add up to N bead ROIs automatically before the protocol (0: none)")
    add_similar_argument(r)
    r.add_argument("--zlut", type=Path, default=None, help="Z-LUT file to load at start")
    r.add_argument("--safe-force", type=float, default=None, metavar="PN",
                   help="force to leave the magnet at if the protocol stops or fails "
                   "(default: the protocol.safe_force_pn setting)")
    r.set_defaults(func=run)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def print_plan(out: Console, protocol: Protocol,
               motion: Mapping[str, MotionModel] | None = None) -> None:
    """The plan table: step, line, what, duration, start.

    ``motion``: the motors' models; motor moves and waits for them are timed with them.
    """
    table = Table(title=f"{protocol.name}: {protocol.title}")
    for col in ("step", "line", "what", "duration", "starts at"):
        table.add_column(col)
    for row in protocol.plan(motion):
        table.add_row(str(row.number), str(row.line or "-"), row.text,
                      "?" if row.duration_s is None else f"{row.duration_s:.4g} s",
                      f"{row.start_s:.4g} s")
    out.print(table)
    total, exact = protocol.duration_s(motion)
    note = "" if exact else " (at least: waits and ramps of unknown length count 0)"
    out.print(f"{len(protocol.steps)} steps, duration {_hms(total)}{note}", highlight=False)
    out.print("motor moves timed with: "
              + (describe_models(motion) if motion else "no motor models (waits for motors "
                 "unknown)"), highlight=False)
    if protocol.uses(*LOCK_COMMAND_TYPES):
        out.print("uses a lock: 'magscope script run' starts the locks manager for it",
                  highlight=False)


def _hms(seconds: float) -> str:
    m, s = divmod(seconds, 60.0)
    h, m = divmod(m, 60.0)
    return f"{int(h)}:{int(m):02d}:{s:04.1f}" if h else f"{int(m)}:{s:04.1f}"


def _load(args: argparse.Namespace, err: Console) -> Protocol | None:
    try:
        return load_protocol(args.file, _registry(args))
    except ProtocolError as exc:
        err.print(f"[red]error:[/red] {exc}", soft_wrap=True, highlight=False)
    except (CommandConflictError, UnknownCommandError, TypeError) as exc:
        err.print(f"[red]error:[/red] {exc}", soft_wrap=True, highlight=False)
    return None


def check(args: argparse.Namespace) -> int:
    """``magscope script check FILE``: 0 when every step is valid, 2 otherwise."""
    err = console(stderr=True)
    protocol = _load(args, err)
    if protocol is None:
        return CONFIG_ERROR
    plugins, store = load_everything(args)
    print_plan(console(), protocol, motion_models(plugins, store))
    return 0


class _ProgressPrinter:
    """Prints one line per step (and the end) while a protocol runs headless."""

    def __init__(self, out: Console) -> None:
        self._out = out
        self._last: tuple[int, str] = (-1, "")

    def __call__(self, p: RunProgress) -> None:
        key = (p.step, p.state)
        if key != self._last:
            self._last = key
            self._out.print(f"protocol {p.line_text()}", highlight=False, soft_wrap=True)


def run(args: argparse.Namespace) -> int:
    """``magscope script run FILE``: a session that runs the protocol.

    Headless (``--headless``, or no display) the session ends with the protocol. With
    the GUI the window opens with the Script panel running the file, and the session
    ends when the window closes. Exit code 0 when the protocol is done, 1 when it failed
    or was stopped (Ctrl-C, the window closed first), 2 for a protocol or configuration
    error (nothing ran).
    """
    set_process_title("hub")
    err = console(stderr=True)
    protocol = _load(args, err)
    if protocol is None:
        return CONFIG_ERROR
    plugins, store = load_everything(args)
    settings = store.get(PROTOCOL_NAMESPACE)
    safe = args.safe_force if args.safe_force is not None else settings.safe_force
    writers = [w for w in args.writers.split(",") if w] if args.writers else None
    frontend = None if args.headless else _choose_frontend(plugins, err)
    try:
        plan = plan_session(
            plugins, store, camera=args.camera, out_dir=args.out, writers=writers,
            tracker=args.tracker, mode=args.mode, saving=not args.no_save, zlut=args.zlut,
            n_workers=args.workers, camera_options=_key_values(args.camera_option),
            locks=protocol.uses(*LOCK_COMMAND_TYPES),
            managers=frontend.spec.managers if frontend is not None else ())
        prepare_out_dir(plan.out_dir)
    except ConfigurationError as exc:
        return config_error_line(err, str(exc))
    configure_logging(store.get("core").log_level, plan.out_dir / "magscope.log")
    try:
        hub = Hub(plan.managers, plan.commands, plan.config)
    except (CommandConflictError, UnknownCommandError, TypeError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        return CONFIG_ERROR
    if frontend is not None:
        return _run_in_gui(frontend, hub, plan, protocol, args, err, (plugins, store))
    runner = ProtocolRunner(hub, protocol, safe_force_pn=safe,
                            poll_s=settings.poll_interval_s, on_change=_ProgressPrinter(err),
                            motion=motion_models(plugins, store))
    previous = _signals(runner, hub)
    started = time.monotonic()
    status: dict[str, Any] = {}
    stats: dict[str, Any] = {}
    try:
        err.print(f"session starting for protocol {protocol.name}: camera {plan.camera}, "
                  f"output {plan.out_dir}", highlight=False)
        hub.add_startup_listener(_StartupPrinter(err, hub))
        hub.start()
        if hub.config_errors:
            return config_error_line(err, remote_config_line(hub.config_errors[0]))
        problem = session_beads(hub, args, store.get("core").roi_size, err)
        if problem is not None:
            return config_error_line(err, problem)
        started = time.monotonic()
        runner.start()
        while not runner.wait(0.2):
            if hub.stop_requested:  # a fatal error: abort the protocol
                runner.stop(f"the session is ending ({hub.stop_reason or 'stop requested'})")
        stats = _pipeline_stats(hub)
    finally:
        runner.stop("the session is ending")
        if runner.started:
            runner.wait(10.0)
        elapsed = time.monotonic() - started
        if hub.session is not None:
            status = hub.status()
        hub.request_stop(hub.stop_reason or f"protocol {runner.state}")
        hub.stop()
        for sig, old in previous.items():
            signal.signal(sig, old)
    _print_summary(_summary(hub, plan.out_dir, elapsed, status, hub.pipeline_final or stats))
    return _outcome(err, protocol, runner)


def _run_in_gui(frontend: Any, hub: Hub, plan: Any, protocol: Protocol,
                args: argparse.Namespace, err: Console, loaded: tuple[Any, Any]) -> int:
    """The GUI runs the session; its Script panel loads and runs the protocol."""
    args.protocol_file = protocol.path
    args.protocol_runner = None
    args.duration = None
    previous = _install_signal_handlers(hub)  # Ctrl-C / SIGTERM: the window closes
    started = time.monotonic()
    status: dict[str, Any] = {}
    stats: dict[str, Any] = {}
    try:
        err.print(f"session starting for protocol {protocol.name} in the GUI (Script "
                  f"panel): camera {plan.camera}, output {plan.out_dir}", highlight=False)
        if not frontend.spec.starts_session:
            hub.start()
            if not hub.config_errors:
                problem = session_beads(hub, args, loaded[1].get("core").roi_size, err)
                if problem is not None:
                    err.print(f"[yellow]warning:[/yellow] {problem}", soft_wrap=True)
        if not hub.config_errors:
            started = _run_frontend(frontend, hub, plan, args, err, loaded)
            stats = _pipeline_stats(hub) if not hub.config_errors else {}
    finally:
        runner: ProtocolRunner | None = args.protocol_runner
        if runner is not None:  # the window closed: its panel stopped a run under way
            runner.stop("the session is ending")
            runner.wait(10.0)
        elapsed = time.monotonic() - started
        if hub.session is not None:
            status = hub.status()
        hub.stop()
        _restore_signal_handlers(previous)
    if hub.config_errors:
        return config_error_line(err, remote_config_line(hub.config_errors[0]))
    _print_summary(_summary(hub, plan.out_dir, elapsed, status, hub.pipeline_final or stats))
    if runner is None:
        err.print(f"[red]protocol {protocol.name} not run[/red] (see the window's log and "
                  f"{plan.out_dir / 'magscope.log'})", soft_wrap=True, highlight=False)
        return RUN_FAILED
    return _outcome(err, protocol, runner)


def _pipeline_stats(hub: Hub) -> dict[str, Any]:
    try:
        return dict(hub.call(GetPipelineStats(), timeout=5.0))
    except Exception as exc:
        logging.getLogger("magscope").warning("no pipeline statistics: %s", exc)
        return {}


def _outcome(err: Console, protocol: Protocol, runner: ProtocolRunner) -> int:
    """Say how the protocol ended; its exit code."""
    final = runner.progress()
    if final.state == "done":
        err.print(f"protocol {protocol.name} done in {final.elapsed_s:.1f} s", highlight=False)
        return 0
    err.print(f"[red]protocol {final.state}:[/red] {final.error}", soft_wrap=True,
              highlight=False)
    return RUN_FAILED


def _signals(runner: ProtocolRunner, hub: Hub) -> dict[int, Any]:
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: FrameType | None) -> None:
        runner.stop(f"stopped by {signal.Signals(signum).name}")

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    return previous
