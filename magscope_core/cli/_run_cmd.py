"""``magscope run``: start a session (headless until the GUI plugin is installed)."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from rich.table import Table

from magscope_core._acquisition import MODES
from magscope_core._app import plan_session, prepare_out_dir
from magscope_core._beads import AddBead
from magscope_core._builtin import FindBeads, GetPipelineStats
from magscope_core._config_errors import ConfigurationError
from magscope_core._hub import Hub
from magscope_core._logging import configure_logging
from magscope_core._proctitle import set_process_title
from magscope_core._registry import CommandConflictError, UnknownCommandError
from magscope_core._startup import StartupStep
from magscope_core._zlut_run import sweep_at_start, zlut_line
from magscope_core.cli._common import console, load_everything
from magscope_core.cli._lock_flags import add_lock_arguments, start_locks, wants_locks
from magscope_core.cli._run_report import (
    CONFIG_ERROR,
    RUN_FAILED,
    config_error_line,
    help_camera,
    remote_config_line,
    run_problems,
)
from magscope_core.cli._similar_flag import add_similar_argument, add_similar_beads

__all__ = ["add_parser", "run", "session_beads"]


def add_parser(sub: Any) -> None:
    """Register ``run``."""
    p = sub.add_parser(
        "run",
        help="start a session: camera, pipeline, writers and plugin managers",
        description="Start a session. Without a GUI plugin (or with --headless) it runs "
        "headless, shows a progress line and prints a summary at the end.",
    )
    p.add_argument("--headless", action="store_true", help="no GUI even if a display exists")
    p.add_argument("--duration", type=float, default=None, metavar="SECONDS",
                   help="stop after this many seconds (default: until Ctrl-C / SIGTERM)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="output folder (default: a new time-stamped folder under "
                   "the core.output_dir setting)")
    p.add_argument("--camera", default=None, help="camera plugin name (see 'magscope plugins')")
    p.add_argument("--writers", default=None,
                   help="comma-separated writer names (default: every default writer)")
    p.add_argument("--camera-option", "-O", action="append", default=[], metavar="KEY=VALUE",
                   help="camera option for this run (repeatable), e.g. -O width=512; "
                   "see --help-camera")
    p.add_argument("--help-camera", action="store_true",
                   help="list the options of the camera (--camera, else the default one): "
                   "name, type, default, allowed values, unit; then exit")
    p.add_argument("--tracker", default=None, help="tracker plugin name")
    p.add_argument("--workers", type=int, default=None, help="tracker worker processes")
    p.add_argument("--mode", default=None, metavar="MODE",
                   help=f"acquisition mode: {', '.join(MODES)} (default: the "
                   "core.acquisition_mode setting)")
    p.add_argument("--no-save", action="store_true", help="track without writing files")
    p.add_argument("--beads", type=int, default=None, metavar="N",
                   help="add up to N bead ROIs automatically (default: every bead found; "
                   "0: none)")
    p.add_argument("--zlut", type=Path, default=None, help="Z-LUT file to load at start")
    p.add_argument("--no-managers", action="store_true",
                   help="do not start the managers plugins contribute (hardware, ...), nor "
                   "the GUI's locks (--xy-lock/--z-lock still start them)")
    p.add_argument("--manager", action="append", default=[], metavar="NAME",
                   help="also start this plugin manager (one that does not start by itself, "
                   "e.g. microscope-focus); it replaces a default one driving the same motor")
    p.add_argument("--panels", default=None,
                   help="GUI: comma-separated panel ids to load (default: the gui.panels "
                   "setting, else every installed panel)")
    add_similar_argument(p)
    add_lock_arguments(p)
    p.add_argument("--json-summary", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run a session; return the exit code (0 ok, 1 the run failed, 2 configuration)."""
    set_process_title("hub")  # ps/top: "magscope: hub" (the children name themselves)
    err = console(stderr=True)
    plugins, store = load_everything(args)
    if args.help_camera:
        return help_camera(err, console(), plugins, args.camera)
    writers = [w for w in args.writers.split(",") if w] if args.writers else None
    frontend = None if args.headless else _choose_frontend(plugins, err)
    try:
        plan = plan_session(
            plugins, store, camera=args.camera, out_dir=args.out, writers=writers,
            with_managers=not args.no_managers, tracker=args.tracker, mode=args.mode,
            saving=not args.no_save, zlut=args.zlut, n_workers=args.workers,
            camera_options=_key_values(args.camera_option), locks=wants_locks(args),
            managers=[*args.manager,
                      *(frontend.spec.managers if frontend is not None and not args.no_managers
                        else ())],
        )
        prepare_out_dir(plan.out_dir)
    except ConfigurationError as exc:
        return config_error_line(err, str(exc))
    log_file = plan.out_dir / "magscope.log"
    configure_logging(store.get("core").log_level, log_file)
    try:
        hub = Hub(plan.managers, plan.commands, plan.config)
    except (CommandConflictError, UnknownCommandError, TypeError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        return 2
    previous = _install_signal_handlers(hub)
    started = time.monotonic()
    frames_at_start = 0
    stats: dict[str, Any] = {}
    lock_error: str | None = None
    try:
        err.print(
            f"session starting: camera [bold]{plan.camera}[/bold], tracker "
            f"{plan.tracker or 'none'}, mode {plan.mode}, writers "
            f"{', '.join(plan.writers) or 'none'}, output {plan.out_dir}"
        )
        zlut_line(err, plan)
        if frontend is None:
            hub.add_startup_listener(_StartupPrinter(err, hub))
        if frontend is None or not frontend.spec.starts_session:
            hub.start()
            if hub.config_errors:  # a manager refused the configuration: nothing to run
                hub.request_stop("configuration error")
            else:
                lock_error = session_beads(hub, args, store.get("core").roi_size, err)
                if lock_error is None:
                    sweep_at_start(hub, plan, err)
                    lock_error = start_locks(hub, args, err)
                if lock_error is not None:
                    hub.request_stop("a bead search or a lock could not start")
        started = time.monotonic()  # the --duration clock: every consumer is ready now
        frames_at_start = _acquired(hub)  # a start-up sweep's frames are not in the rate
        if frontend is not None and not hub.config_errors:
            started = _run_frontend(frontend, hub, plan, args, err, (plugins, store))
        else:
            _progress_loop(hub, args.duration, err, started)
        try:
            if not hub.config_errors:
                stats = hub.call(GetPipelineStats(), timeout=5.0)
        except Exception as exc:
            logging.getLogger("magscope").warning("no pipeline statistics: %s", exc)
    finally:
        elapsed = time.monotonic() - started
        status = hub.status() if hub.session is not None else {}
        hub.stop()
        _restore_signal_handlers(previous)
    summary = _summary(hub, plan.out_dir, elapsed, status, hub.pipeline_final or stats,
                       frames_at_start)
    configuration = [remote_config_line(e) for e in hub.config_errors]
    problems = configuration or run_problems(summary, plan, plugins, status,
                                             saving=not args.no_save)
    code = CONFIG_ERROR if configuration else RUN_FAILED if problems else 0
    summary["problems"] = problems
    summary["exit_code"] = code
    if args.json_summary:
        print(json.dumps(summary, indent=2))
    elif summary["frames"] or not configuration:  # nothing ran: the error line says it all
        _print_summary(summary)
    if configuration or lock_error:
        return config_error_line(err, configuration[0] if configuration else str(lock_error),
                                 log_file)
    for problem in problems:
        err.print(f"[red]run failed:[/red] {problem}", soft_wrap=True, highlight=False)
    return code


def _choose_frontend(plugins: Any, err: Console) -> Any:
    """The frontend (GUI) to run, or None to run headless (with the reason printed)."""
    import os

    fronts = sorted(plugins.frontends.values(), key=lambda c: -c.spec.priority)
    if not fronts:
        err.print("no GUI plugin is installed: running headless")
        return None
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    for contrib in fronts:
        if has_display or not contrib.spec.needs_display:
            return contrib
    err.print("no display: running headless (use --headless to say so)")
    return None


def _run_frontend(contrib: Any, hub: Hub, plan: Any, args: argparse.Namespace,
                  err: Console, plugins_and_store: tuple[Any, Any]) -> float:
    """Import and run a frontend; it returns when its window closes (or --duration).

    The frontend gets ``args`` with more attributes: ``plugins`` (the loaded
    :class:`~magscope_core.PluginSet`), ``settings_store`` (the
    :class:`~magscope_core.SettingsStore`) and, for a frontend that
    ``starts_session``, ``start_session`` (starts the hub and adds the bead ROIs; the
    frontend calls it in a thread of its own while it shows the start-up).

    Returns
    -------
    float
        ``time.monotonic()`` when the session was up (the summary's clock starts there).
    """
    import importlib

    starts = bool(contrib.spec.starts_session)
    ready_at = [time.monotonic()]
    failure: list[BaseException] = []

    def start_session() -> None:
        try:
            hub.start()
        except BaseException as exc:
            failure.append(exc)
            raise
        if hub.config_errors:  # the window shows it; the run ends with the one line
            hub.request_stop("configuration error")
            return
        problem = session_beads(hub, args, plugins_and_store[1].get("core").roi_size, err)
        sweep_at_start(hub, plan, err)
        if problem is None:
            problem = start_locks(hub, args, err)
        if problem is not None:
            err.print(f"[yellow]warning:[/yellow] {problem}", soft_wrap=True)
        ready_at[0] = time.monotonic()

    module, _, attr = contrib.spec.run.partition(":")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except Exception as exc:
        err.print(f"[red]error:[/red] frontend {contrib.spec.name!r} of plugin "
                  f"{contrib.plugin!r} ({contrib.distribution}) cannot be loaded from "
                  f"{contrib.spec.run}: {exc}; running headless")
        if starts:
            start_session()
        _progress_loop(hub, args.duration, err, time.monotonic())
        return ready_at[0]
    args.plugins, args.settings_store = plugins_and_store
    if starts:
        args.start_session = start_session
    code = fn(hub, plan, args)
    if failure:  # the window showed it; the caller reports it as a headless run would
        raise failure[0]
    if args.duration is not None and time.monotonic() - ready_at[0] >= args.duration - 0.5:
        hub.request_stop("duration reached")
    hub.request_stop(hub.stop_reason or f"window closed (frontend exit code {code})")
    return ready_at[0]


def _key_values(items: list[str]) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}`` (values stay strings)."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigurationError(f"camera option -O {item!r} is not KEY=VALUE "
                                     "(see --help-camera)")
        out[key.strip()] = value.strip()
    return out


