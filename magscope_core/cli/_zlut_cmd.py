"""``magscope zlut``: make a Z-LUT by a focus sweep (headless), and show one.

``magscope zlut sweep --start -3000 --stop 3000 --step 50 --out F`` starts a headless
session (camera, focus motor, tracker; nothing recorded), adds the bead ROIs, sweeps
every selected bead at once, prints each bead's candidate with its scores and saves the
best to ``F``. Ctrl-C (or SIGTERM) cancels: the focus returns and no file is written.

``magscope zlut show F [--plot PNG]`` reads ``F`` with the tracker plugin's parser (the
only Z-LUT parser), prints a summary and optionally writes a picture of the profiles.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import tempfile
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from magscope_core._app import choose_tracker, plan_session
from magscope_core._config_errors import ConfigurationError
from magscope_core._hub import Hub
from magscope_core._logging import configure_logging
from magscope_core._zlut_check import check_zlut
from magscope_core._zlut_run import ProgressLine, describe_best, run_sweep
from magscope_core._zlut_sweep import StartZLutSweep
from magscope_core.cli._common import console, load_everything
from magscope_core.cli._png import colour_map, write_png
from magscope_core.cli._run_cmd import _add_beads, _key_values
from magscope_core.cli._run_report import RUN_FAILED, config_error_line

__all__ = ["CANCELLED", "add_parser", "show", "sweep"]

CANCELLED = 130  # the shell's code for "ended by Ctrl-C"


def add_parser(sub: Any) -> None:
    """Register ``zlut`` with its ``sweep`` and ``show`` subcommands."""
    p = sub.add_parser("zlut", help="make a Z-LUT by a focus sweep, or show one",
                       description="Z look-up tables: 'sweep' makes one (headless), 'show' "
                       "describes one.")
    zsub = p.add_subparsers(dest="zlut_command", metavar="SUBCOMMAND")
    s = zsub.add_parser("sweep", help="sweep the focus, score one candidate per bead, save "
                        "the best", description="Headless focus sweep over every selected "
                        "bead; Ctrl-C cancels and writes nothing.")
    s.add_argument("--start", type=float, required=True, metavar="NM",
                   help="first height, nm relative to the focus at start (e.g. -3000)")
    s.add_argument("--stop", type=float, required=True, metavar="NM",
                   help="last height, nm (on the grid START + k x STEP)")
    s.add_argument("--step", type=float, required=True, metavar="NM", help="plane spacing, nm")
    s.add_argument("--images", type=int, default=5, metavar="N",
                   help="images averaged per plane (default 5)")
    s.add_argument("--beads", default="all", metavar="all|ID,...",
                   help="beads to sweep: all (default) or comma-separated bead ids")
    s.add_argument("--out", type=Path, required=True, metavar="FILE",
                   help="Z-LUT file to write (the best candidate)")
    s.add_argument("--camera", default=None, help="camera plugin name")
    s.add_argument("--camera-option", "-O", action="append", default=[], metavar="KEY=VALUE",
                   help="camera option (repeatable), as for 'magscope run'")
    s.add_argument("--tracker", default=None, help="tracker plugin name")
    s.add_argument("--settle", type=float, default=0.1, metavar="S",
                   help="seconds to wait at each plane before recording (default 0.1)")
    s.set_defaults(func=sweep)
    w = zsub.add_parser("show", help="summary of a Z-LUT file (and a picture with --plot)")
    w.add_argument("file", type=Path, help="the Z-LUT file")
    w.add_argument("--plot", type=Path, default=None, metavar="PNG",
                   help="write a picture of the profiles: one column per plane (z grows to "
                   "the right), one row per radius bin (radius grows downwards), each plane "
                   "normalised")
    w.add_argument("--tracker", default=None, help="tracker plugin name")
    w.set_defaults(func=show)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def _bead_ids(text: str) -> tuple[int, ...]:
    if text.strip().lower() == "all":
        return ()
    try:
        ids = tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise ConfigurationError(f"--beads {text!r}: expected 'all' or comma-separated bead "
                                 "ids such as 0,2,5") from None
    if not ids or min(ids) < 0:
        raise ConfigurationError(f"--beads {text!r}: bead ids are integers >= 0")
    return ids


def _check_out(path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ConfigurationError(f"--out {path} is a folder; give a file name")
    if not folder.is_dir():
        raise ConfigurationError(f"--out {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigurationError(f"--out {path}: folder {folder} is not writable")


def sweep(args: argparse.Namespace) -> int:
    """``magscope zlut sweep``; returns 0, 1 (failed), 2 (bad input) or 130 (cancelled)."""
    err = console(stderr=True)
    plugins, store = load_everything(args)
    work = Path(tempfile.mkdtemp(prefix="magscope-zlut-"))
    try:
        ids = _bead_ids(args.beads)
        _check_out(args.out)
        if not args.step > 0 or not args.stop > args.start or args.images < 1:
            raise ConfigurationError(
                f"--start {args.start:g} --stop {args.stop:g} --step {args.step:g} --images "
                f"{args.images}: need START < STOP, STEP > 0 and IMAGES >= 1")
        plan = plan_session(plugins, store, camera=args.camera, out_dir=work, writers=[],
                            tracker=args.tracker, saving=False, n_workers=1,
                            camera_options=_key_values(args.camera_option))
        if plan.tracker is None:
            raise ConfigurationError("no tracker plugin is installed: a Z-LUT needs one "
                                     "(see 'magscope plugins')")
    except ConfigurationError as exc:
        return config_error_line(err, str(exc))
    log_file = work / "magscope.log"
    configure_logging(store.get("core").log_level, log_file)
    hub = Hub(plan.managers, plan.commands, plan.config)
    previous = {sig: signal.signal(sig, _stopper(hub)) for sig in (signal.SIGINT,
                                                                   signal.SIGTERM)}
    status: dict[str, Any] = {}
    try:
        err.print(f"Z-LUT sweep: camera [bold]{plan.camera}[/bold], tracker {plan.tracker}, "
                  f"{args.start:g}..{args.stop:g} nm step {args.step:g} nm, {args.images} "
                  f"images per plane; log {log_file}", highlight=False, soft_wrap=True)
        hub.start()
        if hub.config_errors:
            return config_error_line(err, hub.config_errors[0].error.message, log_file)
        if not hub.stop_requested:
            _add_beads(hub, None, store.get("core").roi_size, err)
        if hub.stop_requested:
            status = {"state": "cancelled"}
        else:
            cmd = StartZLutSweep(start_nm=args.start, stop_nm=args.stop, step_nm=args.step,
                                 images_per_step=args.images, path=str(args.out.absolute()),
                                 load=False, settle_s=args.settle, bead_ids=ids)
            progress = ProgressLine(err, "Z-LUT sweep")
            try:
                status = run_sweep(hub, cmd, progress)
            except Exception as exc:  # the pipeline refused the request: bad input
                progress.close()
                logging.getLogger("magscope").debug("sweep refused", exc_info=True)
                return config_error_line(err, f"Z-LUT sweep refused: {exc}", log_file)
            progress.close()
    finally:
        hub.stop()
        for sig, old in previous.items():
            signal.signal(sig, old)
    return _report_sweep(err, status, args.out, log_file)


def _stopper(hub: Hub) -> Any:
    def handler(signum: int, frame: FrameType | None) -> None:
        hub.request_stop(f"signal {signal.Signals(signum).name}")
    return handler


def _report_sweep(err: Console, status: dict[str, Any], out: Path, log_file: Path) -> int:
    state = status.get("state")
    if state == "cancelled":
        err.print("Z-LUT sweep cancelled: nothing saved", highlight=False)
        return CANCELLED
    if status.get("candidates"):
        _candidates_table(status)
    if state != "done":
        err.print(f"[red]error:[/red] Z-LUT sweep failed: {escape(str(status.get('error')))} "
                  f"(details in {log_file})", soft_wrap=True, highlight=False)
        return RUN_FAILED
    err.print(f"Z-LUT saved to {out}: {describe_best(status)}", highlight=False,
              soft_wrap=True)
    return 0


def _candidates_table(status: dict[str, Any]) -> None:
    table = Table(title="Z-LUT candidates (best first)")
    for col in ("bead", "score", "contrast", "distinct", "monotonic", "self RMS nm",
                "found", "note"):
        table.add_column(col)
    for c in status["candidates"]:
        mark = " (best)" if c["bead_id"] == status.get("best") else ""
        if c.get("error"):
            table.add_row(str(c["bead_id"]), "-", "-", "-", "-", "-", "-", c["error"])
            continue
        table.add_row(f"{c['bead_id']}{mark}", f"{c.get('score', 0):.3f}",
                      f"{c.get('contrast', float('nan')):.3f}",
                      f"{c.get('distinctness', float('nan')):.2e}",
                      f"{c.get('monotonic', float('nan')):.2f}",
                      f"{c.get('self_rms_nm', float('nan')):.1f}",
                      f"{c.get('found', float('nan')):.0%}", c.get("reason") or "")
    console().print(table)


def show(args: argparse.Namespace) -> int:
    """``magscope zlut show``: summary (and ``--plot``); 0, or 2 for an unusable file."""
    err = console(stderr=True)
    plugins, store = load_everything(args)
    try:
        tracker = choose_tracker(plugins, args.tracker)
        zlut = check_zlut(tracker, args.file, store)
        if args.plot is not None:
            _check_out(args.plot)
    except ConfigurationError as exc:
        return config_error_line(err, str(exc))
    out = console()
    out.print(f"{args.file}: {zlut.summary()}", highlight=False, soft_wrap=True)
    meta = dict(getattr(zlut, "metadata", {}) or {})
    for key in ("source", "created", "roi_shape", "nm_per_px", "images_per_plane", "bead_id"):
        if meta.get(key) not in (None, ""):
            out.print(f"  {key}: {meta[key]}", highlight=False, soft_wrap=True)
    scores = meta.get("scores")
    if isinstance(scores, dict):
        out.print("  scores: " + ", ".join(
            f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
            for k, v in scores.items() if k != "reason" or v), highlight=False, soft_wrap=True)
    if args.plot is not None:
        write_png(args.plot, _lut_picture(np.asarray(zlut.profiles, dtype=np.float64)))
        out.print(f"plot written to {args.plot} (columns: planes, z grows to the right; "
                  "rows: radius bins, radius grows downwards)", highlight=False,
                  soft_wrap=True)
    return 0


def _lut_picture(profiles: np.ndarray, width: int = 640, height: int = 320) -> np.ndarray:
    """RGB picture of the LUT: planes as columns, bins as rows, each plane normalised."""
    p = profiles - profiles.mean(axis=1, keepdims=True)
    scale = p.std(axis=1, keepdims=True)
    p = np.divide(p, scale, out=np.zeros_like(p), where=scale > 0)
    lo, hi = np.percentile(p, [1, 99]) if p.size else (0.0, 1.0)
    norm = (p - lo) / (hi - lo) if hi > lo else np.zeros_like(p)
    img = colour_map(norm.T)  # (n_bins, n_planes, 3)
    ry = max(1, height // img.shape[0])
    rx = max(1, width // img.shape[1])
    return np.repeat(np.repeat(img, ry, axis=0), rx, axis=1)

