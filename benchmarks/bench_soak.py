"""Soak: a long headless session, watched for growth (memory, file descriptors) and drops.

Runs ``magscope run --headless`` (the simulated microscope, 100 fps, 20 beads, recording
``track+video-rois`` by default) as a subprocess, exactly as a user would, and every
``--interval`` seconds prints, for every process of the session by its title (``magscope:
camera``, ``magscope: tracker 1``, ...): RSS, private memory (USS), open file descriptors and
CPU; plus frames,
drops and the size of every file written. At the end it prints each process's growth
after the warm-up (``--warmup-minutes``, default 2) and the verdict against the target:
no growth after the warm-up, 0 drops. Not run in CI (it takes ``--minutes``, default 30).

    python benchmarks/bench_soak.py [--minutes 30] [--interval 60] [--fps 100] [--beads 20]
                                    [--mode track+video-rois] [--out DIR]

"Growth" allows for noise: private memory (USS) up by more than max(4 MiB, 2 %) or any
extra descriptor, in each of the last 3 samples, counts as growth. RSS is printed too but
not judged: it also counts the pages of the session's shared memory a process has
touched, and the tracks matrix (a ring of ``core.tracks_capacity`` rows, 56 MB by
default) is only touched row by row until it first wraps, so the pipeline's RSS rises for
the first minutes (about 10 at 20 beads and 100 fps) and then stays flat, with no leak.
Figures on a machine shared with other jobs still count (drops show there first); run on
an idle machine for a verdict on drops.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _procs import cpu_seconds

Snapshot = dict[str, dict[str, float]]
MIB = 1024 * 1024
RSS_SLACK_MIB = 4.0
RSS_SLACK_FRACTION = 0.02


def _title(p: psutil.Process) -> str:
    try:
        cmd = " ".join(p.cmdline()).strip()
    except psutil.Error:
        return "?"
    if cmd.startswith("magscope: "):
        return cmd.removeprefix("magscope: ")
    if "resource_tracker" in cmd:
        return "resource tracker"
    return cmd[:30]


def _snapshot(main: psutil.Process) -> Snapshot:
    """RSS (MiB), open fds and CPU seconds of every session process, by title."""
    try:
        procs = [main, *main.children(recursive=True)]
    except psutil.NoSuchProcess:
        return {}
    cpu = cpu_seconds(procs)
    out: Snapshot = {}
    for p in procs:
        try:
            mem = p.memory_full_info()
            row = {"pid": p.pid, "rss": mem.rss / MIB, "uss": mem.uss / MIB,
                   "fds": p.num_fds(), "cpu": cpu.get(p.pid, 0.0)}
        except psutil.Error:
            continue
        title = _title(p)
        while title in out:
            title += "'"
        out[title] = row
    return out


class _Progress(threading.Thread):
    """Reads the run's stderr; keeps its newest progress figures and every other line."""

    LINE = re.compile(r"frames (\d+)\s+([\d.]+) fps\s+dropped (\d+)")

    def __init__(self, stream: IO[str]) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.frames = self.dropped = 0
        self.other: list[str] = []

    def run(self) -> None:
        for line in self.stream:
            m = self.LINE.search(line)
            if m:
                self.frames, self.dropped = int(m.group(1)), int(m.group(3))
            elif line.strip():
                self.other.append(line.rstrip())


def _files(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(out.rglob("*")) if p.is_file()}


def _print_sample(minute: float, snap: Snapshot, prev_cpu: dict[str, float], dt: float,
                  progress: _Progress, files: dict[str, int]) -> None:
    print(f"-- {minute:5.1f} min  frames {progress.frames}  dropped {progress.dropped}  "
          f"files {len(files)}, {sum(files.values()) / MIB:.1f} MiB", flush=True)
    for title, row in snap.items():
        cpu = 100.0 * (row["cpu"] - prev_cpu.get(title, 0.0)) / dt if dt else 0.0
        print(f"   {title:<18} pid {row['pid']:>7}  RSS {row['rss']:8.1f} MiB  "
              f"private {row['uss']:8.1f} MiB  fds {row['fds']:4d}  CPU {cpu:5.1f} %",
              flush=True)
    for name, size in list(files.items())[:8]:
        print(f"   file {name:<44} {size / MIB:9.2f} MiB", flush=True)


def _settled(samples: list[Snapshot]) -> Snapshot:
    """The smallest figure of each process over the last samples.

    A leak grows in every sample; a file the writers are rotating at the moment of one
    sample (one more descriptor, a buffer not yet freed) does not count as growth.
    """
    out: Snapshot = {}
    for title in samples[-1]:
        rows = [s[title] for s in samples if title in s]
        out[title] = {k: (rows[-1][k] if k in ("pid", "cpu") else min(r[k] for r in rows))
                      for k in rows[-1]}
    return out