def session_beads(hub: Hub, args: argparse.Namespace, size: int, err: Console) -> str | None:
    """The bead ROIs a session starts with: ``--similar-to`` or ``--beads``.

    Returns one line when the ``--similar-to`` search could not run, else None.
    """
    seed = getattr(args, "similar_to", None)
    if seed is None:
        _add_beads(hub, getattr(args, "beads", None), size, err)
        return None
    if hub.stop_requested:
        return None
    return add_similar_beads(hub, seed, size, err)


def _add_beads(hub: Hub, limit: int | None, size: int, err: Console) -> None:
    """Add bead ROIs where the camera finds beads (all of them, or up to ``limit``)."""
    if limit == 0 or hub.stop_requested:
        return
    try:
        centres = hub.call(FindBeads(n=limit if limit is not None else 1000, size=size),
                           timeout=10.0)
        for x, y in centres:
            hub.call(AddBead(x=float(x), y=float(y), size=size))
    except Exception as exc:
        err.print(f"[yellow]warning:[/yellow] could not add beads automatically: {exc}")
        return
    err.print(f"added {len(centres)} bead ROI(s) of {size} px")


def _install_signal_handlers(hub: Hub) -> dict[int, Any]:
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: FrameType | None) -> None:
        hub.request_stop(f"signal {signal.Signals(signum).name}")

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    return previous


