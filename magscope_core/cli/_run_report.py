"""``magscope run``'s verdict: configuration errors, run failures, exit code, help.

Exit codes: 0 the run went as asked; 1 it ran but failed (a manager was left failed,
a writer was disabled while saving, or no tracking data could be saved); 2 the
configuration was wrong (shown as one line, the traceback in ``magscope.log``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from magscope_core._acquisition import mode_parts
from magscope_core._app import SessionPlan, choose_camera
from magscope_core._config_errors import ConfigurationError
from magscope_core._import_path import resolve_factory
from magscope_core._messages import ErrorReport
from magscope_core._options import option_table
from magscope_core._plugins import PluginSet
from magscope_core._writer import WriterBase

__all__ = [
    "CONFIG_ERROR",
    "RUN_FAILED",
    "config_error_line",
    "help_camera",
    "remote_config_line",
    "run_problems",
]

RUN_FAILED = 1
"""Exit code of a run that ran but failed (see :func:`run_problems`)."""
CONFIG_ERROR = 2
"""Exit code of a run whose configuration is wrong."""


def config_error_line(err: Console, message: str, log_file: Path | None = None) -> int:
    """Print one ``error:`` line; return :data:`CONFIG_ERROR`."""
    text = " ".join(message.split())  # one line, whatever the message holds
    where = f" (details in {log_file})" if log_file is not None else ""
    err.print(f"[red]error:[/red] {escape(text)}{where}", soft_wrap=True, highlight=False)
    return CONFIG_ERROR


def remote_config_line(report: ErrorReport) -> str:
    """The user's line for a configuration error raised in a manager process."""
    return f"{report.error.message} (manager {report.manager!r}, plugin {report.plugin!r})"


def help_camera(err: Console, out: Console, plugins: PluginSet, name: str | None) -> int:
    """Print the options of a camera (``--help-camera``); return the exit code."""
    try:
        cam = choose_camera(plugins, name)
    except ConfigurationError as exc:
        return config_error_line(err, str(exc))
    spec = cam.spec
    if spec.settings is None:
        out.print(f"camera {spec.name!r} (plugin {cam.plugin!r}, {cam.distribution}) does not "
                  "declare its options (no settings schema); -O KEY=VALUE is passed to its "
                  "factory unchecked", highlight=False)
        return 0
    table = Table(title=f"camera {spec.name!r} options (-O KEY=VALUE)", show_lines=False)
    for column in ("name", "type", "default", "allowed", "unit", "doc"):
        table.add_column(column, overflow="fold")
    for row in option_table(spec.settings):
        table.add_row(*(escape(row[c]) for c in ("name", "type", "default", "allowed",
                                                   "unit", "doc")))
    out.print(table)
    return 0


def _tracks_writer(factory: Any) -> bool:
    """Whether a writer factory's objects take tracking data (they override write_tracks)."""
    method = getattr(resolve_factory(factory), "write_tracks", None)
    return method is not None and method is not WriterBase.write_tracks


def run_problems(summary: dict[str, Any], plan: SessionPlan, plugins: PluginSet,
                 status: dict[str, Any], saving: bool) -> list[str]:
    """Why a run that ran is a failure (empty: it is not), one sentence each.

    A manager left failed; a writer disabled while saving was on; no tracking data
    saved although saving, tracking, a tracker, beads and a tracks writer were there.
    """
    problems = []
    for name, info in sorted(status.get("managers", {}).items()):
        if info.get("state") == "failed":
            restarts = int(info.get("restarts", 0))
            how = f" after {restarts} restart(s)" if restarts else ""
            problems.append(f"manager {name!r} (plugin {info.get('plugin')!r}) was left "
                            f"failed{how}")
    if saving:
        for name, why in sorted(summary.get("failed_writers", {}).items()):
            problems.append(f"writer {name!r} was disabled: {why}")
    tracks, _video = mode_parts(plan.mode)
    writers = {n: plugins.writers[n].spec.factory for n in plan.writers
               if n in plugins.writers}
    trackers = [n for n, f in writers.items() if _tracks_writer(f)]
    if saving and tracks and plan.tracker and summary.get("beads", 0) and trackers:
        files = summary.get("files_by_writer", {})
        if not any(files.get(n) for n in trackers):
            problems.append(f"no tracking data was saved (tracks writer(s) "
                            f"{', '.join(trackers)} wrote no file)")
    if summary.get("frames", 0) == 0 and summary.get("fatal_errors", 0):
        problems.append("no frame was acquired")
    return problems
