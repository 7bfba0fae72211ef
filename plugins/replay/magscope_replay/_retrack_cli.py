"""``magscope retrack``: re-track recorded videos into new tracking files.

Registered in the entry-point group ``magscope.cli`` (the core's command line adds the
subcommands plugins declare there).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    """Register ``retrack``."""
    p = sub.add_parser(
        "retrack", help="re-track recorded videos into new tracking files",
        description="Re-track recorded videos (TIFF, HDF5, NumPy; a file, folder or glob "
        "pattern each) with a Z-LUT into <out>/<video>/Tracking Data <time>.h5, the live "
        "schema. Runs a local session per video, or tasks on a Dask cluster (--scheduler).")
    p.add_argument("videos", nargs="+", metavar="VIDEO")
    p.add_argument("--zlut", type=Path, required=True, help="Z-LUT file")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    p.add_argument("--beads", type=int, default=None, metavar="N",
                   help="videos without recorded ROIs: find up to N beads in the first "
                   "frame (default: all); ROI videos: track the first N ROIs")
    p.add_argument("--rois", type=Path, default=None, metavar="TRACKING.h5",
                   help="full-frame videos: take the bead ROIs from this tracking file")
    p.add_argument("--tracker", default=None, help="tracker plugin")
    p.add_argument("--workers", type=int, default=None, help="local tracker workers")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="run on this Dask cluster (needs magscope-replay[dask])")
    p.add_argument("--chunk-frames", type=int, default=400, metavar="N",
                   help="Dask: frames per task (default 400)")
    p.add_argument("--retries", type=int, default=2, help="Dask: retries of a failed task")
    p.add_argument("--dataset", default="", help="HDF5 videos: the frames' dataset")
    p.add_argument("--force", action="store_true", help="redo videos already re-tracked")
    p.add_argument("--json-summary", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Re-track every video; return 0, 1 (a video failed) or 2 (configuration)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from magscope_core import ConfigurationError
    from magscope_core._logging import configure_logging
    from magscope_core.cli._common import console, load_everything
    from magscope_replay._retrack import is_done, mark_done, plan_job

    err = console(stderr=True)
    plugins, store = load_everything(args)
    core = store.get("core")
    try:
        if not args.zlut.is_file():
            raise ConfigurationError(f"retrack: Z-LUT file {args.zlut} does not exist")
        args.out.mkdir(parents=True, exist_ok=True)
        jobs = [plan_job(v, args.out, rois_file=args.rois, beads=args.beads,
                         roi_size=core.roi_size, dataset=args.dataset) for v in args.videos]
        client = _client(args.scheduler) if args.scheduler else None
    except ConfigurationError as exc:
        err.print(f"[red]error:[/red] {exc}", soft_wrap=True, highlight=False)
        return 2
    except OSError as exc:
        err.print(f"[red]error:[/red] retrack: output folder {args.out}: {exc}")
        return 2
    configure_logging(core.log_level, args.out / "magscope-retrack.log")
    logging.getLogger("magscope").setLevel(logging.WARNING)
    results: list[dict[str, Any]] = []
    code = 0
    with Progress("{task.description}", BarColumn(), MofNCompleteColumn(), "frames",
                  TimeRemainingColumn(), console=err, transient=False) as bar:
        for job in jobs:
            task = bar.add_task(job.out_dir.name[:40], total=job.n_frames)
            previous = None if args.force else is_done(job)
            if previous is not None:
                bar.update(task, completed=job.n_frames, description=f"{job.out_dir.name[:32]}"
                           " (done before)")
                results.append({**previous, "skipped": True})
                continue
            try:
                summary = _one(job, args, plugins, store, client,
                               lambda n, t=task: bar.update(t, completed=n))
            except ConfigurationError as exc:
                err.print(f"[red]error:[/red] {exc}", soft_wrap=True, highlight=False)
                return 2
            except Exception as exc:
                err.print(f"[red]retrack failed:[/red] {exc}", soft_wrap=True, highlight=False)
                results.append({"video": job.video, "error": str(exc)})
                code = 1
                continue
            mark_done(job, summary)
            results.append(summary)
    if client is not None:
        client.close()
    _print(results, args.json_summary)
    return code


def _one(job: Any, args: argparse.Namespace, plugins: Any, store: Any, client: Any,
         progress: Any) -> dict[str, Any]:
    if client is not None:
        from magscope_replay._retrack_dask import retrack_dask

        return retrack_dask(job, plugins, store, client, zlut=args.zlut, tracker=args.tracker,
                            chunk_frames=args.chunk_frames, retries=args.retries,
                            dataset=args.dataset, progress=progress)
    from magscope_replay._retrack_local import retrack_local

    return retrack_local(job, plugins, store, zlut=args.zlut, tracker=args.tracker,
                         workers=args.workers, dataset=args.dataset, progress=progress)


def _client(address: str) -> Any:
    from magscope_core import ConfigurationError

    try:
        from distributed import Client
    except ImportError:
        raise ConfigurationError("retrack --scheduler needs dask.distributed: pip install "
                                 "'magscope-replay[dask]'") from None
    try:
        return Client(address, timeout=10)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigurationError(f"retrack: cannot reach the Dask scheduler {address}: "
                                 f"{exc}") from None


def _print(results: list[dict[str, Any]], as_json: bool) -> None:
    from rich.table import Table

    from magscope_core.cli._common import console

    if as_json:
        print(json.dumps(results, indent=2))
        return
    table = Table(title="magscope retrack summary")
    for col in ("video", "engine", "frames", "beads", "seconds", "ROI/s", "files"):
        table.add_column(col)
    for r in results:
        if "error" in r:
            table.add_row(r["video"], "failed", "", "", "", "", r["error"][:60])
            continue
        secs = float(r.get("seconds", 0)) or 1e-9
        rate = f"{r['frames'] * r['beads'] / secs:,.0f}" if not r.get("skipped") else ""
        table.add_row(r["video"], r["engine"] + (" (done before)" if r.get("skipped") else ""),
                      str(r["frames"]), str(r["beads"]), f"{r['seconds']:.1f}", rate,
                      "\n".join(Path(f).name for f in r["files"]))
    console().print(table)