def _restore_signal_handlers(previous: dict[int, Any]) -> None:
    for sig, old in previous.items():
        signal.signal(sig, old)


class _StartupPrinter:
    """Headless: print the start-up steps worth a line (progress, failures, the end).

    On a terminal successive progress reports of one step overwrite each other.
    """

    def __init__(self, out: Console, hub: Hub) -> None:
        self._out = out
        self._hub = hub
        self._tty = sys.stderr.isatty()
        self._open = False  # a progress line waits to be overwritten

    def __call__(self, step: StartupStep) -> None:
        if step.state in ("starting", "ready"):
            return
        if step.state in ("failed", "session-failed") and self._hub.config_errors:
            return  # a configuration error: run() prints its one line at the end
        if step.state == "session-ready":
            line = f"session ready after {step.elapsed_s:.1f} s"
        elif step.manager == "hub":
            line = step.message
        else:
            line = f"{step.manager}: {step.message}"
        text = f"start-up {step.elapsed_s:6.1f} s  {line}"
        if self._tty and step.state == "progress" and step.manager != "hub":
            self._out.print(text.ljust(79), end="\r", highlight=False)
            self._open = True
            return
        if self._open:
            self._out.print()
            self._open = False
        self._out.print(text, highlight=False)


def _acquired(hub: Hub) -> int:
    """Frames acquired so far (0 before the hub runs)."""
    if hub.session is None:
        return 0
    ring = hub.status()["ring"]
    return int(ring.get("frames_written", 0)) - int(ring.get("frames_live_only", 0))