def _verdict(base: Snapshot, last: Snapshot, dropped: int) -> bool:
    print(f"\ngrowth after the warm-up (private memory slack max({RSS_SLACK_MIB:g} MiB, "
          f"{100 * RSS_SLACK_FRACTION:g} %); any extra descriptor counts; RSS not judged):")
    ok = True
    for title in sorted(set(base) | set(last)):
        b, e = base.get(title), last.get(title)
        if b is None or e is None:
            print(f"   {title:<18} {'appeared' if b is None else 'gone'} during the run")
            ok = False
            continue
        d_rss, d_fds = e["rss"] - b["rss"], e["fds"] - b["fds"]
        d_uss = e["uss"] - b["uss"]
        grew = d_uss > max(RSS_SLACK_MIB, RSS_SLACK_FRACTION * b["uss"]) or d_fds > 0
        restarted = b["pid"] != e["pid"]
        ok &= not grew and not restarted
        print(f"   {title:<18} private {b['uss']:8.1f} -> {e['uss']:8.1f} MiB ({d_uss:+7.1f})"
              f"  RSS {b['rss']:8.1f} -> {e['rss']:8.1f} MiB ({d_rss:+7.1f})  "
              f"fds {b['fds']:4d} -> {e['fds']:4d} ({d_fds:+d})"
              f"{'  RESTARTED' if restarted else ''}{'  GROWS' if grew else ''}")
    print(f"drops: {dropped} (target 0)")
    return ok and dropped == 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--interval", type=float, default=60.0, help="seconds between samples")
    ap.add_argument("--warmup-minutes", type=float, default=2.0)
    ap.add_argument("--fps", type=float, default=100.0)
    ap.add_argument("--beads", type=int, default=20)
    ap.add_argument("--size", type=int, default=1024, help="camera width and height, px")
    ap.add_argument("--mode", default="track+video-rois")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="magscope-soak-"))
    n_fixed = max(args.beads // 4, 0)
    cmd = [sys.executable, "-m", "magscope_core.cli", "run", "--headless", "--camera", "sim",
           "--duration", f"{args.minutes * 60:g}", "--out", str(out), "--mode", args.mode,
           "-O", f"fps={args.fps:g}", "-O", f"width={args.size}", "-O", f"height={args.size}",
           "-O", f"n_fixed={n_fixed}", "-O", f"n_tethered={args.beads - n_fixed}",
           "--json-summary"]
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    print(f"soak: {args.minutes:g} min, sim {args.size}x{args.size} at {args.fps:g} fps, "
          f"{args.beads} beads, mode {args.mode}, output {out}", flush=True)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    assert proc.stderr is not None
    progress = _Progress(proc.stderr)
    progress.start()
    main_proc = psutil.Process(proc.pid)
    t0 = time.monotonic()
    samples: list[tuple[float, Snapshot]] = []
    prev_cpu: dict[str, float] = {}
    prev_t = t0
    try:
        next_at = t0 + args.interval
        while proc.poll() is None:
            time.sleep(max(0.0, min(1.0, next_at - time.monotonic())))
            if time.monotonic() < next_at or proc.poll() is not None:
                continue
            now = time.monotonic()
            snap = _snapshot(main_proc)
            if not snap:
                break
            samples.append(((now - t0) / 60.0, snap))
            _print_sample((now - t0) / 60.0, snap, prev_cpu, now - prev_t, progress,
                          _files(out))
            prev_cpu = {t: r["cpu"] for t, r in snap.items()}
            prev_t, next_at = now, next_at + args.interval
        stdout, _ = proc.communicate(timeout=120)
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        stdout, _ = proc.communicate(timeout=120)
    progress.join(timeout=5)
    try:
        summary = json.loads(stdout)
    except json.JSONDecodeError:
        print("no summary from the run; its last lines:\n" + "\n".join(progress.other[-20:]))
        return 1
    files = _files(out)
    print(f"\nrun: {summary['frames']} frames in {summary['seconds']:.0f} s "
          f"({summary['fps']:.1f} fps), dropped {summary['dropped']}, tracked stacks "
          f"{summary['stacks_tracked']}, exit code {proc.returncode}")
    print(f"files: {len(files)}, {sum(files.values()) / MIB:.1f} MiB in {out}")
    if summary["fps"] < 0.98 * args.fps:
        print(f"note: the camera delivered {summary['fps']:.1f} of {args.fps:g} fps: the "
              "simulator renders more slowly than asked on this machine (frames it never "
              "rendered are not drops: nothing was lost downstream)")
    errors = [line for line in progress.other if " ERROR " in line]
    if errors or summary["errors"]:
        print(f"errors: {len(errors)} ERROR lines, summary: {summary['errors'][:5]}")
    base = [s for m, s in samples if m >= args.warmup_minutes - 1e-6]
    if len(base) < 2:
        print(f"not enough samples after the {args.warmup_minutes:g} min warm-up for a verdict "
              f"({len(samples)} samples); run longer or sample more often")
        return 1
    ok = _verdict(base[0], _settled(base[-3:]), int(summary["dropped"]))
    ok &= proc.returncode == 0 and not errors
    print(f"verdict: {'PASS' if ok else 'FAIL'} (target: no growth after "
          f"{args.warmup_minutes:g} min, 0 drops)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