def _progress_loop(hub: Hub, duration: float | None, out: Console, started: float) -> None:
    tty = sys.stderr.isatty()
    last_print = 0.0
    first = _acquired(hub)  # frames before the clock started (a start-up sweep's)
    while not hub.wait(0.5):
        now = time.monotonic()
        elapsed = now - started
        if duration is not None and elapsed >= duration:
            hub.request_stop("duration reached")
            break
        if tty or now - last_print >= 5.0:
            last_print = now
            ring = hub.status()["ring"]
            # acquired frames (live-only ones, taken with acquisition off, are not)
            frames = int(ring.get("frames_written", 0)) - int(ring.get("frames_live_only", 0))
            dropped = int(ring.get("frames_dropped", 0))
            total = f"/{duration:.0f}" if duration else ""
            # frames since the clock started (a start-up sweep's are counted in the summary)
            line = (f"{elapsed:6.1f}{total} s  frames {frames - first}  "
                    f"{(frames - first) / max(elapsed, 1e-9):7.1f} fps  dropped {dropped}")
            if tty:
                out.print(line, end="\r", highlight=False)
            else:
                out.print(line, highlight=False)
    if tty:
        out.print()


def _summary(hub: Hub, out_dir: Path, elapsed: float, status: dict[str, Any],
             stats: dict[str, Any], frames_at_start: int = 0) -> dict[str, Any]:
    ring = status.get("ring", {})
    counters = status.get("counters", {})
    frames = int(ring.get("frames_written", 0)) - int(ring.get("frames_live_only", 0))
    files = sorted({p for paths in hub.files.values() for p in paths})
    failed = sorted(n for n, m in status.get("managers", {}).items() if m.get("state") == "failed")
    return {
        "out_dir": str(out_dir),
        "seconds": round(elapsed, 3),
        "frames": frames,
        "fps": round((frames - frames_at_start) / elapsed, 2) if elapsed > 0 else 0.0,
        "startup_frames": frames_at_start,
        "dropped": int(ring.get("frames_dropped", 0)),
        "live_only_frames": int(ring.get("frames_live_only", 0)),
        "camera_frames": int(counters.get("camera_frames", 0)),
        "camera_timeouts": int(counters.get("camera_timeouts", 0)),
        "frames_processed": int(stats.get("frames", 0)),
        "stacks_tracked": int(stats.get("stacks_tracked", 0)),
        "stacks_failed": int(stats.get("stacks_failed", 0)),
        "worker_restarts": int(stats.get("worker_restarts", 0)),
        "worker_timeouts": int(stats.get("worker_timeouts", 0)),
        "beads": len(status.get("beads", [])),
        "failed_writers": stats.get("failed_writers", {}),
        "files": files,
        "files_by_writer": {w: sorted(set(p)) for w, p in sorted(hub.files.items())},
        "failed_managers": failed,
        "fatal_errors": sum(1 for e in hub.errors if e.fatal),
        "errors": [f"{e.manager}: {e.error}" for e in hub.errors],
        "stop_reason": hub.stop_reason,
    }


def _print_summary(summary: dict[str, Any]) -> None:
    table = Table(title="magscope run summary", show_header=False)
    table.add_column("what")
    table.add_column("value")
    for key in ("out_dir", "seconds", "frames", "fps", "dropped", "frames_processed",
                "stacks_tracked", "beads", "camera_frames", "camera_timeouts", "stop_reason"):
        value = str(summary[key])
        if key == "frames" and summary["startup_frames"]:
            value += f" ({summary['startup_frames']} during start-up, e.g. a Z-LUT sweep)"
        table.add_row(key.replace("_", " "), value)
    table.add_row("files written", "\n".join(summary["files"]) or "none")
    if summary["stacks_failed"] or summary["worker_restarts"]:
        table.add_row("tracking faults", f"{summary['stacks_failed']} stacks failed, "
                      f"{summary['worker_restarts']} worker restarts "
                      f"({summary['worker_timeouts']} for hung stacks)")
    if summary["failed_writers"]:
        table.add_row("failed writers", json.dumps(summary["failed_writers"]))
    if summary["failed_managers"]:
        table.add_row("failed managers", ", ".join(summary["failed_managers"]))
    if summary.get("problems"):
        table.add_row("run failed", "\n".join(summary["problems"]))
    if summary["errors"]:
        table.add_row("errors", "\n".join(summary["errors"][:10]))
    console().print(table)
